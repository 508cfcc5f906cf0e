import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, labGate, probeTcp, startHostServices, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

/**
 * A set of the whole lab network with one host carved out by `nomatch`, and a member comment: the
 * kernel refuses exactly the carved-out host, dockwall reads the set back as the policy says it
 * (status in sync), and trace on the live host agrees with the traffic.
 */
const policyText = (carved: string) =>
  [
    'dockwall: 1',
    'ipsets:',
    '  lab_net:',
    '    type: hash:net',
    '    options: { comment: true }',
    '    members:',
    `      - '10.78.0.0/24 comment "the lab"'`,
    `      - ${carved} nomatch`,
    'ipv4:',
    '  filter:',
    '    INPUT:',
    '      policy: DROP',
    '      rules:',
    '        - loopback: -i lo -j ACCEPT',
    '        - established: -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '        - ssh: -p tcp --dport 22 -j ACCEPT',
    '        - web: -m set --match-set lab_net src -p tcp --dport 8080 -j ACCEPT',
    '        - refuse: -p tcp -j REJECT --reject-with tcp-reset',
    '',
  ].join('\n');

describe.skipIf(gate.skip)(
  'ipset members with nomatch and comments, applied and probed with real traffic',
  () => {
    let lab: Lab;
    let fw: LabHost;
    let host2: LabHost;
    let host3: LabHost;
    let policy: string;

    const dockwall = (args: string[]) => lab.runDockwall(fw, args, { timeoutMs: 120_000 });
    const web = async () => ({
      host2: await probeTcp(lab, host2, '10.78.0.1', 8080),
      host3: await probeTcp(lab, host3, '10.78.0.1', 8080),
    });

    beforeAll(async () => {
      gate.assertAvailable();
      lab = await createLab();
      fw = await lab.addHost('fw', { address: '10.78.0.1/24' });
      host2 = await lab.addHost('host2', { address: '10.78.0.2/24' });
      host3 = await lab.addHost('host3', { address: '10.78.0.3/24' });
      await startHostServices(lab, fw, [22, 8080]);
      policy = join(lab.dir, 'sets.yaml');
      writeFileSync(policy, policyText('10.78.0.3'));
    });
    afterAll(async () => {
      await lab?.destroy();
    });

    it('the carved-out host is refused, the rest of the network gets in; the set reads back in sync', async () => {
      const applied = await dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')]);
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      expect(await web()).toEqual({ host2: 'open', host3: 'refused' });
      const saved = await lab.execChecked(fw, ['ipset', 'save', 'lab_net']);
      expect(saved.stdout).toContain('add lab_net 10.78.0.3 nomatch\n');
      expect(saved.stdout).toContain('add lab_net 10.78.0.0/24 comment "the lab"\n');
      const status = await dockwall(['status', '-f', policy]);
      expect(status.code).toBe(0);
    });

    it('trace on the live host follows the set as the kernel did', async () => {
      const trace = (from: string) =>
        dockwall(['trace', '--from', from, '--to', '10.78.0.1:8080/tcp', '--in', fw.iface]);
      expect((await trace('10.78.0.2')).stdout).toMatch(/verdict: ACCEPT .*rule 4/);
      expect((await trace('10.78.0.3')).stdout).toMatch(/verdict: REJECT .*rule 5/);
    });

    it('moving the hole is a change to the set only, swapped in at once; then host 2 is the one refused', async () => {
      writeFileSync(policy, policyText('10.78.0.2'));
      const plan = await dockwall(['plan', '-f', policy]);
      expect(plan.code).toBe(2);
      expect(plan.stdout).toContain('+ 10.78.0.2 nomatch');
      expect(plan.stdout).toContain('- 10.78.0.3 nomatch');
      expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to remove.');
      expect(
        (await dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')])).code,
      ).toBe(0);
      expect(await web()).toEqual({ host2: 'refused', host3: 'open' });
      expect((await dockwall(['status', '-f', policy])).code).toBe(0);
    });
  },
);
