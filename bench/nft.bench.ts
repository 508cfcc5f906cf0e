import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyDesired } from '../src/apply/index.js';
import { forNftablesBackend, nftTransaction, planNft } from '../src/backend/nftables/index.js';
import { CliContext } from '../src/cli/context.js';
import { hostApplyPorts } from '../src/cli/host-ports.js';
import { makePaint } from '../src/cli/output.js';
import { compileDesired } from '../src/compile/index.js';
import { createRunner } from '../src/host/index.js';
import { loadPolicy } from '../src/policy/index.js';
import { fmt, type Row } from './timing.js';
import { benchNetns, median, timeAsync } from './bench-netns.js';

/**
 * The nftables writer (Docker's nftables backend): applying N rules that a policy puts in
 * DOCKER-USER, as a user runs it (`dockwall apply -f POLICY --yes` through bin/dockwall.js, the whole
 * process: node's start, the privilege and backend checks, the reads, the `nft -f` transaction, the
 * read back), against one bare `nft -f` of the same table; and applying again with one rule changed
 * (the table exists: it is read, and what nft makes of the wanted table is learnt in a namespace of
 * its own). In a network namespace with an empty `table ip docker-bridges` (what makes dockwall see
 * Docker's nftables backend); no dockerd. Wall time and CPU time (the processes', children included).
 */

const ns = benchNetns('dwnftbench');
const inNs = ns.inNs;
const RUNS = 5;
const BIN = resolve(fileURLToPath(import.meta.url), '../../bin/dockwall.js');

/** A fresh namespace with an empty `table ip docker-bridges`: what makes dockwall see Docker's nftables backend. */
function freshNs(): void {
  ns.fresh();
  inNs(
    ['nft', '-f', '-'],
    'table ip docker-bridges {\n\tchain filter-FORWARD {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n',
  );
}

export function dockerUserPolicyYaml(n: number, changed = -1): string {
  const rules = Array.from(
    { length: n },
    (_, i) =>
      `        - r${i}${i === changed ? 'x' : ''}: -s 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} -p tcp --dport 8000 -j DROP`,
  );
  return ['dockwall: 1', 'ipv4:', '  filter:', '    DOCKER-USER:', '      rules:', ...rules, ''].join('\n');
}

/** CPU time (user + system, ms) of the children this process has waited for: /proc/self/stat. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 (cutime, cstime), counted from the state (field 3), in clock ticks (100 per s).
  return (Number(f[13]) + Number(f[14])) * 10;
}

interface Runs {
  wall: number[];
  cpu: number[];
}

function measure(into: Runs, fn: () => unknown): void {
  const cpu = childrenCpuMs();
  const t = process.hrtime.bigint();
  fn();
  into.wall.push(Number(process.hrtime.bigint() - t) / 1e6);
  into.cpu.push(childrenCpuMs() - cpu);
}

const spread = (xs: number[]) => `${fmt(Math.min(...xs))} / ${fmt(median(xs))} / ${fmt(Math.max(...xs))}`;

export async function nftBench(n = 1000): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-nftbench-'));
  try {
    const policyFile = join(dir, 'policy.yaml');
    const changedFile = join(dir, 'changed.yaml');
    writeFileSync(policyFile, dockerUserPolicyYaml(n));
    writeFileSync(changedFile, dockerUserPolicyYaml(n, n - 1));
    const desired = forNftablesBackend(
      compileDesired(loadPolicy(dockerUserPolicyYaml(n), 'p.yaml').value!),
    ).desired;
    const script = nftTransaction(desired.nft!, planNft({ ipv4: null }, desired.nft!));
    const scriptFile = join(dir, 'dockwall.nft');
    writeFileSync(scriptFile, script);
    const count = () =>
      inNs(['nft', 'list', 'chain', 'ip', 'dockwall', 'forward'])
        .split('\n')
        .filter((l) => l.includes(' drop comment')).length;

    const cli = (file: string) => () =>
      inNs([
        process.execPath,
        BIN,
        'apply',
        '-f',
        file,
        '--yes',
        '--no-check',
        '--state-dir',
        join(dir, 'state'),
      ]);
    const node0 = () => inNs([process.execPath, '-e', '0']);
    const version = () => inNs([process.execPath, BIN, '--version']);
    freshNs();
    cli(policyFile)(); // warm the file cache
    const whole: Runs = { wall: [], cpu: [] };
    const again: Runs = { wall: [], cpu: [] };
    const bare: Runs = { wall: [], cpu: [] };
    const nodeStart: Runs = { wall: [], cpu: [] };
    const start: Runs = { wall: [], cpu: [] };
    const inProcessRuns: number[] = [];
    const ctx = new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
    const runner = createRunner({ wrap: ['ip', 'netns', 'exec', ns.name], timeoutMs: 600_000 });
    for (let k = 0; k < RUNS; k++) {
      freshNs();
      measure(whole, cli(policyFile));
      if (count() !== n) throw new Error(`bench: dockwall applied ${count()} rules, expected ${n}`);
      measure(again, cli(changedFile));
      if (count() !== n) throw new Error(`bench: dockwall left ${count()} rules, expected ${n}`);
      freshNs();
      measure(bare, () => inNs(['nft', '-f', scriptFile]));
      measure(nodeStart, node0);
      measure(start, version);
      freshNs();
      inProcessRuns.push(
        await timeAsync(() => applyDesired(hostApplyPorts(ctx, runner, 'nf_tables', desired), desired, {})),
      );
    }
    const b = median(bare.wall);
    const ratio = (r: Runs) => (median(r.wall) / b).toFixed(1);
    const cpu = (r: Runs) => `CPU ${fmt(median(r.cpu))} (median, children included)`;
    const inProcess = median(inProcessRuns);
    return [
      {
        what: `apply ${n.toLocaleString('en')} DOCKER-USER rules on Docker's nftables backend: \`dockwall apply\` (bin/dockwall.js), whole process, min / median / max of ${RUNS}`,
        value: spread(whole.wall),
        note: `${cpu(whole)}; dockwall / bare = ${ratio(whole)}`,
      },
      { what: '… one bare `nft -f` of the same table', value: spread(bare.wall), note: cpu(bare) },
      {
        what: '… `node -e 0` (node starting, nothing else)',
        value: spread(nodeStart.wall),
        note: `${cpu(nodeStart)}; node / bare = ${ratio(nodeStart)}`,
      },
      {
        what: '… `dockwall --version` (node starting dockwall, no command)',
        value: spread(start.wall),
        note: `${cpu(start)}; (apply - version) / bare = ${((median(whole.wall) - median(start.wall)) / b).toFixed(1)}`,
      },
      {
        what: '… apply again with one rule renamed (the table exists: read, learnt in a namespace, 1 added, 1 removed)',
        value: spread(again.wall),
        note: `${cpu(again)}; again / bare = ${ratio(again)}`,
      },
      {
        what: '… the apply procedure in process (read, plan, nft -f, read back, plan)',
        value: fmt(inProcess),
        note: `median; in process / bare = ${(inProcess / b).toFixed(2)}`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    ns.remove();
  }
}
