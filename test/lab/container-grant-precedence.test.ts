import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labGate } from './helpers/index.js';
import { createSeedLab, repoText, type SeedLab } from './seed-scenario.js';

const gate = await labGate();

/**
 * The bundled example (8000 from allowed_hosts = host 2 only, ssh for all) plus a `containers:` grant
 * of the web container to host 3. The grant is more specific, so it must take effect although the
 * shared filter does not list host 3; host 2, which the filter lists but no grant takes, is refused
 * (deny_unlisted_published). `check` and `audit` simulate the compiled rules and must say the same
 * as the traffic.
 */
describe.skipIf(gate.skip)(
  'containers: grants take effect before the shared filter, with real traffic',
  () => {
    let s: SeedLab;
    let policy: string;

    beforeAll(async () => {
      gate.assertAvailable();
      s = await createSeedLab();
      const example = repoText('examples/firewalling-docker.yaml');
      const grant = [
        'containers:',
        '  - name: web-host3',
        '    container: web',
        `    sources: [${s.host3.address}]`,
        '',
        'ipv4:',
      ].join('\n');
      // The example's own expectations about port 8000 say the opposite of the grant: replace them.
      const expectations = [
        'expect:',
        '  - name: host 3 reaches the web server through the grant',
        `    from: ${s.host3.address}`,
        '    to: 192.168.122.190:8000/tcp',
        '    in: eth0',
        '    verdict: accept',
        '  - name: host 2 is refused, the filter lists it but no grant takes it',
        `    from: ${s.host2.address}`,
        '    to: 192.168.122.190:8000/tcp',
        '    in: eth0',
        '    verdict: reject',
        '',
      ].join('\n');
      policy = s.file(
        'grant.yaml',
        example.replace(/^ipv4:$/m, grant).replace(/^expect:[\s\S]*$/m, expectations),
      );
    });
    afterAll(async () => {
      await s?.lab.destroy();
    });

    it('plan names the grant that overrides the filter and the filter entry that deny_unlisted overrides', async () => {
      const r = await s.dockwall(['plan', '-f', policy]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `\`containers:\` entry \`web-host3\` lets ${s.host3.address} reach published port 8000/tcp (ipv4), which the shared filter`,
      );
      expect(r.stderr).toMatch(/filter entry `web` allows 8000\/tcp, but container web publishes that port/);
      // The grant's only source is IPv4: nothing is said about IPv6.
      expect(r.stderr).not.toContain('8000/tcp (ipv6)');
    });

    it('after apply: host 3 reaches 8000 through the grant, host 2 is refused; ssh and the database as before', async () => {
      const r = await s.dockwall(['apply', '-f', policy, '--yes', '--state-dir', s.stateDir]);
      expect(r.code, r.stderr).toBe(0);
      const o = await s.outcomes();
      expect(o).toMatchObject({ host2: 'refused', other: 'open', ssh: 'open', db: 'refused' });
    });

    it('check and audit on the live host agree with the traffic', async () => {
      const check = await s.dockwall(['check', '-f', policy]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toContain('2 of 2 expectations hold.');
      const audit = await s.dockwall(['audit', '--json']);
      expect(audit.code, audit.stderr).toBe(0);
      const report = JSON.parse(audit.stdout) as {
        destinations: Array<{ destination: { family: string; hostPort: number }; reachableFrom: string[] }>;
      };
      const web = report.destinations.find(
        (d) => d.destination.family === 'ipv4' && d.destination.hostPort === 8000,
      );
      expect(web?.reachableFrom).toEqual([`${s.host3.address}/32`]);
    });
  },
);
