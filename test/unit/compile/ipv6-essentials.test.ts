import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { formatRule } from '../../../src/parse/index.js';
import { policyFrom, policyText } from '../../helpers/fixtures.js';
import { planned06, traceIn } from './planned-host.js';

const filter = (extra: string) =>
  policyText(
    [
      'dockwall: 1',
      'filter:',
      '  interfaces: [eth0]',
      '  allow: [{ name: ssh, ports: [22] }]',
      extra,
      '',
    ].join('\n'),
  );
const chain = (p: ReturnType<typeof filter>, family: 'ipv4' | 'ipv6') =>
  compileDesired(p)
    .chains.find((c) => c.family === family && c.chain === 'DOCKWALL-FILTER')!
    .rules.map((r) => ({ name: r.name, text: formatRule(r.rule) }));

describe('filtered IPv6 keeps IPv6 working: neighbour/router discovery, MLD, DHCPv6 replies', () => {
  it('by default the IPv6 filter lets in ND/RD with hop limit 255, MLD and DHCPv6 replies from link-local, before the allow list', () => {
    const v6 = chain(filter(''), 'ipv6');
    expect(v6.map((r) => r.name)).toEqual([
      'filter/established',
      ...Array(3).fill('filter/ipv6-neighbour-discovery'),
      ...Array(2).fill('filter/ipv6-router-discovery'),
      ...Array(4).fill('filter/ipv6-multicast-listener'),
      'filter/ipv6-dhcpv6-client',
      'filter/ssh',
      'filter/otherwise',
    ]);
    const types = v6.map((r) => /--icmpv6-type (\d+)/.exec(r.text)?.[1]).filter(Boolean);
    expect(types).toEqual(['135', '136', '137', '133', '134', '130', '131', '132', '143']);
    for (const r of v6.filter((x) => /discovery/.test(x.name))) expect(r.text).toContain('-m hl --hl-eq 255');
    for (const r of v6.filter((x) => /multicast|dhcp/.test(x.name))) expect(r.text).toContain('-s fe80::/10');
    expect(v6.find((r) => r.name === 'filter/ipv6-dhcpv6-client')!.text).toMatch(
      /-d fe80::\/10 -p udp -m udp --sport 547 --dport 546/,
    );
    // Nothing of it in IPv4.
    expect(chain(filter(''), 'ipv4').some((r) => r.name.startsWith('filter/ipv6-'))).toBe(false);
  });

  it('`ipv6_essentials: false` turns them off; a list keeps only those named', () => {
    expect(
      chain(filter('  ipv6_essentials: false'), 'ipv6').some((r) => r.name.startsWith('filter/ipv6-')),
    ).toBe(false);
    const nd = chain(filter('  ipv6_essentials: [neighbour-discovery]'), 'ipv6');
    expect([...new Set(nd.map((r) => r.name).filter((n) => n.startsWith('filter/ipv6-')))]).toEqual([
      'filter/ipv6-neighbour-discovery',
    ]);
  });

  it('on the planned fixture-06 host: packet-too-big of a known flow passes (RELATED), new ICMPv6 echo and tcp/3306 are refused as over IPv4', () => {
    const state = planned06(policyFrom('examples/firewalling-docker.yaml'));
    const tooBig = traceIn(state, {
      src: '2001:db8:122::50',
      dst: '2001:db8:122::190',
      proto: 'icmpv6',
      icmpType: 2,
      icmpCode: 0,
      state: 'RELATED',
    });
    expect(tooBig.verdict).toBe('accept');
    const echo = traceIn(state, {
      src: '2001:db8:122::50',
      dst: '2001:db8:122::190',
      proto: 'icmpv6',
      icmpType: 128,
      icmpCode: 0,
    });
    const echo4 = traceIn(state, {
      src: '192.168.122.50',
      dst: '192.168.122.190',
      proto: 'icmp',
      icmpType: 8,
      icmpCode: 0,
    });
    expect(echo.verdict).toBe('reject');
    expect(echo4.verdict).toBe('reject');
    const mysql = traceIn(state, { src: '2001:db8:122::50', dst: '2001:db8:122::190', dport: 3306 });
    expect(mysql.verdict).toBe('reject');
    expect(traceIn(state, { src: '192.168.122.50', dst: '192.168.122.190', dport: 3306 }).verdict).toBe(
      'reject',
    );
  });
});
