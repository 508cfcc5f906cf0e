import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownedChainPolicyYaml, ownedRuleBody } from './synthetic-dump.js';

/**
 * Whole processes, as users run them: `node bin/dockwall.js …` (and `node dist/dockwall.cjs …`,
 * the one-file bundle) from start to exit, each run in a network namespace of its own, side by side
 * with pyfw (the seed's Python tool, where PYFW_SRC points) on the same pyfw wishes file in the same
 * run. Needs root and a built dist/ (`npm run build`). bin/dockwall.js keeps its code cache in a
 * scratch XDG_CACHE_HOME, filled by each measurement's untimed first round. BENCH_BASELINE may name
 * another built checkout (say, main's): its start-up rows and its plan/apply/plan beside pyfw are then
 * measured in the same rounds. BENCH_PROCESS_PARTS (default `pyfw,startup,large,sets`) picks the parts.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NS = `dwproc${process.pid}`;
const PYTHON = '/usr/bin/python3';
const NODE = process.execPath;
const BIN = join(ROOT, 'bin/dockwall.js');
const BUNDLE = join(ROOT, 'dist/dockwall.cjs');
const SEED_WISHES = join(ROOT, 'examples/pyfw-wishes-firewalling-docker.yaml');
const BASELINE = process.env.BENCH_BASELINE;
/** bin/dockwall.js's code cache: the bench's own, so every measurement starts from none. */
export const CACHE_HOME = join(tmpdir(), `dockwall-bench-cache-${process.pid}`);

interface Ran {
  ms: number;
  /** CPU time (user + system) of the process and its children: steadier than wall time on a busy machine. */
  cpuMs: number;
  /** Largest resident set of the process or one of its children, in MB. */
  maxRssMb: number;
  code: number;
  out: string;
}

export const TIME_FILE = join(tmpdir(), `dockwall-bench-time-${process.pid}`);

