import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, labGate, type Lab, type LabHost } from './helpers/index.js';
import {
  applyWithConfirm,
  firewallText,
  smallPolicy,
  spawnDockwall,
  type DockwallProcess,
} from './dockwall-process.js';

const gate = await labGate();

const SIGNALS = ['SIGKILL', 'SIGHUP', 'SIGINT', 'SIGTERM'] as const;
const WINDOW_S = 2;

describe.skipIf(gate.skip)('--confirm survives the death of the apply; one lock for every change', () => {
  let lab: Lab;
  let fw: LabHost;
  let stateDir: string;
  let files: string[];

  const dockwall = (args: string[]) => lab.runDockwall(fw, args, { timeoutMs: 120_000 });
  const now = () => firewallText(lab, fw);
  const confirmApply = (file: string, seconds: number) => applyWithConfirm(lab, fw, file, seconds, stateDir);
  const state = (name: string) => JSON.parse(readFileSync(join(stateDir, name), 'utf8'));

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.79.0.1/24', extraAddresses: ['fd79::1/64'] });
    stateDir = join(lab.dir, 'state');
    files = [1, 2, 3].map((v) => {
      const f = join(lab.dir, `p${v}.yaml`);
      writeFileSync(f, smallPolicy(v));
      return f;
    });
    const r = await dockwall(['apply', '-f', files[0]!, '--yes', '--state-dir', stateDir]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('20 of 20: the apply killed (-9, HUP, INT, TERM) inside the window, the previous rules come back exactly by the deadline', async () => {
    const results: string[] = [];
    for (let trial = 0; trial < 20; trial++) {
      const sig = SIGNALS[trial % SIGNALS.length]!;
      const before = await now();
      const file = files[1 + (trial % 2)]!;
      const p = await confirmApply(file, WINDOW_S);
      const deadline = Date.parse(state('pending.json').deadline);
      expect(await now()).not.toBe(before);
      // HUP and INT go to the whole process group (a dropped session, Ctrl-C); -9 and TERM to the apply.
      if (sig === 'SIGHUP' || sig === 'SIGINT') process.kill(-p.pid, sig);
      else process.kill(p.pid, sig);
      await p.exited;
      let restoredAt = 0;
      while (Date.now() < deadline + 15_000) {
        if ((await now()) === before) {
          restoredAt = Date.now();
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      results.push(
        `${sig}: ${restoredAt ? `restored ${restoredAt - deadline} ms after the deadline` : 'NOT restored'}`,
      );
      expect(restoredAt, `${results.at(-1)}\n${p.stdout()}\n${p.stderr()}`).toBeGreaterThan(0);
      // The restore starts at the deadline (a signal: at once), and takes no more than a moment.
      expect(restoredAt - deadline).toBeLessThan(3_000);
      if (sig !== 'SIGKILL') expect(p.stderr()).toContain(`${sig} during the confirmation window`);
      // Stays restored: nothing acts on it later.
      await waitUntilNoPending(stateDir);
      expect(await now()).toBe(before);
      expect(state('last-confirm.json')).toMatchObject({ outcome: 'reverted' });
    }
    expect(results.filter((r) => r.includes('NOT'))).toEqual([]);
  }, 600_000);

  it('`dockwall confirm` after the apply died keeps its rules and says so; a second confirm claims nothing', async () => {
    const before = await now();
    const p = await confirmApply(files[1]!, 4);
    const applied = await now();
    expect(applied).not.toBe(before);
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
    const c = await dockwall(['confirm', '--state-dir', stateDir]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(
      /confirmed apply \w+ of .*p2\.yaml: its rules stay \(ipv4 filter INPUT, ipv6 filter INPUT, set friends\)/,
    );
    expect(c.stdout).toMatch(
      /process \d+, which applied it, has exited; the helper process \d+ that was to restore the previous rules at .* was cancelled/,
    );
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await now()).toBe(applied);
    const again = await dockwall(['confirm', '--state-dir', stateDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no apply is waiting for confirmation');
    // Back to the first policy for the next test.
    expect((await dockwall(['apply', '-f', files[0]!, '--yes', '--state-dir', stateDir])).code).toBe(0);
  }, 60_000);

  it('an apply during a confirmation window is refused, saying which apply waits and how to end it', async () => {
    const before = await now();
    const p = await confirmApply(files[1]!, 3);
    const other = await dockwall(['apply', '-f', files[2]!, '--yes', '--state-dir', stateDir]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /apply \w+ of .*p2\.yaml is waiting for confirmation until .*dockwall confirm.*nothing was changed/,
    );
    expect((await p.exited).code).toBe(1);
    expect(await now()).toBe(before);
  }, 60_000);

  it('two applies started together: the second fails naming the holder (exit 4) or, with --wait, waits; no snapshot lost', async () => {
    const base = await now();
    const run = (file: string, extra: string[] = [], env: Record<string, string> = {}) =>
      spawnDockwall(lab, fw, ['apply', '-f', file, '--yes', ...extra, '--state-dir', stateDir], env);
    const codes = async (ps: DockwallProcess[]) => Promise.all(ps.map(async (p) => (await p.exited).code));
    // The first holds the lock (paused 3 s after writing its journal) when the second starts: an
    // apply is fast enough to be over before a second process gets going otherwise.
    const holder = run(files[1]!, [], {
      DOCKWALL_TEST_PAUSE_AT: 'journal-written',
      DOCKWALL_TEST_PAUSE_MS: '3000',
    });
    await holder.waitFor('test pause at journal-written');
    const both = [holder, run(files[2]!)];
    const [c1, c2] = await codes(both);
    expect([c1, c2].sort()).toEqual([0, 4]);
    const loser = both[c1 === 4 ? 0 : 1]!;
    expect(loser.stderr()).toMatch(
      /is locked by process \d+ \(dockwall apply -f .*, since \d{4}-.*\); pass --wait SECONDS/,
    );
    const winnerFile = files[c1 === 0 ? 1 : 2]!;
    // The winner's snapshot is the last one, and undoes exactly the winner.
    expect(state('last-snapshot.json').policyFile).toBe(winnerFile);
    expect((await dockwall(['rollback', '--yes', '--state-dir', stateDir])).code).toBe(0);
    expect(await now()).toBe(base);

    const pausing = run(files[1]!, ['--wait', '60'], {
      DOCKWALL_TEST_PAUSE_AT: 'journal-written',
      DOCKWALL_TEST_PAUSE_MS: '3000',
    });
    await pausing.waitFor('test pause at journal-written');
    const waiting = [pausing, run(files[2]!, ['--wait', '60'])];
    expect(await codes(waiting)).toEqual([0, 0]);
    expect(waiting.some((p) => p.stderr().includes('waiting for the lock'))).toBe(true);
    const second = state('last-snapshot.json').policyFile as string;
    const first = second === files[1] ? files[2]! : files[1]!;
    // Final state: wholly the second policy; rolling it back gives wholly the first, then nothing more.
    expect((await dockwall(['status', '-f', second, '--state-dir', stateDir])).code).toBe(0);
    expect((await dockwall(['rollback', '--yes', '--state-dir', stateDir])).code).toBe(0);
    expect((await dockwall(['status', '-f', first, '--state-dir', stateDir])).code).toBe(0);
  }, 120_000);
});

async function waitUntilNoPending(stateDir: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      readFileSync(join(stateDir, 'pending.json'));
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pending.json stayed');
}
