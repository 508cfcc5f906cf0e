import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/apply/index.js';
import { createLab, labGate, type Lab, type LabHost } from './helpers/index.js';
import { firewallText, spawnDockwall } from './dockwall-process.js';

const gate = await labGate();

/**
 * A dual-stack policy with sets, every kind of step in its apply: 1,000 rules per family in chains
 * dockwall owns, set contents swapped (friends, allow4), a set of 20,000 members from a file changed
 * in place in 10 of them (block: its undo record is those changes), a set created (new only) and one
 * destroyed (old only), rules in INPUT of both families.
 */
function policy(version: 'old' | 'new'): string {
  const n = version === 'new' ? 1000 : 100;
  const port = version === 'new' ? 2000 : 1000;
  const v4 = Array.from(
    { length: n },
    (_, i) =>
      `        - r${i}: -s 10.${100 + (i >> 8)}.${i & 255}.0/24 -p tcp --dport ${port + (i % 500)} -j ACCEPT`,
  );
  const v6 = Array.from(
    { length: n },
    (_, i) => `        - r${i}: -s fd00:${i.toString(16)}::/64 -p tcp --dport ${port + (i % 500)} -j ACCEPT`,
  );
  const friends = Array.from(
    { length: version === 'new' ? 60 : 40 },
    (_, i) => `10.0.${version === 'new' ? 1 : 0}.${i + 1}`,
  );
  const allow = Array.from(
    { length: version === 'new' ? 150 : 100 },
    (_, i) => `10.${version === 'new' ? 2 : 1}.${i}.0/24`,
  );
  const sets = [
    'ipsets:',
    `  friends: { type: hash:ip, members: [${friends.join(', ')}] }`,
    `  allow4: { type: hash:net, members: [${allow.join(', ')}] }`,
    `  block: { type: hash:net, members_from: block-${version}.netset }`,
    version === 'new'
      ? '  extra: { type: hash:ip, members: [192.0.2.7] }'
      : '  gone: { type: hash:ip, members: [198.51.100.9] }',
  ];
  const input4 = [
    '    INPUT:',
    '      rules:',
    '        - bulk: -j DOCKWALL-BULK',
    '        - friends: -m set --match-set friends src -j ACCEPT',
    '        - allow: -m set --match-set allow4 src -p tcp --dport 443 -j ACCEPT',
    version === 'new'
      ? '        - extra: -m set --match-set extra src -j DROP'
      : '        - gone: -m set --match-set gone src -j DROP',
  ];
  return [
    'dockwall: 1',
    ...sets,
    'ipv4:',
    '  filter:',
    ...input4,
    '    DOCKWALL-BULK:',
    '      rules:',
    ...v4,
    'ipv6:',
    '  filter:',
    '    INPUT:',
    '      rules:',
    '        - bulk: -j DOCKWALL-BULK',
    '    DOCKWALL-BULK:',
    '      rules:',
    ...v6,
    '',
  ].join('\n');
}

/** 20,000 networks; the new list has 10 others in place of its first 10. */
function blockList(version: 'old' | 'new'): string {
  const nets = Array.from(
    { length: 20_000 },
    (_, i) => `100.${64 + (i >> 12)}.${(i >> 4) & 255}.${(i & 15) << 4}/28`,
  );
  const list =
    version === 'new'
      ? [...nets.slice(10), ...Array.from({ length: 10 }, (_, i) => `198.18.${i}.0/24`)]
      : nets;
  return `# block list (${version})\n${list.join('\n')}\n`;
}

/** The steps of an apply a test can stop it at (DOCKWALL_TEST_PAUSE_AT), in order. */
const STEPS = [
  'journal-written',
  'ipset-create',
  'ipset-swap',
  'iptables-ipv4',
  'iptables-ipv6',
  'kernel-done',
  'applied',
  'snapshot-saved',
];
const TRIALS = 25;
/** Named steps after which the next command is rollback (after the others: status, then rollback). */
const ROLLBACK_NEXT = new Set(['ipset-swap', 'iptables-ipv6', 'kernel-done']);

