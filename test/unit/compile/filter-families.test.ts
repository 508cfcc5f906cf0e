import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { loadPolicy } from '../../../src/policy/index.js';
import { fixtureRuleset, policyFrom, policyText } from '../../helpers/fixtures.js';
import { dockwall, tempFile } from '../cli/run-cli.js';

const EXAMPLE = 'examples/firewalling-docker.yaml';
const F06 = 'test/fixtures/docker-20.10/06-icc-false-no-userland-proxy-ipv6';
const DUAL = ['--state', `${F06}.iptables-save`, '--state', `${F06}.ip6tables-save`];
/** The example's host, dual-stack: 2001:db8::190 on eth0. */
const HOST = tempFile(
  'dual-stack-host.json',
  JSON.stringify({
    interfaces: [
      { name: 'eth0', addresses: ['192.168.122.190/24', '2001:db8::190/64'] },
      { name: 'docker0', addresses: ['172.17.0.1/16', 'fd00:dead:beef::1/64'] },
      { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    ],
  }),
);

const chainsOf = (d: ReturnType<typeof compileDesired>, family: string) =>
  d.chains.filter((c) => c.family === family).map((c) => `${c.table} ${c.chain}`);

describe('IPv6 is not left open: the shared filter and containers: cover every family the host has', () => {
  it('the example (no ipv6: key, no IPv6 source) compiles its filter for IPv4 and IPv6', () => {
    const d = compileDesired(policyFrom(EXAMPLE));
    expect(d.families).toEqual(['ipv4', 'ipv6']);
    expect(chainsOf(d, 'ipv6')).toEqual(
      expect.arrayContaining(['filter DOCKWALL-FILTER', 'filter INPUT', 'filter DOCKER-USER']),
    );
    const v6 = d.chains.find((c) => c.family === 'ipv6' && c.chain === 'DOCKWALL-FILTER')!;
    // `web` allows only an IPv4 set: over IPv6 nobody is allowed port 8000; ssh is, as over IPv4.
    expect(v6.rules.map((r) => r.name)).toContain('filter/ssh');
    expect(v6.rules.map((r) => r.name)).not.toContain('filter/web');
    expect(v6.rules.at(-1)!.name).toBe('filter/otherwise');
  });

  it('covers only the families the host has (the dumps given), and both when nothing says', () => {
    const p = policyFrom(EXAMPLE);
    expect(compileDesired(p, { hostFamilies: ['ipv4'] }).families).toEqual(['ipv4']);
    const withContainers = policyText('dockwall: 1\ncontainers:\n  - name: web\n    container: web\n');
    expect(compileDesired(withContainers, { inventory: { networks: [], containers: [] } }).families).toEqual([
      'ipv4',
      'ipv6',
    ]);
  });

  it('leaving a family out is an explicit `families:` choice, on the filter and on a container entry', () => {
    const p = policyText(
      [
        'dockwall: 1',
        'filter:',
        '  interfaces: [eth0]',
        '  families: [ipv4]',
        '  allow: [{ name: ssh, ports: [22] }]',
        'containers:',
        '  - { name: web, container: web, families: [ipv6] }',
        '',
      ].join('\n'),
    );
    expect(p.sharedFilter!.families).toEqual(['ipv4']);
    expect(p.containers[0]!.families).toEqual(['ipv6']);
    const d = compileDesired(p, { inventory: { networks: [], containers: [] } });
    expect(chainsOf(d, 'ipv6')).not.toContain('filter DOCKWALL-FILTER');
    expect(chainsOf(d, 'ipv4')).toContain('filter DOCKWALL-FILTER');
    const bad = loadPolicy('dockwall: 1\nfilter:\n  interfaces: [eth0]\n  families: [ipv5]\n', 'p.yaml');
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({ severity: 'error', pos: { line: 4 } });
    const twice = loadPolicy(
      'dockwall: 1\nfilter:\n  interfaces: [eth0]\n  families: [ipv4, ipv4]\n',
      'p.yaml',
    );
    expect(twice.diagnostics.map((x) => x.code)).toContain('policy.duplicate-family');
  });

  it('fixture 06 dual-stack: trace from 2001:db8::50 to [2001:db8::190]:3306 does not accept', () => {
    const r = dockwall([
      'trace',
      '-f',
      EXAMPLE,
      ...DUAL,
      '--host-model',
      HOST,
      '--from',
      '2001:db8::50',
      '--to',
      '[2001:db8::190]:3306/tcp',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.verdict).toBe('reject');
    expect(t.decidedBy).toMatchObject({ family: 'ipv6', chain: 'DOCKWALL-FILTER' });
    expect(t.decidedBy.rule).toContain('dockwall:filter/otherwise');
  });

  it('fixture 06 dual-stack: audit lists neither [::]:8000 nor [::]:3306 open to the world, and [::]:22 as 0.0.0.0:22', () => {
    const r = dockwall([
      'audit',
      '-f',
      EXAMPLE,
      ...DUAL,
      '--host-model',
      HOST,
      ...['--listen', '[::]:22/tcp', '--listen', '0.0.0.0:22/tcp'],
      ...['--listen', '[::]:3306/tcp', '--listen', '0.0.0.0:3306/tcp'],
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      destinations: Array<{ destination: { family: string; hostPort: number }; worldOpen: boolean }>;
    };
    const open = (family: string, port: number) => {
      const d = report.destinations.find(
        (x) => x.destination.family === family && x.destination.hostPort === port,
      );
      expect(d, `${family} ${port}`).toBeDefined();
      return d!.worldOpen;
    };
    expect(open('ipv6', 8000)).toBe(false);
    expect(open('ipv6', 3306)).toBe(false);
    // SSH is allowed from every source by the example's `ssh` entry, in both families alike.
    expect(open('ipv6', 22)).toBe(open('ipv4', 22));
    expect(open('ipv4', 3306)).toBe(false);
  });

  it('a plan against an IPv4 dump alone plans IPv4 only (the families given)', () => {
    const rs = fixtureRuleset('docker-20.10/06-icc-false-no-userland-proxy-ipv6.iptables-save');
    expect(rs.family).toBe('ipv4');
    const r = dockwall(['plan', '-f', EXAMPLE, '--state', `${F06}.iptables-save`, '--no-check', '--json']);
    expect(r.code, r.stderr).toBe(2);
    const plan = JSON.parse(r.stdout) as { operations: Array<{ family?: string }> };
    expect(plan.operations.some((o) => o.family === 'ipv6')).toBe(false);
    const text = dockwall(['plan', '-f', EXAMPLE, '--state', `${F06}.iptables-save`, '--no-check']);
    expect(text.stderr).toContain(
      'info[plan.family-not-given]: no ipv6 dump was given, so the shared filter is planned for ipv4 only',
    );
    const both = JSON.parse(dockwall(['plan', '-f', EXAMPLE, ...DUAL, '--no-check', '--json']).stdout) as {
      operations: Array<{ family?: string; chain?: string }>;
    };
    expect(both.operations.some((o) => o.family === 'ipv6' && o.chain === 'DOCKWALL-FILTER')).toBe(true);
  });
});