/** Runs `argv` under GNU time (for CPU time and memory), timing the wall clock here. */
function run(argv: string[], opts: { input?: string; env?: Record<string, string> } = {}): Ran {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-o', TIME_FILE, '-f', '%U %S %M', ...argv], {
    input: opts.input,
    cwd: ROOT,
    env: { ...process.env, XDG_CACHE_HOME: CACHE_HOME, ...opts.env },
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw r.error;
  const [user, sys, rssKb] = readFileSync(TIME_FILE, 'utf8')
    .trim()
    .split('\n')
    .at(-1)!
    .split(' ')
    .map(Number);
  return {
    ms,
    cpuMs: (user! + sys!) * 1000,
    maxRssMb: rssKb! / 1024,
    code: r.status ?? -1,
    out: `${r.stdout}${r.stderr}`,
  };
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

/** The runs of one measurement: wall and CPU time, and memory. */
class Sample {
  readonly wall: number[] = [];
  readonly cpu: number[] = [];
  readonly rss: number[] = [];
  add(r: Ran): void {
    this.wall.push(r.ms);
    this.cpu.push(r.cpuMs);
    this.rss.push(r.maxRssMb);
  }
  get w(): Stats {
    return stats(this.wall);
  }
  get c(): Stats {
    return stats(this.cpu);
  }
}

const num = (x: number, unit: 's' | 'ms') => (unit === 's' ? (x / 1000).toFixed(2) : String(Math.round(x)));
const signed = (x: number) => (x < 0 ? `−${Math.round(-x)}` : `+${Math.round(x)}`);
/** `min / **median** / max` of the wall times, then the median CPU time. */
export function cell(s: Sample): string {
  const w = s.w;
  const unit = w.max >= 1000 ? 's' : 'ms';
  return `${num(w.min, unit)} / **${num(w.median, unit)}** / ${num(w.max, unit)} ${unit} (CPU ${num(s.c.median, unit)} ${unit})`;
}
export const ratio = (a: Sample, b: Sample) =>
  `${(b.w.median / a.w.median).toFixed(2)}` +
  (a.c.median >= 5 ? ` (CPU ${(b.c.median / a.c.median).toFixed(2)})` : ' (CPU: too small to divide by)');

interface Tool {
  name: string;
  plan: (wishes: string) => string[];
  apply: (wishes: string) => string[];
  /** Checks the output of a plan on a host where the wishes are already applied: nothing to do. */
  nothingToDo: (r: Ran) => boolean;
}

function dockwallTool(stateDir: string, bin = BIN, name = 'dockwall'): Tool {
  return {
    name,
    plan: (w) => inNs([NODE, bin, 'plan', '-f', w]),
    apply: (w) => inNs([NODE, bin, 'apply', '-f', w, '--yes', '--state-dir', stateDir]),
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
function planApplyPlan(tools: Tool[], wishes: string): Map<string, [Sample, Sample, Sample]> {
  const out = new Map(
    tools.map((t) => [t.name, [new Sample(), new Sample(), new Sample()] as [Sample, Sample, Sample]]),
  );
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
      const [a, b, c] = out.get(tool.name)!;
      a.add(fresh);
      b.add(applied);
      c.add(again);
    }
  }
  dropHost();
  return out;
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

/** One row: what is measured, against what (the left column), and the result. */
export interface ProcessRow {
  what: string;
  base: Sample;
  result: Sample;
  note?: string;
  /** The same work by BENCH_BASELINE's bin/dockwall.js, in the same rounds. */
  before?: Sample;
}

export interface ProcessTables {
  pyfw: ProcessRow[] | string;
  startup: ProcessRow[];
  large: ProcessRow[];
  sets: ProcessRow[];
}

function startupRows(): ProcessRow[] {
  const example = 'examples/firewalling-docker.yaml';
  const validate = ['validate', '-f', join(ROOT, example)];
  const cases: Array<[string, string[]]> = [
    ['`node -e 0`', [NODE, '-e', '0']],
    ['`dockwall --version` (bin/dockwall.js)', [NODE, BIN, '--version']],
    ['`dockwall --version` (dist/dockwall.cjs)', [NODE, BUNDLE, '--version']],
    ['`dockwall validate` of the example (bin/dockwall.js, code cache)', [NODE, BIN, ...validate]],
    ['`dockwall validate` of the example (dist/dockwall.cjs)', [NODE, BUNDLE, ...validate]],
  ];
  if (BASELINE)
    cases.push(
      [
        `\`dockwall --version\` (bin/dockwall.js of ${BASELINE})`,
        [NODE, join(BASELINE, 'bin/dockwall.js'), '--version'],
      ],
      [
        `\`dockwall validate\` of the example (bin/dockwall.js of ${BASELINE})`,
        [NODE, join(BASELINE, 'bin/dockwall.js'), ...validate],
      ],
      [
        `\`dockwall validate\` of the example (dist/dockwall.cjs of ${BASELINE})`,
        [NODE, join(BASELINE, 'dist/dockwall.cjs'), ...validate],
      ],
    );
  const samples = cases.map(() => new Sample());
  for (let k = -1; k < RUNS * 2; k++)
    cases.forEach(([what, argv], i) => {
      const r = must(run(argv), [0], what);
      if (k >= 0) samples[i]!.add(r);
    });
  return cases.slice(1).map(([what], i) => ({ what, base: samples[0]!, result: samples[i + 1]! }));
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
  const bare = new Sample();
  const apply = new Sample();
  const planAgain = new Sample();
  const validate = new Sample();
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
    bare.add(b);
    apply.add(a);
    planAgain.add(p);
    validate.add(v);
  }
  dropHost();
  // About 10 MB of policy: validate's time and memory.
  const big = join(dir, 'rules-10mb.yaml');
  writeFileSync(big, ownedChainPolicyYaml(140_000));
  const bigMb = (readFileSync(big).length / 1e6).toFixed(1);
  const huge = new Sample();
  for (let k = 0; k < RUNS; k++)
    huge.add(must(run([NODE, BIN, 'validate', '-f', big]), [0], 'validate 10 MB'));
  return [
    {
      what: '10,000 rules in a chain: `apply` on a fresh host, vs bare `iptables-restore -n` (target 1.5×)',
      base: bare,
      result: apply,
    },
    { what: '… `plan` with them present (target: under 0.3 s)', base: bare, result: planAgain },
    { what: '… `validate` of the 10,000-rule policy', base: bare, result: validate },
    {
      what: `\`validate\` of 140,000 rules, ${bigMb} MB of policy (target: under 2 s and 300 MB)`,
      base: bare,
      result: huge,
      note: `max resident ${Math.round(Math.max(...huge.rss))} MB`,
    },
  ];
}

/**
 * A 100,000-member hash:net set from `members_from`: apply vs a bare `ipset restore`, then 10 changed
 * lines. `before`: the `bin/dockwall.js` of another build (an earlier commit's), run in the same
 * loop, right after this one's: its rows follow, marked "(before)".
 */
export function setRows(dir: string, stateDir: string, before?: string): ProcessRow[] {
  const n = 100_000;
  const member = (i: number) => `10.${(i >> 14) & 255}.${(i >> 6) & 255}.${(i & 63) << 2}/30`;
  const list = join(dir, 'block.netset');
  const lines = Array.from({ length: n }, (_, i) => member(i));
  const policy = join(dir, 'set.yaml');
  writeFileSync(
    policy,
    [
      'dockwall: 1',
      'ipsets:',
      '  block:',
      '    type: hash:net',
      '    options: { maxelem: 200000 }',
      '    members_from: block.netset',
      '',
    ].join('\n'),
  );
  const script = [
    'create block hash:net family inet maxelem 200000',
    ...lines.map((m) => `add block ${m}`),
    '',
  ].join('\n');
  const changed = [...lines.slice(10), ...Array.from({ length: 10 }, (_, i) => `172.16.${i}.0/24`)];
  const tenScript = [
    ...lines.slice(0, 10).map((m) => `del block ${m}`),
    ...changed.slice(-10).map((m) => `add block ${m}`),
    '',
  ].join('\n');
  const bare = new Sample();
  const bareTen = new Sample();
  const bins = before ? [BIN, before] : [BIN];
  const samples = bins.map(() => ({ apply: new Sample(), planAgain: new Sample(), applyTen: new Sample() }));
  for (let k = -1; k < RUNS; k++) {
    freshHost();
    const b = must(run(inNs(['ipset', 'restore']), { input: script }), [0], 'bare ipset restore');
    const bt = must(
      run(inNs(['ipset', 'restore']), { input: tenScript }),
      [0],
      'bare ipset restore of 10 changes',
    );
    if (k >= 0) {
      bare.add(b);
      bareTen.add(bt);
    }
    bins.forEach((bin, i) => {
      freshHost();
      rmSync(stateDir, { recursive: true, force: true });
      writeFileSync(list, `# a FireHOL-style list\n${lines.join('\n')}\n`);
      const a = must(
        run(inNs([NODE, bin, 'apply', '-f', policy, '--yes', '--state-dir', stateDir])),
        [0],
        'set apply',
      );
      const p = must(run(inNs([NODE, bin, 'plan', '-f', policy])), [0], 'set plan again');
      writeFileSync(list, `# a FireHOL-style list\n${changed.join('\n')}\n`);
      const t = must(
        run(inNs([NODE, bin, 'apply', '-f', policy, '--yes', '--state-dir', stateDir])),
        [0],
        'set apply 10',
      );
      // Nothing left to do afterwards: the 10 changes were made.
      must(run(inNs([NODE, bin, 'plan', '-f', policy])), [0], 'set plan after 10 changes');
      if (k < 0) return;
      samples[i]!.apply.add(a);
      samples[i]!.planAgain.add(p);
      samples[i]!.applyTen.add(t);
    });
  }
  dropHost();
  return samples.flatMap((s, i) => {
    const mark = i === 0 ? '' : ' (before)';
    return [
      {
        what: `100,000-member hash:net set (\`members_from\`): \`apply\` on a fresh host, vs bare \`ipset restore\` (target 1.5×)${mark}`,
        base: bare,
        result: s.apply,
      },
      { what: `… \`plan\` with it present${mark}`, base: bare, result: s.planAgain },
      {
        what: `… 10 lines of the file changed: \`apply\`, vs a bare \`ipset restore\` of those 10 del/add${mark}`,
        base: bareTen,
        result: s.applyTen,
      },
    ];
  });
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
    if (BASELINE)
      tools.push(dockwallTool(join(dir, 'state-before'), join(BASELINE, 'bin/dockwall.js'), 'before'));
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
        const row: ProcessRow = {
          what: labels[j]![i]!,
          base: havePyfw ? res.get('pyfw')![i]! : d,
          result: d,
        };
        if (BASELINE) row.before = res.get('before')![i]!;
        pyfwRows.push(row);
      }
    });
    // BENCH_PROCESS_PARTS=pyfw,startup: only those (the large inputs take minutes).
    const parts = (process.env.BENCH_PROCESS_PARTS ?? 'pyfw,startup,large,sets').split(',');
    return {
      pyfw: havePyfw ? pyfwRows : 'pyfw rows skipped: PYFW_SRC is not set (a checkout of messa/pyfw)',
      startup: parts.includes('startup') ? startupRows() : [],
      large: parts.includes('large') ? largeRows(dir, stateDir) : [],
      sets: parts.includes('sets') ? setRows(dir, stateDir) : [],
    };
  } finally {
    dropHost();
    rmSync(dir, { recursive: true, force: true });
    rmSync(CACHE_HOME, { recursive: true, force: true });
    rmSync(TIME_FILE, { force: true });
  }
}

