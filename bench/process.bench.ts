import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownedChainPolicyYaml, ownedRuleBody } from './synthetic-dump.js';

/**
 * Whole processes, as users run them: `node bin/dockwall.js …` (and `node dist/dockwall.cjs …`,
 * the one-file bundle) from start to exit, each run in a network namespace of its own, side by side
 * with pyfw (the seed's Python tool, where PYFW_SRC points) on the same pyfw wishes file in the same
 * run. Needs root and a built dist/ (`npm run build`).
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NS = `dwproc${process.pid}`;
const PYTHON = '/usr/bin/python3';
const NODE = process.execPath;
const BIN = join(ROOT, 'bin/dockwall.js');
const BUNDLE = join(ROOT, 'dist/dockwall.cjs');
const SEED_WISHES = join(ROOT, 'examples/pyfw-wishes-firewalling-docker.yaml');

interface Ran {
  ms: number;
  code: number;
  out: string;
}

function run(argv: string[], opts: { input?: string; env?: Record<string, string> } = {}): Ran {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    input: opts.input,
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw r.error;
  return { ms, code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function must(r: Ran, codes: number[], what: string): Ran {
  if (!codes.includes(r.code)) throw new Error(`bench: ${what} exited ${r.code}:\n${r.out.slice(0, 2000)}`);
  return r;
}

const inNs = (argv: string[]) => ['ip', 'netns', 'exec', NS, ...argv];

/** A fresh host: a new namespace with empty filter tables in both families and an empty nat table. */
function freshHost(): void {
  spawnSync('ip', ['netns', 'del', NS]);
  must(run(['ip', 'netns', 'add', NS]), [0], 'ip netns add');
  for (const argv of [
    ['iptables', '-w', '-P', 'INPUT', 'ACCEPT'],
    ['iptables', '-w', '-t', 'nat', '-P', 'PREROUTING', 'ACCEPT'],
    ['ip6tables', '-w', '-P', 'INPUT', 'ACCEPT'],
  ])
    must(run(inNs(argv)), [0], argv.join(' '));
}

function dropHost(): void {
  spawnSync('ip', ['netns', 'del', NS]);
}

