import { writeFileSync } from 'node:fs';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * watch and the user's own decisions: a `--confirm` window is the user's (watch stands back until it
 * ends), and a policy the user rolled back or did not confirm is not put back by watch; `rollback`
 * undoes the user's last apply, never watch's repairs.
 */
describe.skipIf(gate.skip)('watch against --confirm and rollback', () => {
  let lab: Lab;
  let fw: LabHost;
  let stateDir: string;
  let file: string;
  let watch: DockwallProcess;
  const states: string[] = [];

  const startWatch = () =>
    spawnDockwall(
      lab,
      fw,
      ['watch', '-f', file, '--log-format', 'json', '--interval', '300', '--state-dir', stateDir],
      { DOCKER_HOST: `unix://${join(lab.dir, 'no-docker.sock')}` },
    );
  const dockwall = (args: string[]) => lab.runDockwall(fw, args, { timeoutMs: 120_000 });
  const now = () => firewallText(lab, fw);
  const watchLog = () => watch.stdout();
  /** The firewall `variant`'s policy makes, from the state before any dockwall. */
  const stateOf = (variant: number) => states[variant]!;

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.80.0.1/24', extraAddresses: ['fd80::1/64'] });
    stateDir = join(lab.dir, 'state');
    file = join(lab.dir, 'policy.yaml');
    // Learn what each variant looks like in the kernel (an apply of each, in a state dir of its own).
    for (const v of [1, 2, 3]) {
      writeFileSync(file, smallPolicy(v));
      expect((await dockwall(['apply', '-f', file, '--yes', '--state-dir', `${stateDir}-setup`])).code).toBe(
        0,
      );
      states[v] = await now();
    }
    writeFileSync(file, smallPolicy(1));
    expect((await dockwall(['apply', '-f', file, '--yes', '--state-dir', stateDir])).code).toBe(0);
    expect(await now()).toBe(stateOf(1));
    watch = startWatch();
    await watch.waitFor('"msg":"watching');
  });
  afterAll(async () => {
    try {
      process.kill(watch.pid, 'SIGTERM');
    } catch {
      // Gone.
    }
    await lab?.destroy();
  });

  it('during a --confirm window watch does not repair; after the revert it does not put the unconfirmed policy back', async () => {
    writeFileSync(file, smallPolicy(2));
    const p = await applyWithConfirm(lab, fw, file, 3, stateDir);
    // watch still enforces variant 1 (no SIGHUP yet) and sees drift, but the window is the user's.
    await watch.waitFor(/waits for confirmation until .*repairs wait/);
    for (let i = 0; i < 5; i++) {
      expect(await now()).toBe(stateOf(2));
      await sleep(300);
    }
    expect((await p.exited).code).toBe(1);
    expect(await now()).toBe(stateOf(1));
    // watch reloads the file: the policy that was not confirmed. It is not put back.
    process.kill(watch.pid, 'SIGHUP');
    await watch.waitFor(/not confirmed, and reverted .*does not put that policy back/);
    await sleep(1_500);
    expect(await now()).toBe(stateOf(1));
    // A corrected file lifts the hold.
    writeFileSync(file, smallPolicy(3));
    process.kill(watch.pid, 'SIGHUP');
    await watch.waitFor('repairs resume');
    for (let i = 0; i < 50 && (await now()) !== stateOf(3); i++) await sleep(200);
    expect(await now()).toBe(stateOf(3));
  }, 90_000);

  it("rollback undoes the user's apply, not watch's repair since, and watch does not put the rolled-back policy back", async () => {
    // The user stops watch, applies a new policy and starts watch on it again.
    process.kill(watch.pid, 'SIGTERM');
    await watch.exited;
    writeFileSync(file, smallPolicy(1));
    expect((await dockwall(['apply', '-f', file, '--yes', '--state-dir', stateDir])).code).toBe(0);
    watch = startWatch();
    await watch.waitFor('"msg":"watching');
    // Drift: someone deletes dockwall's web rule; watch repairs it.
    const repairsBefore = 0;
    const rule = (await lab.execChecked(fw, ['iptables', '-S', 'INPUT'])).stdout
      .split('\n')
      .find((l) => l.includes('dockwall:web'))!;
    await lab.execChecked(fw, ['iptables', ...rule.replace(/^-A /, '-D ').replace(/"/g, '').split(' ')]);
    for (let i = 0; i < 50 && (watchLog().match(/restored the policy/g) ?? []).length === repairsBefore; i++)
      await sleep(200);
    expect(await now()).toBe(stateOf(1));
    // rollback: back to before the user's apply (variant 3), not to before the repair.
    const back = await dockwall(['rollback', '--yes', '--state-dir', stateDir]);
    expect(back.code, back.stderr).toBe(0);
    expect(await now()).toBe(stateOf(3));
    await watch.waitFor(/was rolled back at .*does not put that policy back/);
    await sleep(1_500);
    expect(await now()).toBe(stateOf(3));
    // The next apply of that policy is the user's decision again: watch keeps it from then on.
    expect((await dockwall(['apply', '-f', file, '--yes', '--state-dir', stateDir])).code).toBe(0);
    expect(await now()).toBe(stateOf(1));
    await lab.execChecked(fw, ['iptables', '-P', 'INPUT', 'ACCEPT']);
    await lab.execChecked(fw, ['ip6tables', '-F', 'INPUT']);
    for (let i = 0; i < 50 && (await now()) !== stateOf(1); i++) await sleep(200);
    expect(await now()).toBe(stateOf(1));
  }, 90_000);
});