export function processTables(t: ProcessTables): string {
  const out = [
    `### Whole processes (wall min / **median** / max of ${RUNS} runs, each in a fresh network namespace; CPU: median user + system)`,
    '',
  ];
  if (typeof t.pyfw === 'string') out.push(t.pyfw, '');
  else if (BASELINE)
    out.push(
      `| work | pyfw | dockwall before (${BASELINE}) | dockwall (bin/dockwall.js) | before / pyfw | dockwall / pyfw | dockwall / before |`,
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...t.pyfw.map(
        (r) =>
          `| ${r.what} | ${cell(r.base)} | ${cell(r.before!)} | ${cell(r.result)} | ${ratio(r.base, r.before!)} | ${ratio(r.base, r.result)} | ${ratio(r.before!, r.result)} |`,
      ),
      '',
    );
  else
    out.push(
      '| work | pyfw | dockwall (bin/dockwall.js) | dockwall / pyfw |',
      '| --- | --- | --- | --- |',
      ...t.pyfw.map(
        (r) => `| ${r.what} | ${cell(r.base)} | ${cell(r.result)} | ${ratio(r.base, r.result)} |`,
      ),
      '',
    );
  if (t.startup.length > 0) out.push(startupTable(t.startup));
  if (t.large.length + t.sets.length > 0)
    out.push(
      '| large inputs | bare restore | dockwall | dockwall / bare |',
      '| --- | --- | --- | --- |',
      ...[...t.large, ...t.sets].map(
        (r) =>
          `| ${r.what} | ${cell(r.base)} | ${cell(r.result)}${r.note ? `; ${r.note}` : ''} | ${ratio(r.base, r.result)} |`,
      ),
      '',
    );
  return out.join('\n');
}

function startupTable(rows: ProcessRow[]): string {
  return [
    '| start-up | `node -e 0` | dockwall | difference of medians |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${cell(r.base)} | ${cell(r.result)} | ${signed(r.result.w.median - r.base.w.median)} ms (CPU ${signed(r.result.c.median - r.base.c.median)} ms) |`,
    ),
    '',
  ].join('\n');
}

/** `npm run bench -- startup`: the start-up rows of `process` alone (no root needed). */
export function startupBench(): string {
  try {
    return [
      `### Start-up (wall min / **median** / max of ${RUNS * 2} runs; CPU: median user + system)`,
      '',
      startupTable(startupRows()),
    ].join('\n');
  } finally {
    rmSync(CACHE_HOME, { recursive: true, force: true });
    rmSync(TIME_FILE, { force: true });
  }
}
