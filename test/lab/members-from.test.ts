import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, labGate, probeTcp, startHostServices, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

/**
 * A 100,000-line blocklist file (FireHOL style: comments, blank lines, one address or network a
 * line) loaded with `members_from`: the kernel refuses the listed host and lets the unlisted one in;
 * changing one line of the file changes one member of the live set, in place (no reload: the set
 * keeps its hash seed, which a swapped-in copy would not).
 */
const POLICY = [
  'dockwall: 1',
  'ipsets:',
  '  blocklist:',
  '    type: hash:net',
  '    options: { maxelem: 200000 }',
  '    members_from: lists/blocklist.netset',
  'ipv4:',
  '  filter:',
  '    INPUT:',
  '      rules:',
  '        - blocked: -m set --match-set blocklist src -p tcp -j REJECT --reject-with tcp-reset',
  '',
].join('\n');

/** 99,999 networks outside the lab's 10.78.0.0/24, and `listed` among them. */
function blocklist(listed: string): string {
  const lines = ['#', '# blocklist: a test list in FireHOL netset format', '#', ''];
  for (let i = 0; i < 99_999; i++) {
    // Unique members: host addresses and /30 networks.
    lines.push(
      i % 2 === 0
        ? `172.${16 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255}`
        : `100.${64 + ((i >> 14) & 63)}.${(i >> 6) & 255}.${(i & 63) << 2}/30`,
    );
    if (i === 50_000) lines.push(listed);
  }
  return lines.join('\n') + '\n';
}

describe.skipIf(gate.skip)(
  'members_from: a 100,000-line set file, applied and probed with real traffic',
  () => {
    let lab: Lab;
    let fw: LabHost;
    let host2: LabHost;
    let host3: LabHost;
    let policy: string;
    let list: string;

    const dockwall = (args: string[]) => lab.runDockwall(fw, args, { timeoutMs: 180_000 });
    const apply = () => dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')]);
    const web = async () => ({
      host2: await probeTcp(lab, host2, '10.78.0.1', 8080),
      host3: await probeTcp(lab, host3, '10.78.0.1', 8080),
    });
    const header = async () => (await lab.execChecked(fw, ['ipset', 'list', '-t', 'blocklist'])).stdout;

    beforeAll(async () => {
      gate.assertAvailable();
      lab = await createLab();
      fw = await lab.addHost('fw', { address: '10.78.0.1/24' });
      host2 = await lab.addHost('host2', { address: '10.78.0.2/24' });
      host3 = await lab.addHost('host3', { address: '10.78.0.3/24' });
      await startHostServices(lab, fw, [8080]);
      await lab.execChecked(fw, ['mkdir', '-p', join(lab.dir, 'lists')]);
      policy = join(lab.dir, 'blocklist.yaml');
      list = join(lab.dir, 'lists', 'blocklist.netset');
      writeFileSync(policy, POLICY);
      writeFileSync(list, blocklist('10.78.0.2'));
    });
    afterAll(async () => {
      await lab?.destroy();
    });

    it('the listed host is refused, the unlisted one gets in; all 100,000 members are in the kernel', async () => {
      expect(await web()).toEqual({ host2: 'open', host3: 'open' });
      const r = await apply();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await web()).toEqual({ host2: 'refused', host3: 'open' });
      expect(await header()).toMatch(/^Number of entries: 100000$/m);
      expect((await dockwall(['status', '-f', policy])).code).toBe(0);
    });

    it('one changed line is one member deleted and one added, in the same set; traffic follows', async () => {
      const seed = (await header()).match(/initval (0x[0-9a-f]+)/)?.[1];
      expect(seed).toBeDefined();
      writeFileSync(list, blocklist('10.78.0.3'));
      const plan = await dockwall(['plan', '-f', policy]);
      expect(plan.code).toBe(2);
      expect(plan.stdout).toContain('+ 10.78.0.3');
      expect(plan.stdout).toContain('- 10.78.0.2');
      expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to remove.');
      const r = await apply();
      expect(r.code, r.stderr).toBe(0);
      expect(await web()).toEqual({ host2: 'open', host3: 'refused' });
      const after = await header();
      expect(after).toMatch(/^Number of entries: 100000$/m);
      // The same set, changed in place: a reload would have swapped in a new set with a new seed.
      expect(after).toContain(`initval ${seed}`);
      expect((await dockwall(['plan', '-f', policy])).code).toBe(0);
      // Its undo record is the one member deleted and the one added, not the 100,000 it held.
      const snapshot = readFileSync(join(lab.dir, 'state', 'last-snapshot.json'), 'utf8');
      expect(snapshot.length).toBeLessThan(10_000);
      const back = await dockwall(['rollback', '--yes', '--state-dir', join(lab.dir, 'state')]);
      expect(back.code, back.stderr).toBe(0);
      expect(await web()).toEqual({ host2: 'refused', host3: 'open' });
      expect(await header()).toMatch(/^Number of entries: 100000$/m);
      const again = await apply();
      expect(again.code, again.stderr).toBe(0);
      expect(await web()).toEqual({ host2: 'open', host3: 'refused' });
    });

    it('a bad line is an error naming the file, line and column, and nothing changes', async () => {
      const before = (await lab.execChecked(fw, ['ipset', 'save', 'blocklist'])).stdout;
      writeFileSync(list, blocklist('10.78.0.3') + '  10.78.0.300\n');
      const r = await apply();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${list}:100005:3`);
      expect(r.stderr).toContain('`10.78.0.300` is not an IPv4 address');
      expect((await lab.execChecked(fw, ['ipset', 'save', 'blocklist'])).stdout).toBe(before);
    });
  },
);
