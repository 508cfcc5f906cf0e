import { describe, expect, it } from 'vitest';
import { dockwall, tempFile } from './run-cli.js';

/**
 * `trace -f`, `check` and `audit -f` on a saved Docker 29 nftables rule set walk the rules as they
 * would be after apply: Docker's tables as they are and dockwall's nftables tables as planned (the
 * shared filter in `ip dockwall`/`ip6 dockwall`, before Docker's filter-FORWARD), as they walk the
 * planned iptables rules on an iptables host.
 */

const FIX = 'test/fixtures/docker-29.7.2-nftables';
const offline = (scenario: string) => [
  '--state',
  `${FIX}/${scenario}/ruleset.json`,
  '--host-model',
  `${FIX}/${scenario}/host.json`,
  '--docker-state',
  `${FIX}/${scenario}/docker.json`,
];

/** Port 8080 (usernet-portmap) / 8000 (ipv6-portmap) only for host 2; everything else on eth0 dropped. */
function policy(port: number, expect: string): string {
  return tempFile(
    'web-only-host2.yaml',
    `dockwall: 1
ipsets:
  allowed_hosts:
    type: hash:ip
    members: [192.168.122.193]
  allowed_hosts6:
    type: hash:ip
    family: inet6
    members: [fd00:1::193]
filter:
  interfaces: [eth0]
  otherwise: drop
  allow:
    - name: web
      ports: [${port}]
      sets: [allowed_hosts, allowed_hosts6]
${expect}`,
  );
}

const EXPECT_HOLDS = `expect:
  - name: host 2 reaches the published port
    from: 192.168.122.193
    to: 192.168.122.190:8080/tcp
    in: eth0
    verdict: accept
  - name: another host is dropped by dockwall's planned table
    from: 192.168.122.50
    to: 192.168.122.190:8080/tcp
    in: eth0
    verdict: drop
`;

const EXPECT_FAILS = `expect:
  - name: another host reaches the published port
    from: 192.168.122.50
    to: 192.168.122.190:8080/tcp
    in: eth0
    verdict: accept
`;

interface TraceJson {
  verdict: string;
  decidedBy?: { table?: string; chain?: string; rule?: string };
}

describe('trace -f POLICY on a saved nftables rule set walks dockwall’s planned nftables tables', () => {
  const trace = (file: string, scenario: string, from: string, to: string) => {
    const r = dockwall(['trace', '-f', file, ...offline(scenario), '--from', from, '--to', to, '--json']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as TraceJson;
  };

  it('a published port the policy limits: host 2 accepted by Docker after dockwall’s chain, another host dropped by the planned ip dockwall', () => {
    const file = policy(8080, '');
    const other = trace(file, 'usernet-portmap', '192.168.122.50', '192.168.122.190:8080/tcp');
    expect(other.verdict).toBe('drop');
    expect(other.decidedBy).toMatchObject({ table: 'ip dockwall', chain: 'DOCKWALL-FILTER' });
    expect(other.decidedBy?.rule).toMatch(/comment "dockwall:filter\/otherwise #[0-9a-f]{8}"/);
    const host2 = trace(file, 'usernet-portmap', '192.168.122.193', '192.168.122.190:8080/tcp');
    expect(host2.verdict).toBe('accept');
    expect(host2.decidedBy).toMatchObject({
      table: 'ip docker-bridges',
      chain: 'filter-forward-in__bridge1',
    });
    // Without -f, the rules as they are: Docker alone accepts every host.
    const r = dockwall([
      'trace',
      ...offline('usernet-portmap'),
      '--from',
      '192.168.122.50',
      '--to',
      '192.168.122.190:8080/tcp',
      '--json',
    ]);
    expect((JSON.parse(r.stdout) as TraceJson).verdict).toBe('accept');
  });

  it('IPv6 alike: the planned ip6 dockwall drops another host before ip6 docker-bridges accepts it', () => {
    const file = policy(8000, '');
    const other = trace(file, 'ipv6-portmap', 'fd00:1::50', '[fd00:1::190]:8000/tcp');
    expect(other.verdict).toBe('drop');
    expect(other.decidedBy).toMatchObject({ table: 'ip6 dockwall', chain: 'DOCKWALL-FILTER' });
    expect(trace(file, 'ipv6-portmap', 'fd00:1::193', '[fd00:1::190]:8000/tcp').verdict).toBe('accept');
    expect(trace(file, 'ipv6-portmap', '192.168.122.50', '192.168.122.190:8000/tcp').verdict).toBe('drop');
  });

  it('audit -f: the published port is reachable from host 2 alone once the policy is applied', () => {
    const reach = (args: string[]) => {
      const r = dockwall(['audit', ...args, ...offline('usernet-portmap'), '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as {
        destinations: Array<{ destination: { family: string; hostPort?: number }; reachableFrom: string[] }>;
      };
      return out.destinations.find((d) => d.destination.family === 'ipv4' && d.destination.hostPort === 8080)!
        .reachableFrom;
    };
    expect(reach([])).toContain('192.168.122.191-223.255.255.255');
    expect(reach(['-f', policy(8080, '')])).toEqual(['192.168.122.193/32']);
  });
});

describe('check -f POLICY on a saved nftables rule set: expect: against the ruleset after the planned change', () => {
  it('expectations that hold only with dockwall’s planned table pass (exit 0)', () => {
    const r = dockwall(['check', '-f', policy(8080, EXPECT_HOLDS), ...offline('usernet-portmap')]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.stdout).toContain('2 of 2 expectations hold.');
    expect(r.code).toBe(0);
  });

  it('a failing expectation names the planned dockwall rule that decided (exit 2)', () => {
    const r = dockwall(['check', '-f', policy(8080, EXPECT_FAILS), ...offline('usernet-portmap')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /expectation "another host reaches the published port" .* failed: wanted accept, got drop, decided by ip dockwall DOCKWALL-FILTER rule \d+/,
    );
  });
});