describe.skipIf(gate.skip)(
  'kill -9 anywhere in an apply: the next command leaves it wholly old or wholly new',
  () => {
    let lab: Lab;
    let fw: LabHost;
    let oldFile: string;
    let newFile: string;
    let stateDir: string;
    let OLD: string;
    let NEW: string;
    let applyMs = 0;

    const dockwall = (args: string[]) => lab.runDockwall(fw, args, { timeoutMs: 120_000 });
    const now = () => firewallText(lab, fw);

    beforeAll(async () => {
      gate.assertAvailable();
      lab = await createLab();
      fw = await lab.addHost('fw', { address: '10.78.0.1/24', extraAddresses: ['fd78::1/64'] });
      oldFile = join(lab.dir, 'old.yaml');
      newFile = join(lab.dir, 'new.yaml');
      writeFileSync(oldFile, policy('old'));
      writeFileSync(newFile, policy('new'));
      writeFileSync(join(lab.dir, 'block-old.netset'), blockList('old'));
      writeFileSync(join(lab.dir, 'block-new.netset'), blockList('new'));
      stateDir = join(lab.dir, 'state');
      const a = await dockwall(['apply', '-f', oldFile, '--yes', '--state-dir', stateDir]);
      expect(a.code, a.stderr).toBe(0);
      OLD = await now();
      const t0 = Date.now();
      const b = await dockwall(['apply', '-f', newFile, '--yes', '--state-dir', stateDir]);
      applyMs = Date.now() - t0;
      expect(b.code, b.stderr).toBe(0);
      NEW = await now();
      expect(NEW).not.toBe(OLD);
      // The set changed in place is recorded by its 10 + 10 changed members, not its 20,000.
      const snap = JSON.parse(readFileSync(join(stateDir, 'last-snapshot.json'), 'utf8')) as Snapshot;
      expect(snap.formatVersion).toBe(2);
      const block = snap.sets.find((x) => x.name === 'block')!;
      expect(block.set!.members).toEqual([]);
      expect(block.changes!.map((c) => [c.added.length, c.removed.length])).toEqual([[10, 10]]);
      const back = await dockwall(['rollback', '--yes', '--state-dir', stateDir]);
      expect(back.code, back.stderr).toBe(0);
      expect(await now()).toBe(OLD);
    });
    afterAll(async () => {
      await lab?.destroy();
    });

    it(`${TRIALS} kills at named steps and at random moments: 0 mixed, and rollback goes back exactly to the old state`, async () => {
      const outcomes: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const step = trial < STEPS.length ? STEPS[trial] : undefined;
        // Random moments spread over the whole command, from start-up and planning to the last write.
        const delay = Math.floor(Math.random() * applyMs * 1.1);
        const env: Record<string, string> = step ? { DOCKWALL_TEST_PAUSE_AT: step } : {};
        const p = spawnDockwall(lab, fw, ['apply', '-f', newFile, '--yes', '--state-dir', stateDir], env);
        if (step) await p.waitFor(`test pause at ${step}`);
        else await Promise.race([new Promise((r) => setTimeout(r, delay)), p.exited]);
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // It had finished.
        }
        await p.exited;
        // The next command: status (reports) or rollback (undoes) – both settle what was left first.
        const next = (step ? ROLLBACK_NEXT.has(step) : trial % 2 === 1) ? 'rollback' : 'status';
        const r =
          next === 'status'
            ? await dockwall(['status', '-f', newFile, '--state-dir', stateDir])
            : await dockwall(['rollback', '--yes', '--state-dir', stateDir]);
        const after = await now();
        const outcome = after === OLD ? 'old' : after === NEW ? 'new' : 'mixed';
        outcomes.push(`${step ?? `${delay} ms`} → ${next}: ${outcome}`);
        expect(
          outcome,
          `trial ${trial} (${step ?? `${delay} ms`}), ${next} said:\n${r.stdout}\n${r.stderr}`,
        ).not.toBe('mixed');
        expect(existsSync(join(stateDir, 'journal.json'))).toBe(false);
        // Rollback never reaches past the interrupted apply: back to exactly the old state, from either.
        if (next === 'status') {
          const back = await dockwall(['rollback', '--yes', '--state-dir', stateDir]);
          expect([0, 1]).toContain(back.code);
          // From the old state there is nothing of this apply to undo, and nothing before it is touched.
          if (outcome === 'old') {
            expect(back.code).toBe(1);
            expect(back.stderr).toMatch(/nothing to roll back|rolled back already/);
          }
        }
        expect(await now(), `trial ${trial}: ${outcomes.at(-1)}`).toBe(OLD);
      }
      // The named steps stopped it between sets and families, before and after its snapshot was saved.
      expect(outcomes.slice(0, STEPS.length).map((o) => o.split(' → ')[0])).toEqual(STEPS);
      expect(outcomes.filter((o) => o.endsWith('status: new')).length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o.endsWith('status: old')).length).toBeGreaterThan(0);
    }, 600_000);
  },
);
