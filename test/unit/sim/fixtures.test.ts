import { describe, expect, it } from 'vitest';
import { renderTrace, simulate, type SimInput, type Trace } from '../../../src/sim/index.js';
import { dockerHost, fixture, seedSets, tcpIn } from './hosts.js';

function ruleOf(t: Trace) {
  if (t.decidedBy?.kind !== 'rule') throw new Error(`not decided by a rule: ${renderTrace(t).join('\n')}`);
  return t.decidedBy;
}

describe('fixture 02: one published port (docker run -p 8000:80)', () => {
  const input: SimInput = { rulesets: { ipv4: fixture('02-one-published-port') }, host: dockerHost };

  it('a client on eth0 reaches the container through DNAT, accepted by the DOCKER chain', () => {
    const t = simulate(input, tcpIn('192.168.122.50', 8000));
    expect(t.verdict).toBe('accept');
    expect(t.delivered).toBe('forward');
    expect(t.outInterface).toBe('docker0');
    expect(t.rewrites).toEqual([
      expect.objectContaining({
        kind: 'dnat',
        from: '192.168.122.190:8000',
        to: '172.17.0.2:80',
        chain: 'DOCKER',
      }),
    ]);
    const d = ruleOf(t);
    expect([d.table, d.chain, d.index]).toEqual(['filter', 'DOCKER', 1]);
    expect(d.rule).toBe(
      '-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
    );
    expect(d.line).toBe(16);
    // The walk went through nat PREROUTING's jump into nat DOCKER, then FORWARD's jump into DOCKER.
    const matched = t.path
      .filter((s) => s.kind === 'rule' && s.matched)
      .map((s) => s.kind === 'rule' && `${s.table} ${s.chain} ${s.index}`);
    expect(matched).toEqual([
      'nat PREROUTING 1',
      'nat DOCKER 2',
      'filter FORWARD 1',
      'filter DOCKER-USER 1',
      'filter FORWARD 2',
      'filter DOCKER-ISOLATION-STAGE-1 2',
      'filter FORWARD 4',
      'filter DOCKER 1',
    ]);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it('an unpublished port reaches INPUT, whose policy ACCEPT lets it in', () => {
    const t = simulate(input, tcpIn('192.168.122.50', 9999));
    expect(t.verdict).toBe('accept');
    expect(t.delivered).toBe('local');
    expect(t.rewrites).toEqual([]);
    expect(t.decidedBy).toEqual({
      kind: 'policy',
      family: 'ipv4',
      table: 'filter',
      policy: 'INPUT',
      action: 'ACCEPT',
    });
  });

  it('renders a readable trace', () => {
    const lines = renderTrace(simulate(input, tcpIn('192.168.122.50', 8000)));
    expect(lines[0]).toBe('packet: tcp 192.168.122.50:40000 -> 192.168.122.190:8000 in eth0 (NEW)');
    expect(lines).toContain('routing: forward out docker0');
    expect(lines.some((l) => l.includes('=> DNAT 172.17.0.2:80'))).toBe(true);
    expect(lines.at(-1)).toMatch(
      /^verdict: ACCEPT \(forwarded out docker0\) by filter DOCKER rule 1 \(line 16\)/,
    );
  });
});

describe('fixture 07: the seed003 wishes applied (INPUT DROP, allowed_hosts_only)', () => {
  const input: SimInput = {
    rulesets: { ipv4: fixture('07-seed003-wishes-applied') },
    sets: seedSets(),
    host: dockerHost,
  };

  it('accepts the allowed host 192.168.122.193 on the published port', () => {
    const t = simulate(input, tcpIn('192.168.122.193', 8000));
    expect(t.verdict).toBe('accept');
    expect([ruleOf(t).chain, ruleOf(t).index]).toEqual(['DOCKER', 2]);
  });

  it('rejects 192.168.122.50 by allowed_hosts_only', () => {
    const t = simulate(input, tcpIn('192.168.122.50', 8000));
    expect(t.verdict).toBe('reject');
    const d = ruleOf(t);
    expect([d.chain, d.index]).toEqual(['DOCKER', 1]);
    expect(d.rule).toContain('--comment allowed_hosts_only');
    expect(d.line).toBe(20);
  });

  it('drops port 3306 by the INPUT policy', () => {
    const t = simulate(input, tcpIn('192.168.122.50', 3306));
    expect(t.verdict).toBe('drop');
    expect(t.decidedBy).toMatchObject({ kind: 'policy', policy: 'INPUT', action: 'DROP' });
  });

  it('accepts ssh from anywhere by allow_ssh', () => {
    const t = simulate(input, tcpIn('198.51.100.7', 22));
    expect(t.verdict).toBe('accept');
    expect(ruleOf(t).rule).toContain('allow_ssh');
  });

  it('accepts a container on docker0 reaching the host bridge address 172.17.0.1:8000 (docker-proxy)', () => {
    const t = simulate(input, { ...tcpIn('172.17.0.3', 8000), dst: '172.17.0.1', in: 'docker0' });
    expect(t.verdict).toBe('accept');
    expect(t.delivered).toBe('local');
    // nat DOCKER returns early for traffic from docker0: no DNAT, the userland proxy answers.
    expect(t.rewrites).toEqual([]);
    expect(ruleOf(t).rule).toContain('allow_inter_docker');
  });

  it('accepts an ESTABLISHED reply by allow_established', () => {
    const t = simulate(input, tcpIn('192.168.122.50', 3306, { state: 'ESTABLISHED' }));
    expect(t.verdict).toBe('accept');
    expect(ruleOf(t).rule).toContain('allow_established');
  });

  it('says unknown, naming the rule, when the ipset contents are not given', () => {
    const t = simulate({ ...input, sets: undefined }, tcpIn('192.168.122.50', 8000));
    expect(t.verdict).toBe('unknown');
    expect(ruleOf(t).rule).toContain('allowed_hosts_only');
    expect(t.unknownReason).toContain('allowed_hosts');
  });
});

describe('fixture 08: after a docker restart', () => {
  it('lets 192.168.122.50 in again (allowed_hosts_only is gone)', () => {
    const input: SimInput = {
      rulesets: { ipv4: fixture('08-seed003-after-docker-restart') },
      sets: seedSets(),
      host: dockerHost,
    };
    const t = simulate(input, tcpIn('192.168.122.50', 8000));
    expect(t.verdict).toBe('accept');
    expect([ruleOf(t).chain, ruleOf(t).index]).toEqual(['DOCKER', 1]);
  });
});

describe('fixture 03: custom network, loopback-bound port 9300', () => {
  const input: SimInput = { rulesets: { ipv4: fixture('03-custom-network-multi-ports') }, host: dockerHost };

  it('port 9300 on the eth0 address is not forwarded to the container', () => {
    const t = simulate(input, tcpIn('192.168.122.50', 9300));
    expect(t.rewrites).toEqual([]);
    expect(t.delivered).toBe('local');
    // The packet reaches the host itself, where only 127.0.0.1:9300 is bound.
    expect(t.decidedBy).toMatchObject({ kind: 'policy', policy: 'INPUT' });
  });

  it('port 9200 is forwarded to 172.18.0.2:80 on the user network bridge', () => {
    const t = simulate(input, tcpIn('192.168.122.50', 9200));
    expect(t.verdict).toBe('accept');
    expect(t.outInterface).toBe('br-b3bc30109fba');
    expect(t.rewrites[0]).toMatchObject({ kind: 'dnat', to: '172.18.0.2:80' });
  });

  it('udp 5353 is forwarded to port 53', () => {
    const t = simulate(input, { ...tcpIn('192.168.122.50', 5353), proto: 'udp' });
    expect(t.verdict).toBe('accept');
    expect(t.rewrites[0]).toMatchObject({ to: '172.18.0.2:53' });
  });

  it('a link neighbour sending to 127.0.0.1:9300 is DNATed before the loopback check', () => {
    const t = simulate(input, { ...tcpIn('192.168.122.50', 9300), dst: '127.0.0.1' });
    expect(t.rewrites[0]).toMatchObject({ kind: 'dnat', to: '172.18.0.2:80' });
    expect(t.verdict).toBe('accept');
  });

  it('other loopback destinations from eth0 are martians', () => {
    const t = simulate(input, { ...tcpIn('192.168.122.50', 9999), dst: '127.0.0.1' });
    expect(t.verdict).toBe('drop');
    expect(t.decidedBy).toMatchObject({ kind: 'kernel' });
  });

  it('a host process connecting to 127.0.0.1:9300 stays local (nat OUTPUT skips 127.0.0.0/8)', () => {
    const t = simulate(input, {
      family: 'ipv4',
      src: '127.0.0.1',
      dst: '127.0.0.1',
      proto: 'tcp',
      sport: 40000,
      dport: 9300,
      local: true,
    });
    expect(t.verdict).toBe('accept');
    expect(t.delivered).toBe('local');
    expect(t.outInterface).toBe('lo');
    expect(t.rewrites).toEqual([]);
    const hooks = t.path
      .filter((s) => s.kind === 'hook')
      .map((s) => s.kind === 'hook' && `${s.table} ${s.chain}`);
    expect(hooks).toEqual([
      'nat OUTPUT',
      'filter OUTPUT',
      'nat POSTROUTING',
      'nat PREROUTING',
      'filter INPUT',
    ]);
  });

  it('a host process connecting to its own eth0 address on 9200 is DNATed in nat OUTPUT', () => {
    const t = simulate(input, {
      family: 'ipv4',
      src: '192.168.122.190',
      dst: '192.168.122.190',
      proto: 'tcp',
      sport: 40000,
      dport: 9200,
      local: true,
    });
    expect(t.verdict).toBe('accept');
    expect(t.rewrites.map((r) => r.kind)).toEqual(['dnat']);
    expect(t.outInterface).toBe('br-b3bc30109fba');
  });
});

describe('fixture 06: icc=false, no userland proxy, IPv6', () => {
  const input: SimInput = {
    rulesets: {
      ipv4: fixture('06-icc-false-no-userland-proxy-ipv6'),
      ipv6: fixture('06-icc-false-no-userland-proxy-ipv6', 'ipv6'),
    },
    host: dockerHost,
  };
  /** tcpIn over IPv6: from a client outside to port `dport` of the host's eth0 address. */
  const v6In = (dport: number) =>
    tcpIn('2001:db8:122::50', dport, { family: 'ipv6', dst: '2001:db8:122::190' });

  it('IPv6: a client reaches the container through DNAT to [fd00:dead:beef::242:ac11:2]:80', () => {
    const t = simulate(input, v6In(8000));
    expect(t.verdict).toBe('accept');
    expect(t.rewrites[0]).toMatchObject({ kind: 'dnat', to: '[fd00:dead:beef::242:ac11:2]:80' });
    expect(ruleOf(t)).toMatchObject({ family: 'ipv6', chain: 'DOCKER', index: 1 });
  });

  it('IPv6: another port goes to INPUT (policy ACCEPT)', () => {
    const t = simulate(input, v6In(22));
    expect(t.verdict).toBe('accept');
    expect(t.delivered).toBe('local');
  });

  it('a container hairpinning through 172.17.0.1:8000 is DNATed, then dropped docker0 -> docker0 (icc=false)', () => {
    const t = simulate(input, { ...tcpIn('172.17.0.3', 8000), dst: '172.17.0.1', in: 'docker0' });
    expect(t.rewrites[0]).toMatchObject({ kind: 'dnat', to: '172.17.0.2:80' });
    expect(t.delivered).toBe('forward');
    expect(t.outInterface).toBe('docker0');
    expect(t.verdict).toBe('drop');
    expect(ruleOf(t).rule).toBe('-A FORWARD -i docker0 -o docker0 -j DROP');
  });
});
