import { applyDesired } from '../src/apply/index.js';
import { CliContext } from '../src/cli/context.js';
import { hostApplyPorts } from '../src/cli/host-ports.js';
import { readLiveState } from '../src/cli/live.js';
import { makePaint } from '../src/cli/output.js';
import { compileDesired } from '../src/compile/index.js';
import { createRunner, type Runner } from '../src/host/index.js';
import { planChanges } from '../src/plan/index.js';
import { loadPolicy } from '../src/policy/index.js';
import { createSeedLab, repoText } from '../test/lab/seed-scenario.js';
import { seedWatchPolicy } from '../test/lab/watch-process.js';

const s = await createSeedLab();
try {
  const text = seedWatchPolicy(repoText('examples/firewalling-docker.yaml'));
  const desired = compileDesired(loadPolicy(text, 'p.yaml').value!);
  const base = createRunner({ wrap: ['nsenter', `--net=/run/netns/${s.docker.netns}`], timeoutMs: 30_000 });
  const log: Array<[string, number]> = [];
  const runner: Runner = { wrap: base.wrap, run: async (argv, o) => { const t = performance.now(); const r = await base.run(argv, o); log.push([argv.join(' ').slice(0, 60), performance.now() - t]); return r; } };
  const ctx = new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
  const variant = 'nf_tables' as const;
  const time = async (what: string, fn: () => Promise<unknown>) => { log.length = 0; const t = performance.now(); await fn(); console.log(`${what}: ${(performance.now() - t).toFixed(0)} ms, ${log.length} commands: ${log.map(([a, ms]) => `${a.split(' ').slice(0, 3).join(' ')}=${ms.toFixed(0)}`).join(', ')}`); };
  // Apply once.
  await applyDesired(hostApplyPorts(ctx, runner, variant, desired), desired, {});
  for (let i = 0; i < 3; i++) {
    await time('read (chains)', () => readLiveState(ctx, desired, { runner, variant }));
    await time('read (full)', () => readLiveState(ctx, desired, { runner, variant, full: true }));
    const st = await readLiveState(ctx, desired, { runner, variant });
    let t = performance.now();
    for (let k = 0; k < 10; k++) planChanges(st, desired, { families: desired.families });
    console.log(`plan: ${((performance.now() - t) / 10).toFixed(1)} ms`);
    t = performance.now();
    for (let k = 0; k < 10; k++) compileDesired(loadPolicy(text, 'p.yaml').value!);
    console.log(`load+compile: ${((performance.now() - t) / 10).toFixed(1)} ms`);
    // Break it like dockerd does: move our FORWARD rule to the end.
    console.log((await s.lab.execChecked(s.docker, ['iptables', '-S', 'FORWARD'])).stdout);
    await s.lab.execChecked(s.docker, ['sh', '-c', "iptables -D FORWARD 1 && iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment dockwall:forward_established -j ACCEPT"]);
    console.log((await s.lab.execChecked(s.docker, ['iptables', '-S', 'FORWARD'])).stdout);
    await time('reconcile (chains read, one move)', async () => {
      const state = await readLiveState(ctx, desired, { runner, variant });
      const plan = planChanges(state, desired, { families: desired.families });
      console.log(JSON.stringify(plan.operations));
      await applyDesired(hostApplyPorts(ctx, runner, variant, desired), desired, { first: { state, plan } });
    });
  }
} finally {
  await s.lab.destroy();
}