export interface Stats {
  min: number;
  median: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
const fmtStats = (s: Stats) =>
  s.max >= 1000
    ? `${(s.min / 1000).toFixed(2)} / **${(s.median / 1000).toFixed(2)}** / ${(s.max / 1000).toFixed(2)} s`
    : `${Math.round(s.min)} / **${Math.round(s.median)}** / ${Math.round(s.max)} ms`;

interface Tool {
  name: string;
  plan: (wishes: string) => string[];
  apply: (wishes: string) => string[];
  /** Checks the output of a plan on a host where the wishes are already applied: nothing to do. */
  nothingToDo: (r: Ran) => boolean;
}

function dockwallTool(stateDir: string): Tool {
  return {
    name: 'dockwall',
    plan: (w) => inNs([NODE, BIN, 'plan', '-f', w]),
    apply: (w) => inNs([NODE, BIN, 'apply', '-f', w, '--yes', '--state-dir', stateDir]),
    nothingToDo: (r) => r.code === 0,
  };
}

function pyfwTool(): Tool {
  const py = (w: string, more: string[]) =>
    inNs([
      'env',
      `PYTHONPATH=${process.env.PYFW_SRC}`,
      PYTHON,
      '-c',
      'from pyfw import pyfw_main; pyfw_main()',
      '--wishes',
      w,
      ...more,
    ]);
  return {
    name: 'pyfw',
    plan: (w) => py(w, []),
    apply: (w) => py(w, ['--apply']),
    nothingToDo: (r) => r.code === 0 && r.out.includes('no commands needed'),
  };
}

/** Plan on a fresh host, apply, plan again: RUNS rounds, each tool in a namespace of its own. */
function planApplyPlan(tools: Tool[], wishes: string): Map<string, [Stats, Stats, Stats]> {
  const times = new Map(tools.map((t) => [t.name, [[], [], []] as number[][]]));
  // One untimed round each, so that a first start (cold disk cache) counts for no one.
  for (let k = -1; k < RUNS; k++) {
    for (const tool of tools) {
      freshHost();
      const fresh = must(run(tool.plan(wishes)), [0, 2], `${tool.name} plan`);
      const applied = must(run(tool.apply(wishes)), [0], `${tool.name} apply`);
      const again = must(run(tool.plan(wishes)), [0, 2], `${tool.name} plan again`);
      if (!tool.nothingToDo(again))
        throw new Error(
          `bench: ${tool.name} has something left to do after apply:\n${again.out.slice(0, 2000)}`,
        );
      if (k < 0) continue;
      const t = times.get(tool.name)!;
      t[0]!.push(fresh.ms);
      t[1]!.push(applied.ms);
      t[2]!.push(again.ms);
    }
  }
  dropHost();
  return new Map([...times].map(([name, [a, b, c]]) => [name, [stats(a!), stats(b!), stats(c!)]]));
}

/** A pyfw wishes file: `n` rules in a chain BENCH, entered by one jump from INPUT. */
function chainWishes(n: number): string {
  const rules = Array.from(
    { length: n },
    (_, i) => `        - r${i}: '${ownedRuleBody(i).replace(/"dockwall:r(\d+)"/, 'r$1')}'`,
  );
  return [
    'pyfw_wishes:',
    '  iptables:',
    '    filter:',
    '      INPUT:',
    '        rules:',
    "        - bench: '-m comment --comment bench -j BENCH'",
    '      BENCH:',
    '        rules:',
    ...rules,
    '',
  ].join('\n');
}

export interface ProcessRow {
  what: string;
  a: Stats;
  b: Stats;
}

export interface ProcessTables {
  pyfw: ProcessRow[] | string;
  startup: ProcessRow[];
  large: ProcessRow[];
}

function startupRows(): ProcessRow[] {
  const example = 'examples/firewalling-docker.yaml';
  const cases: Array<[string, string[]]> = [
    ['`node -e 0`', [NODE, '-e', '0']],
    ['`dockwall --version` (bin/dockwall.js)', [NODE, BIN, '--version']],
    ['`dockwall --version` (dist/dockwall.cjs)', [NODE, BUNDLE, '--version']],
    ['`dockwall validate` of the example (bin/dockwall.js)', [NODE, BIN, 'validate', '-f', example]],
    ['`dockwall validate` of the example (dist/dockwall.cjs)', [NODE, BUNDLE, 'validate', '-f', example]],
  ];
  const times = cases.map(() => [] as number[]);
  for (let k = -1; k < RUNS * 2; k++)
    cases.forEach(([what, argv], i) => {
      const r = must(run(argv), [0], what);
      if (k >= 0) times[i]!.push(r.ms);
    });
  const base = stats(times[0]!);
  return cases.slice(1).map(([what], i) => ({ what, a: base, b: stats(times[i + 1]!) }));
}

/** 10,000 rules in a chain of dockwall's own: whole-process apply vs a bare restore of the same lines. */
function largeRows(dir: string, stateDir: string): ProcessRow[] {
  const n = 10_000;
  const policy = join(dir, 'rules-10000.yaml');
  writeFileSync(policy, ownedChainPolicyYaml(n));
  const script = [
    '*filter',
    ':DOCKWALL-BENCH - [0:0]',
    ...Array.from({ length: n }, (_, i) => `-A DOCKWALL-BENCH ${ownedRuleBody(i)}`),
    '-A INPUT -m comment --comment dockwall:bench -j DOCKWALL-BENCH',
    'COMMIT',
    '',
  ].join('\n');
  const bare: number[] = [];
  const apply: number[] = [];
  const planAgain: number[] = [];
  const validate: number[] = [];
  for (let k = -1; k < RUNS; k++) {
    freshHost();
    const b = must(run(inNs(['iptables-restore', '-n', '-w']), { input: script }), [0], 'bare restore');
    freshHost();
    const a = must(
      run(inNs([NODE, BIN, 'apply', '-f', policy, '--yes', '--state-dir', stateDir])),
      [0],
      'apply',
    );
    const p = must(run(inNs([NODE, BIN, 'plan', '-f', policy])), [0], 'plan again');
    const v = must(run([NODE, BIN, 'validate', '-f', policy]), [0], 'validate');
    if (k < 0) continue;
    bare.push(b.ms);
    apply.push(a.ms);
    planAgain.push(p.ms);
    validate.push(v.ms);
  }
  dropHost();
  const bareStats = stats(bare);
  return [
    {
      what: '10,000 rules in a chain: `apply` on a fresh host vs bare `iptables-restore -n`',
      a: bareStats,
      b: stats(apply),
    },
    { what: '… `plan` with them present (target: under 0.3 s)', a: bareStats, b: stats(planAgain) },
    { what: '… `validate` of the 10,000-rule policy', a: bareStats, b: stats(validate) },
  ];
}

export function processBench(): ProcessTables {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-bench-'));
  try {
    const stateDir = join(dir, 'state');
    const chain = join(dir, 'pyfw-wishes-1000.yaml');
    writeFileSync(chain, chainWishes(1000));
    const tools = [dockwallTool(stateDir)];
    const havePyfw = !!process.env.PYFW_SRC;
    if (havePyfw) tools.unshift(pyfwTool());
    const seed = planApplyPlan(tools, SEED_WISHES);
    const thousand = planApplyPlan(tools, chain);
    const pyfwRows: ProcessRow[] = [];
    const labels = [
      ["the seed's wishes: plan on a fresh host", '… apply', '… plan again, nothing to do'],
      ['1,000 rules in a chain: plan on a fresh host', '… apply', '… plan again with them present'],
    ];
    [seed, thousand].forEach((res, j) => {
      for (let i = 0; i < 3; i++) {
        const d = res.get('dockwall')![i]!;
        pyfwRows.push({ what: labels[j]![i]!, a: havePyfw ? res.get('pyfw')![i]! : d, b: d });
      }
    });
    return {
      pyfw: havePyfw ? pyfwRows : 'pyfw rows skipped: PYFW_SRC is not set (a checkout of messa/pyfw)',
      startup: startupRows(),
      large: largeRows(dir, stateDir),
    };
  } finally {
    dropHost();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function processTables(t: ProcessTables): string {
  const ratio = (r: ProcessRow) => (r.b.median / r.a.median).toFixed(2);
  const out = [
    `### Whole processes (min / **median** / max of ${RUNS} runs, each in a fresh network namespace)`,
    '',
  ];
  if (typeof t.pyfw === 'string') out.push(t.pyfw, '');
  else
    out.push(
      '| work | pyfw | dockwall (bin/dockwall.js) | dockwall / pyfw |',
      '| --- | --- | --- | --- |',
      ...t.pyfw.map((r) => `| ${r.what} | ${fmtStats(r.a)} | ${fmtStats(r.b)} | ${ratio(r)} |`),
      '',
    );
  out.push(
    '| start-up | `node -e 0` | dockwall | difference of medians |',
    '| --- | --- | --- | --- |',
    ...t.startup.map(
      (r) => `| ${r.what} | ${fmtStats(r.a)} | ${fmtStats(r.b)} | +${ms(r.b.median - r.a.median)} |`,
    ),
    '',
    '| large policy | bare restore | dockwall | dockwall / bare |',
    '| --- | --- | --- | --- |',
    ...t.large.map((r) => `| ${r.what} | ${fmtStats(r.a)} | ${fmtStats(r.b)} | ${ratio(r)} |`),
    '',
  );
  return out.join('\n');
}
