import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_IPV6_ARGS,
  DOCKWALL_BUNDLE,
  labGate,
  probeTcp,
  startHostServices,
  startWebHost,
  type Dockerd,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const gate = await labGate();

/** The seed's goal in both families: host 2 reaches the published port 8000, no other host does. */
const POLICY = `dockwall: 1
filter:
  interfaces: [eth0]
  otherwise: reject
  allow:
    - name: ssh
      ports: [22]
    - name: web
      ports: [8000]
      sources: [192.168.122.193, "fd77::193"]
ipv4:
  filter:
    INPUT:
      policy: DROP
      rules:
        - allow_established: -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        - allow_loopback: -i lo -j ACCEPT
ipv6:
  filter:
    INPUT:
      policy: DROP
      rules:
        - allow_established: -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        - allow_loopback: -i lo -j ACCEPT
        - neighbours: -p ipv6-icmp -j ACCEPT
`;

describe.skipIf(gate.skip)("a published container port over IPv6, with Docker's ip6tables rules", () => {
  let lab: Lab;
  let docker: LabHost;
  let host2: LabHost;
  let host3: LabHost;
  let dockerd: Dockerd;
  let policy: string;

  const dockwall = async (args: string[]) => {
    const env = [`DOCKER_HOST=unix://${dockerd.socketPath}`, 'NO_COLOR=1'];
    const r = await lab.exec(docker, ['env', ...env, process.execPath, DOCKWALL_BUNDLE, ...args], {
      timeoutMs: 120_000,
    });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };
  /**
   * Docker's ip6tables rules: dockwall's (tagged with a comment) left out, and its chains: Docker 20.10
   * writes no DOCKER-USER for IPv6 (nor a jump to it), so dockwall creates that chain too.
   */
  const dockerRules6 = async () =>
    (await lab.execChecked(docker, ['ip6tables-save'])).stdout
      .split('\n')
      .filter((l) => (l.startsWith('-A ') || l.startsWith(':')) && !l.includes('dockwall:'))
      .filter((l) => !/^:(DOCKWALL-|DOCKER-USER |INPUT )/.test(l))
      .map((l) => l.replace(/\s\[\d+:\d+\]$/, ''));
  /** TCP to port 8000 and 22 in both families; IPv6 addresses may still be tentative at first. */
  const outcomes = async () => {
    const [v4h2, v4h3, v6h2, v6h3, v6ssh] = await Promise.all([
      probeTcp(lab, host2, '192.168.122.190', 8000),
      probeTcp(lab, host3, '192.168.122.190', 8000),
      probeTcp(lab, host2, 'fd77::190', 8000),
      probeTcp(lab, host3, 'fd77::190', 8000),
      probeTcp(lab, host3, 'fd77::190', 22),
    ]);
    return { v4h2, v4h3, v6h2, v6h3, v6ssh };
  };

  beforeAll(async () => {
    gate.assertAvailable();
    ({ lab, docker, host2, host3, dockerd } = await startWebHost({
      ipv6: true,
      dockerd: { extraArgs: DOCKER_IPV6_ARGS },
      webArgs: ['--restart', 'always'],
    }));
    await startHostServices(lab, docker, [22]);
    policy = join(lab.dir, 'v6.yaml');
    writeFileSync(policy, POLICY);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('before: Docker publishes port 8000 to every host over IPv4 and IPv6', async () => {
    expect(await outcomes()).toEqual({
      v4h2: 'open',
      v4h3: 'open',
      v6h2: 'open',
      v6h3: 'open',
      v6ssh: 'open',
    });
    expect((await lab.execChecked(docker, ['ip6tables-save', '-t', 'nat'])).stdout).toMatch(
      /-A DOCKER .*--dport 8000 -j DNAT --to-destination \[fd00:d0c::/,
    );
  });

  const doctorIds = async () => {
    const r = await dockwall(['doctor', '--json', '--daemon-json', join(lab.dir, 'no-daemon.json')]);
    return (JSON.parse(r.stdout) as { findings: Array<{ id: string }> }).findings.map((f) => f.id);
  };

  it('apply: host 2 only, in both families, through DOCKER-USER; Docker ip6tables rules untouched', async () => {
    // doctor sees the hole first: Docker 20.10 writes no DOCKER-USER (nor a jump to it) for IPv6.
    expect(await doctorIds()).toContain('ipv6-no-docker-user');
    const before = await dockerRules6();
    const r = await dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')]);
    expect(r.code, r.stderr).toBe(0);
    const o = await outcomes();
    expect(o).toEqual({
      v4h2: 'open',
      v4h3: 'refused',
      v6h2: 'open',
      v6h3: 'refused',
      v6ssh: 'open',
    });
    expect((await lab.execChecked(docker, ['ip6tables', '-S', 'DOCKER-USER'])).stdout).toContain('dockwall:');
    // Docker wrote no jump to DOCKER-USER for IPv6: dockwall's own is first in FORWARD.
    expect((await lab.execChecked(docker, ['ip6tables', '-S', 'FORWARD'])).stdout.split('\n')[1]).toBe(
      '-A FORWARD -m comment --comment "dockwall:docker-user" -j DOCKER-USER',
    );
    expect(await dockerRules6()).toEqual(before);
    const again = await dockwall(['plan', '-f', policy]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await doctorIds()).not.toContain('ipv6-no-docker-user');
  });

  it("after dockerd restarts, Docker's rules are on top of FORWARD again: status says so, apply puts the jump back", async () => {
    await dockerd.restart();
    // dockerd moved its own FORWARD rules above dockwall's jump: over IPv6 the filter is skipped again.
    const status = await dockwall(['status', '-f', policy]);
    expect(status.code, status.stdout).toBe(2);
    expect(status.stdout).toContain('docker-user');
    const r = await dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')]);
    expect(r.code, r.stderr).toBe(0);
    expect((await lab.execChecked(docker, ['ip6tables', '-S', 'FORWARD'])).stdout.split('\n')[1]).toContain(
      'dockwall:docker-user',
    );
    // The container restarts with dockerd; until it listens, host 2 would see "refused" too.
    for (let i = 0; i < 40 && (await probeTcp(lab, host2, 'fd77::190', 8000)) !== 'open'; i++) {
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(await probeTcp(lab, host3, 'fd77::190', 8000)).toBe('refused');
    expect(await probeTcp(lab, host2, 'fd77::190', 8000)).toBe('open');
  });

  it('audit: over each family, the published port is reachable from host 2 only, as the traffic showed', async () => {
    const r = await dockwall(['audit', '-f', policy, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const audit = JSON.parse(r.stdout) as {
      destinations: Array<{ destination: { family: string; hostPort: number }; reachableFrom: string[] }>;
    };
    const from = (family: string) =>
      audit.destinations.find((d) => d.destination.family === family && d.destination.hostPort === 8000)
        ?.reachableFrom;
    expect(from('ipv4')).toEqual(['192.168.122.193/32']);
    expect(from('ipv6')).toEqual(['fd77::193/128']);
  });
});
