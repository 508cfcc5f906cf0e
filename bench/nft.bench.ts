import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { benchNetns, median, time, timeAsync } from './bench-netns.js';

/**
 * The nftables writer (Docker's nftables backend): applying N rules that a policy puts in
 * DOCKER-USER, as a user runs it (`dockwall apply -f POLICY --yes`, the whole process: node's start,
 * the privilege and backend checks, the reads, the checked `nft -f` transaction, the read back),
 * against one bare `nft -f` of the same table. In a network namespace with an empty
 * `table ip docker-bridges` (what makes dockwall see Docker's nftables backend); no dockerd.
 */

const ns = benchNetns('dwnftbench');
const inNs = ns.inNs;
const RUNS = 5;
const BUNDLE = resolve(fileURLToPath(import.meta.url), '../../dist/dockwall.cjs');

/** A fresh namespace with an empty `table ip docker-bridges`: what makes dockwall see Docker's nftables backend. */
function freshNs(): void {
  ns.fresh();
  inNs(
    ['nft', '-f', '-'],
    'table ip docker-bridges {\n\tchain filter-FORWARD {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n',
  );
}

export function dockerUserPolicyYaml(n: number): string {
  const rules = Array.from(
    { length: n },
    (_, i) =>
      `        - r${i}: -s 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} -p tcp --dport 8000 -j DROP`,
  );
  return ['dockwall: 1', 'ipv4:', '  filter:', '    DOCKER-USER:', '      rules:', ...rules, ''].join('\n');
}

export async function nftBench(n = 1000): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-nftbench-'));
  try {
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, dockerUserPolicyYaml(n));
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

    const cli = () =>
      inNs([
        process.execPath,
        BUNDLE,
        'apply',
        '-f',
        policyFile,
        '--yes',
        '--no-check',
        '--state-dir',
        join(dir, 'state'),
      ]);
    freshNs();
    cli(); // warm the file cache
    const wholeRuns: number[] = [];
    const bareRuns: number[] = [];
    const startRuns: number[] = [];
    const inProcessRuns: number[] = [];
    const ctx = new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
    const runner = createRunner({ wrap: ['ip', 'netns', 'exec', ns.name], timeoutMs: 600_000 });
    for (let k = 0; k < RUNS; k++) {
      freshNs();
      wholeRuns.push(time(cli));
      if (count() !== n) throw new Error(`bench: dockwall applied ${count()} rules, expected ${n}`);
      freshNs();
      bareRuns.push(time(() => inNs(['nft', '-f', scriptFile])));
      startRuns.push(time(() => inNs([process.execPath, BUNDLE, '--version'])));
      freshNs();
      inProcessRuns.push(
        await timeAsync(() => applyDesired(hostApplyPorts(ctx, runner, 'nf_tables', desired), desired, {})),
      );
    }
    const whole = median(wholeRuns);
    const bare = median(bareRuns);
    const start = median(startRuns);
    const inProcess = median(inProcessRuns);
    return [
      {
        what: `apply ${n.toLocaleString('en')} DOCKER-USER rules on Docker's nftables backend: \`dockwall apply\`, whole process`,
        value: fmt(whole),
        note: `median of ${RUNS}; dockwall / bare = ${(whole / bare).toFixed(2)}`,
      },
      { what: '… one bare `nft -f` of the same table', value: fmt(bare), note: 'process included' },
      {
        what: '… `dockwall --version` (node starting the bundle, nothing else)',
        value: fmt(start),
        note: `(whole - start) / bare = ${((whole - start) / bare).toFixed(2)}`,
      },
      {
        what: '… the apply procedure in process (read, plan, nft -c, nft -f, read back, plan)',
        value: fmt(inProcess),
        note: `in process / bare = ${(inProcess / bare).toFixed(2)}`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    ns.remove();
  }
}
