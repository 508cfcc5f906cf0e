import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKWALL_BUNDLE,
  legacyIptablesDir,
  labGate,
  probeTcp,
  startWebHost,
  type Dockerd,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const gate = await labGate();

const POLICY = `dockwall: 1
filter:
  interfaces: [eth0]
  otherwise: reject
  allow:
    - name: web
      ports: [8000]
      sources: [192.168.122.193]
`;

/**
 * Issue 11, item 11: dockerd writes its rules with iptables-legacy while the `iptables` command is
 * nf_tables (fixture 09's host). A plan from the nf_tables dump creates a DOCKER-USER that FORWARD
 * never reaches; dockwall must say so on a dump, and on the live host plan in the legacy tables.
 */
describe.skipIf(gate.skip)('Docker writing to the legacy tables while iptables is nf_tables', () => {
  let lab: Lab;
  let docker: LabHost;
  let host2: LabHost;
  let host3: LabHost;
  let dockerd: Dockerd;
  let policy: string;

  const dockwall = async (args: string[]) => {
    const env = [`DOCKER_HOST=unix://${dockerd.socketPath}`, 'NO_COLOR=1'];
    return lab.exec(docker, ['env', ...env, process.execPath, DOCKWALL_BUNDLE, ...args], {
      timeoutMs: 120_000,
    });
  };
  const outcomes = async () => ({
    host2: await probeTcp(lab, host2, '192.168.122.190', 8000),
    host3: await probeTcp(lab, host3, '192.168.122.190', 8000),
  });

  beforeAll(async () => {
    gate.assertAvailable();
    // dockerd finds `iptables` first in the lab's legacy-bin: the legacy tools under the plain names.
    ({ lab, docker, host2, host3, dockerd } = await startWebHost({
      dockerd: (made) => ({ pathPrefix: [legacyIptablesDir(made.dir)] }),
    }));
    // Some other program used iptables (nf_tables) on this host too, as on fixture 09's host: its
    // tables exist, and iptables-nft-save then mentions the legacy tables.
    await lab.execChecked(docker, ['iptables-nft', '-w', '-P', 'OUTPUT', 'ACCEPT']);
    await lab.execChecked(docker, ['iptables-nft', '-w', '-t', 'nat', '-P', 'OUTPUT', 'ACCEPT']);
    policy = join(lab.dir, 'policy.yaml');
    writeFileSync(policy, POLICY);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it("before: Docker's chains are only in the legacy tables, and port 8000 is open to everyone", async () => {
    expect((await lab.execChecked(docker, ['iptables-legacy-save', '-t', 'filter'])).stdout).toContain(
      ':DOCKER-USER',
    );
    const nft = await lab.execChecked(docker, ['iptables-nft-save']);
    expect(nft.stderr).toContain('# Warning: iptables-legacy tables present');
    expect(nft.stdout).not.toContain(':DOCKER');
    expect(await outcomes()).toEqual({ host2: 'open', host3: 'open' });
  });

  it('a plan from the nf_tables dump warns that DOCKER-USER would not be reached', async () => {
    const nft = await lab.execChecked(docker, ['iptables-nft-save']);
    // `iptables-nft-save > FILE`: the legacy warning went to the terminal, not into the file.
    const plain = join(lab.dir, 'nft.iptables-save');
    writeFileSync(plain, nft.stdout);
    const r = await dockwall(['plan', '-f', policy, '--state', plain]);
    expect(r.stderr).toContain('warning[plan.docker-user-unreached]');
    // `iptables-nft-save > FILE 2>&1` (fixture 09): the dump itself says so.
    const both = join(lab.dir, 'nft-with-warning.iptables-save');
    writeFileSync(both, nft.stderr + nft.stdout);
    const w = await dockwall(['plan', '-f', policy, '--state', both]);
    expect(w.stderr).toContain('warning[state.other-variant-tables]');
  });

  it('apply on the live host writes to the legacy tables, and the filter works there', async () => {
    const r = await dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('[host.variant-mismatch]');
    expect((await lab.execChecked(docker, ['iptables-legacy-save', '-t', 'filter'])).stdout).toContain(
      'dockwall:filter/web',
    );
    expect((await lab.execChecked(docker, ['iptables-nft-save'])).stdout).not.toContain('dockwall:');
    expect(await outcomes()).toEqual({ host2: 'open', host3: 'refused' });
    const status = await dockwall(['status', '-f', policy]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
  });
});
