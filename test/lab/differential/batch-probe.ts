import { createRunner } from '../../../src/host/runner.js';
import type { Lab, LabHost } from '../helpers/index.js';
import type { ProbeResult } from '../helpers/index.js';

/**
 * Many probes from one network namespace in one process. Each probe is what
 * test/lab/helpers/probes.ts does for one (the same errno classification: open / refused /
 * timeout), but one node process runs a whole batch with bounded concurrency, so 200 probes take
 * seconds, not minutes. Container sources run it in the container's network namespace (nsenter),
 * which gives millisecond timeouts and exact errnos where busybox nc only has whole seconds.
 */

export interface ProbeJob {
  id: number;
  /** The source port (fixed, so the simulator walks exactly this packet and conntrack can be matched). */
  sport: number;
  proto: 'tcp' | 'udp';
  addr: string;
  port: number;
}

export interface ProbeAnswer {
  id: number;
  result: ProbeResult;
  detail?: string;
  ms: number;
}

const BATCH_SCRIPT = `
const net = require('node:net');
const dgram = require('node:dgram');
const REFUSED = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'];
function one(job, ms) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let done = false;
    let sock;
    let timer;
    let resend;
    const finish = (result, detail) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(resend);
      try { job.proto === 'tcp' ? sock.destroy() : sock.close(); } catch {}
      resolve({ id: job.id, result, detail, ms: Date.now() - t0 });
    };
    const classify = (e) => {
      if (REFUSED.includes(e.code)) finish('refused', e.code);
      else if (e.code === 'EPERM' || e.code === 'EACCES') finish('timeout', e.code);
      else finish('error', e.code || e.message);
    };
    timer = setTimeout(() => finish('timeout'), ms);
    if (job.proto === 'tcp') {
      sock = net.connect({ host: job.addr, port: job.port, localPort: job.sport });
      sock.on('connect', () => finish('open'));
      sock.on('error', classify);
    } else {
      sock = dgram.createSocket('udp4');
      sock.on('message', () => finish('open'));
      sock.on('error', classify);
      sock.bind(job.sport, () => sock.connect(job.port, job.addr, (err) => {
        if (err) return classify(err);
        const send = () => { if (!done) sock.send('dockwall-probe', (e) => e && classify(e)); };
        send();
        resend = setInterval(send, 200);
      }));
    }
  });
}
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  const { jobs, ms, concurrency } = JSON.parse(input);
  const out = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) out.push(await one(jobs[next++], ms));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.stdout.write(JSON.stringify(out) + '\\n');
  process.exit(0);
});
`;

export interface BatchOptions {
  timeoutMs: number;
  concurrency: number;
}

function parseAnswers(stdout: string, stderr: string, where: string, jobs: ProbeJob[]): ProbeAnswer[] {
  let parsed: Array<{ id: number; result: string; detail?: string; ms: number }>;
  try {
    parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as typeof parsed;
  } catch {
    throw new Error(`probe batch from ${where} printed no result: ${stdout.trim()} ${stderr.trim()}`);
  }
  const out: ProbeAnswer[] = [];
  for (const p of parsed) {
    if (p.result !== 'open' && p.result !== 'refused' && p.result !== 'timeout') {
      const job = jobs.find((j) => j.id === p.id);
      throw new Error(`probe from ${where} to ${job?.addr}:${job?.port}/${job?.proto} failed: ${p.detail}`);
    }
    const a: ProbeAnswer = { id: p.id, result: p.result, ms: p.ms };
    if (p.detail) a.detail = p.detail;
    out.push(a);
  }
  if (out.length !== jobs.length)
    throw new Error(`probe batch from ${where}: ${out.length}/${jobs.length} answers`);
  return out;
}

function input(jobs: ProbeJob[], opts: BatchOptions): string {
  return JSON.stringify({ jobs, ms: opts.timeoutMs, concurrency: opts.concurrency });
}

function budget(jobs: ProbeJob[], opts: BatchOptions): number {
  return Math.ceil(jobs.length / opts.concurrency) * (opts.timeoutMs + 200) + 20_000;
}

/** Probes from a lab host's namespace (an outside host, or the docker host itself). */
export async function probeBatchFromHost(
  lab: Lab,
  from: LabHost,
  jobs: ProbeJob[],
  opts: BatchOptions,
): Promise<ProbeAnswer[]> {
  if (jobs.length === 0) return [];
  const r = await lab.exec(from, [process.execPath, '-e', BATCH_SCRIPT], {
    stdin: input(jobs, opts),
    timeoutMs: budget(jobs, opts),
  });
  return parseAnswers(r.stdout, r.stderr, from.name, jobs);
}

/** Probes from a container's network namespace (its pid in the host's pid namespace). */
export async function probeBatchFromContainer(
  name: string,
  pid: number,
  jobs: ProbeJob[],
  opts: BatchOptions,
): Promise<ProbeAnswer[]> {
  if (jobs.length === 0) return [];
  const r = await createRunner().run(
    ['nsenter', `--net=/proc/${pid}/ns/net`, process.execPath, '-e', BATCH_SCRIPT],
    { stdin: input(jobs, opts), timeoutMs: budget(jobs, opts) },
  );
  return parseAnswers(r.stdout, r.stderr, name, jobs);
}
