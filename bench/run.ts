import { cpus } from 'node:os';
import { coreBench } from './core.bench.js';
import { hostBench } from './host.bench.js';
import { simBench } from './sim.bench.js';
import { table } from './timing.js';

const only = process.argv.slice(2);
const want = (s: string) => only.length === 0 || only.includes(s);
const out: string[] = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
  '',
];
const { rows, dump } = await coreBench();
if (want('core')) out.push(table('Parse and plan', rows));
if (want('sim')) out.push(table('Simulator', await simBench()));
if (want('host')) out.push(table('Host (network namespace, real iptables)', await hostBench(dump)));
if (want('watch')) {
  const { watchBench } = await import('./watch.bench.js');
  out.push(table('watch: dockerd restart → policy whole again', await watchBench()));
}
process.stdout.write(out.join('\n') + '\n');
