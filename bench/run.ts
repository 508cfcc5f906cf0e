import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { table } from './timing.js';

/**
 * `npm run bench [section…]`. Each section runs in a process of its own, so that one section's
 * memory (the core section holds a 100,000-rule dump) does not slow another's process starts: a
 * larger process takes longer to fork, and the host section starts hundreds of processes.
 */
const SECTIONS = [
  'process',
  'startup',
  'core',
  'sim',
  'reach',
  'host',
  'watch',
  'watch-memory',
  'nft',
  'sets',
] as const;
type Section = (typeof SECTIONS)[number];

async function runOne(section: Section): Promise<string> {
  switch (section) {
    case 'process': {
      const { processBench, processTables } = await import('./process.bench.js');
      return processTables(processBench());
    }
    case 'startup': {
      const { startupBench } = await import('./process.bench.js');
      return startupBench();
    }
    case 'core': {
      const { coreBench } = await import('./core.bench.js');
      return table('Parse and plan', (await coreBench()).rows);
    }
    case 'sim': {
      const { simBench } = await import('./sim.bench.js');
      return table('Simulator', await simBench());
    }
    case 'reach': {
      const { reachDiffBench } = await import('./reach-diff.bench.js');
      return table('Reachability difference of a plan', await reachDiffBench());
    }
    case 'host': {
      const { hostBench } = await import('./host.bench.js');
      return table('Host (network namespace, real iptables)', await hostBench());
    }
    case 'nft': {
      const { nftBench } = await import('./nft.bench.js');
      return table("Docker's nftables backend (network namespace, real nft)", await nftBench());
    }
    case 'sets': {
      const { setsBench } = await import('./sets.bench.js');
      return setsBench();
    }
    case 'watch': {
      const { watchBench } = await import('./watch.bench.js');
      return table('watch: idle cost, change events, dockerd restart', await watchBench());
    }
    case 'watch-memory': {
      const { watchMemoryBench } = await import('./watch-memory.bench.js');
      return table('watch: resident memory, side by side', await watchMemoryBench());
    }
  }
}

const args = process.argv.slice(2);
if (args[0] === '--one') {
  process.stdout.write(await runOne(args[1] as Section));
} else {
  const unknown = args.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length > 0)
    throw new Error(`unknown bench section(s): ${unknown.join(', ')}; expected ${SECTIONS.join(', ')}`);
  // `startup` and `sets` repeat rows of `process`, `watch-memory` takes 12 minutes: they run only
  // when asked for.
  const wanted = SECTIONS.filter((s) =>
    args.length === 0 ? s !== 'sets' && s !== 'startup' && s !== 'watch-memory' : args.includes(s),
  );
  const out: string[] = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
    '',
  ];
  const self = fileURLToPath(import.meta.url);
  for (const section of wanted) {
    out.push(
      execFileSync(process.execPath, [...process.execArgv, self, '--one', section], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 26,
      }),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}
