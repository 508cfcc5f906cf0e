import { createRunner } from '../../../src/host/runner.js';
import type { Container } from './containers.js';
import { inspectContainer } from './containers.js';
import type { Dockerd } from './dockerd.js';
import type { Lab, LabHost } from './lab.js';

/**
 * Real traffic between lab hosts. A probe classifies what came back:
 * - `open`: the TCP handshake completed, or a UDP reply arrived;
 * - `refused`: a TCP reset or an ICMP unreachable (port, host, net, admin-prohibited);
 * - `timeout`: silence (a DROP somewhere), including a packet dropped on its way out.
 */

export type ProbeResult = 'open' | 'refused' | 'timeout';

export interface ProbeOutcome {
  result: ProbeResult;
  /** The errno behind the result, e.g. ECONNREFUSED, EHOSTUNREACH. */
  detail?: string;
  ms: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 1_500;

// Runs with the lab's node inside the source namespace: millisecond timeouts and exact errnos,
// which neither curl (no UDP, coarse errors) nor Debian's busybox nc (no UDP, whole seconds) give.
const PROBE_SCRIPT = `
const net = require('node:net');
const dgram = require('node:dgram');
const [proto, addr, portText, msText] = process.argv.slice(1);
const port = Number(portText);
const t0 = Date.now();
let done = false;
const finish = (result, detail) => {
  if (done) return;
  done = true;
  process.stdout.write(JSON.stringify({ result, detail, ms: Date.now() - t0 }) + '\\n');
  process.exit(0);
};
const REFUSED = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'];
const classify = (e) => {
  if (REFUSED.includes(e.code)) finish('refused', e.code);
  else if (e.code === 'EPERM' || e.code === 'EACCES') finish('timeout', e.code);
  else finish('error', e.code || e.message);
};
setTimeout(() => finish('timeout'), Number(msText));
if (proto === 'tcp') {
  const s = net.connect({ host: addr, port });
  s.on('connect', () => finish('open'));
  s.on('error', classify);
} else {
  const s = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
  s.on('message', () => finish('open'));
  s.on('error', classify);
  s.connect(port, addr, () => {
    const send = () => s.send('dockwall-probe', (e) => e && classify(e));
    send();
    setInterval(send, 250).unref();
  });
}
`;

function parseOutcome(stdout: string, stderr: string, what: string): ProbeOutcome {
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: { result?: string; detail?: string; ms?: number } = {};
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    throw new Error(`probe ${what} printed no result: ${stdout.trim()} ${stderr.trim()}`);
  }
  if (parsed.result !== 'open' && parsed.result !== 'refused' && parsed.result !== 'timeout') {
    throw new Error(`probe ${what} failed: ${parsed.detail ?? line}`);
  }
  const out: ProbeOutcome = { result: parsed.result, ms: parsed.ms ?? 0 };
  if (parsed.detail) out.detail = parsed.detail;
  return out;
}

export interface ProbeSpec {
  proto: 'tcp' | 'udp';
  addr: string;
  port: number;
  timeoutMs?: number;
  /** Runs the probe through this command, e.g. `setpriv --reuid=1000 …` to send as another user. */
  prefix?: readonly string[];
}

/** One probe from inside a lab host's namespace, with the errno behind the result. */
export async function probe(lab: Lab, from: LabHost | string, spec: ProbeSpec): Promise<ProbeOutcome> {
  const ms = spec.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const argv = [
    ...(spec.prefix ?? []),
    process.execPath,
    '-e',
    PROBE_SCRIPT,
    spec.proto,
    spec.addr,
    String(spec.port),
    String(ms),
  ];
  const r = await lab.exec(from, argv, { timeoutMs: ms + 15_000 });
  const host = typeof from === 'string' ? from : from.name;
  return parseOutcome(r.stdout, r.stderr, `${spec.proto} ${host} → ${spec.addr}:${spec.port}`);
}

export async function probeTcp(
  lab: Lab,
  from: LabHost | string,
  addr: string,
  port: number,
  timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  return (await probe(lab, from, { proto: 'tcp', addr, port, timeoutMs })).result;
}

/** UDP: an echo (any reply) is open, ICMP port unreachable is refused, silence is timeout. */
export async function probeUdp(
  lab: Lab,
  from: LabHost | string,
  addr: string,
  port: number,
  timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  return (await probe(lab, from, { proto: 'udp', addr, port, timeoutMs })).result;
}

const NC_REFUSED =
  /Connection refused|No route to host|Network unreachable|Host is unreachable|Network is unreachable/i;

/**
 * A probe from inside a container. TCP runs busybox nc through `docker exec` (whole-second
 * timeouts); UDP runs the lab's probe in the container's network namespace through nsenter,
 * because Debian's busybox nc has no UDP mode.
 */
export async function probeFromContainer(
  dockerd: Dockerd,
  container: Container | string,
  addr: string,
  port: number,
  opts: { proto?: 'tcp' | 'udp'; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const name = typeof container === 'string' ? container : container.name;
  const ms = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  if ((opts.proto ?? 'tcp') === 'udp') {
    const { pid } = await inspectContainer(dockerd, name);
    const argv = ['nsenter', `--net=/proc/${pid}/ns/net`, process.execPath, '-e', PROBE_SCRIPT];
    const r = await createRunner().run([...argv, 'udp', addr, String(port), String(ms)], {
      timeoutMs: ms + 15_000,
    });
    return parseOutcome(r.stdout, r.stderr, `udp ${name} → ${addr}:${port}`).result;
  }
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  // `timeout` ends nc when a server accepts and then keeps the connection open.
  const r = await dockerd.docker(
    [
      'exec',
      name,
      'timeout',
      '-s',
      'KILL',
      String(seconds + 2),
      'nc',
      '-w',
      String(seconds),
      addr,
      String(port),
    ],
    { timeoutMs: ms + 30_000 },
  );
  if (NC_REFUSED.test(r.stderr)) return 'refused';
  if (/timed out|Operation not permitted/i.test(r.stderr)) return 'timeout';
  // Exit 0, killed by `timeout` while connected, or reset after the handshake: it connected.
  if (r.code === 0 || r.code === 137 || /reset by peer/i.test(r.stderr)) return 'open';
  throw new Error(`probe tcp ${name} → ${addr}:${port}: docker exec exited ${r.code}: ${r.stderr.trim()}`);
}
