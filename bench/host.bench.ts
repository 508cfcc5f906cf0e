import { applyDesired } from '../src/apply/index.js';
import { CliContext } from '../src/cli/context.js';
import { hostApplyPorts } from '../src/cli/host-ports.js';
import { readLiveState } from '../src/cli/live.js';
import { makePaint } from '../src/cli/output.js';
import { compileDesired } from '../src/compile/index.js';
import { createRunner } from '../src/host/index.js';
import { loadPolicy } from '../src/policy/index.js';
import { ownedChainPolicyYaml, ownedPolicyYaml, ownedRuleBody, syntheticDump } from './synthetic-dump.js';
import { fmt, type Row } from './timing.js';
import { benchNetns, median, time, timeAsync } from './bench-netns.js';

const ns = benchNetns('dwbench');
const inNs = ns.inNs;
const freshNs = ns.fresh;
const RUNS = 3;

function quietCtx(): CliContext {
  return new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
}

/**
 * Applying N new rules: dockwall vs one iptables call per rule vs a bare iptables-restore --noflush.
 * `shape`: the rules straight in INPUT (as pyfw writes them), or in a chain of dockwall's own entered
 * by one jump from INPUT (as dockwall's filter and containers entries are compiled).
 */
async function applyRows(
  n: number,
  variant: 'nf_tables' | 'legacy',
  shape: 'input' | 'chain',
): Promise<Row[]> {
  const bin = variant === 'legacy' ? 'iptables-legacy' : 'iptables-nft';
  const chain = shape === 'input' ? 'INPUT' : 'DOCKWALL-BENCH';
  const yaml = shape === 'input' ? ownedPolicyYaml(n) : ownedChainPolicyYaml(n);
  const policy = loadPolicy(yaml, 'bench.yaml').value!;
  const desired = compileDesired(policy);
  const runner = createRunner({ wrap: ['ip', 'netns', 'exec', ns.name], timeoutMs: 600_000 });
  const ctx = quietCtx();

  // One untimed apply first, so the timed ones do not include compiling dockwall's own code.
  freshNs();
  await applyDesired(hostApplyPorts(ctx, runner, variant, desired), desired, {});
  const dockwallRuns: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    freshNs();
    dockwallRuns.push(
      await timeAsync(() => applyDesired(hostApplyPorts(ctx, runner, variant, desired), desired, {})),
    );
    const count = inNs([`${bin}-save`, '-t', 'filter'])
      .split('\n')
      .filter((l) => l.startsWith(`-A ${chain} -s`)).length;
    if (count !== n) throw new Error(`bench: dockwall applied ${count} rules, expected ${n}`);
  }
  const dockwallMs = median(dockwallRuns);

  // The same lines dockwall writes.
  const script = [
    '*filter',
    ...(shape === 'chain' ? [`:${chain} - [0:0]`] : []),
    ...Array.from({ length: n }, (_, i) => `-A ${chain} ${ownedRuleBody(i)}`),
    ...(shape === 'chain' ? [`-A INPUT -m comment --comment dockwall:bench -j ${chain}`] : []),
    'COMMIT',
    '',
  ].join('\n');
  const bareRuns: number[] = [];
  const floorRuns: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    freshNs();
    bareRuns.push(time(() => inNs([`${bin}-restore`, '--noflush', '--wait'], script)));
    // The least a verified apply can do with these tools: restore, then read back INPUT (the chain
    // others share; a declared chain is known exactly once the transaction commits).
    freshNs();
    floorRuns.push(
      time(() => {
        inNs([`${bin}-restore`, '--noflush', '--wait'], script);
        inNs([bin, '-w', '-t', 'filter', '-S', 'INPUT']);
      }),
    );
  }
  const bareMs = median(bareRuns);
  const floorMs = median(floorRuns);

  let perRuleMs: number | undefined;
  const perRuleN = Math.min(n, 1000);
  freshNs();
  perRuleMs = time(() => {
    if (shape === 'chain') inNs([bin, '-w', '-N', chain]);
    for (let i = 0; i < perRuleN; i++) inNs([bin, '-w', '-A', chain, ...ownedRuleBody(i).split(' ')]);
    if (shape === 'chain') inNs([bin, '-w', '-A', 'INPUT', '-j', chain]);
  });
  perRuleMs = (perRuleMs * n) / perRuleN;
  const note = perRuleN < n ? ` (measured on ${perRuleN}, scaled)` : '';
  return [
    {
      what: `apply ${n.toLocaleString('en')} new rules ${shape === 'input' ? 'in INPUT' : 'in a chain of its own'} (${variant}): dockwall`,
      value: fmt(dockwallMs),
      note: `read + plan + restore + read back + plan (median of ${RUNS})`,
    },
    {
      what: `… bare iptables-restore --noflush`,
      value: fmt(bareMs),
      note: `dockwall / bare = ${(dockwallMs / bareMs).toFixed(2)}`,
    },
    {
      what: `… bare restore, then the chain read back (the floor of a verified apply)`,
      value: fmt(floorMs),
      note: `floor / bare = ${(floorMs / bareMs).toFixed(2)}; dockwall / floor = ${(dockwallMs / floorMs).toFixed(2)}`,
    },
    {
      what: `… one iptables call per rule`,
      value: fmt(perRuleMs),
      note: `per-rule / dockwall = ${(perRuleMs / dockwallMs).toFixed(0)}×${note}`,
    },
  ];
}

const DUAL_STACK_POLICY = `dockwall: 1
filter:
  interfaces: [eth0]
  allow:
    - { name: ssh, ports: [22] }
ipv4:
  nat:
    POSTROUTING:
      rules:
        - masq: -s 10.9.0.0/16 -o eth0 -j MASQUERADE
ipv6:
  nat:
    POSTROUTING:
      rules:
        - masq: -s fd00::/64 -o eth0 -j MASQUERADE
`;

/** Reading only dockwall's chains on a host whose tables hold 100,000 other rules. */
async function readRows(dump: string): Promise<Row[]> {
  const policy = loadPolicy(ownedPolicyYaml(1000), 'bench.yaml').value!;
  const desired = compileDesired(policy);
  const runner = createRunner({ wrap: ['ip', 'netns', 'exec', ns.name], timeoutMs: 600_000 });
  const rows: Row[] = [];
  for (const others of [0, 100_000]) {
    freshNs();
    const text = others === 0 ? syntheticDump(0, 1000) : dump;
    inNs(['iptables-nft-restore', '--noflush'], text);
    const readMs = await timeAsync(() =>
      readLiveState(quietCtx(), desired, { runner, variant: 'nf_tables' }),
    );
    const fullMs = time(() => inNs(['iptables-nft-save']));
    rows.push({
      what: `read dockwall's chains (1,000 owned), ${others.toLocaleString('en')} other rules (nf_tables)`,
      value: fmt(readMs),
      note: `full iptables-save: ${fmt(fullMs)}`,
    });
  }
  // A dual-stack policy with nat rules: four tables, read side by side (one nft listing per family).
  freshNs();
  inNs(['iptables-nft-restore', '--noflush'], syntheticDump(0, 1000));
  const dual = compileDesired(loadPolicy(DUAL_STACK_POLICY, 'dual.yaml').value!);
  const dualRuns: number[] = [];
  for (let k = 0; k < 7; k++)
    dualRuns.push(await timeAsync(() => readLiveState(quietCtx(), dual, { runner, variant: 'nf_tables' })));
  rows.push({
    what: 'read a dual-stack policy (filter and nat in both families; 1,000 rules in ipv4 INPUT)',
    value: fmt(median(dualRuns)),
    note: 'median of 7; 4 tables, 2 nft listings',
  });
  freshNs();
  inNs(['iptables-legacy-restore', '--noflush'], dump);
  const legacySaveMs = time(() => inNs(['iptables-legacy-save']));
  rows.push({
    what: 'iptables-legacy-save printing the 101,100-rule dump',
    value: fmt(legacySaveMs),
    note: 'the parse target',
  });
  return rows;
}

export async function hostBench(): Promise<Row[]> {
  if (process.getuid?.() !== 0)
    return [{ what: 'host benchmarks', value: 'skipped', note: 'need root (network namespaces)' }];
  try {
    return [
      ...(await readRows(syntheticDump(100_000, 1_000))),
      ...(await applyRows(1000, 'nf_tables', 'input')),
      ...(await applyRows(1000, 'nf_tables', 'chain')),
      ...(await applyRows(10_000, 'nf_tables', 'input')),
      ...(await applyRows(10_000, 'nf_tables', 'chain')),
      ...(await applyRows(1000, 'legacy', 'input')),
      ...(await applyRows(1000, 'legacy', 'chain')),
    ];
  } finally {
    ns.remove();
  }
}
