import type { ListeningPort } from '../sim/index.js';
import { CliError } from './exit-codes.js';
import { hostRunner } from './live.js';

/** `--listen [ADDR:]PORT[/tcp|udp]`: a port the host listens on. */
export function parseListen(text: string): ListeningPort {
  const m = /^(?:(.+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!m) throw new CliError(`--listen wants [ADDR:]PORT[/tcp|udp], got ${text}`);
  const out: ListeningPort = { port: Number(m[2]), proto: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
  if (m[1]) out.address = m[1].replace(/^\[|\]$/g, '');
  return out;
}

/** Listening sockets of the live host, from `ss -Hln`. */
export async function liveListening(): Promise<ListeningPort[]> {
  const out: ListeningPort[] = [];
  const protos = ['tcp', 'udp'] as const;
  // Both listings at once, taken in order.
  const reads = protos.map((proto) => hostRunner().run(['ss', '-Hln', proto === 'tcp' ? '-t' : '-u']));
  for (const r of reads) r.catch(() => undefined);
  for (const [i, proto] of protos.entries()) {
    const r = await reads[i]!;
    if (r.code !== 0) continue;
    for (const line of r.stdout.split('\n')) {
      const local = line.trim().split(/\s+/)[3];
      const m = local ? /^(.*):(\d+)$/.exec(local) : null;
      if (!m) continue;
      const addr = m[1]!.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
      const p: ListeningPort = { port: Number(m[2]), proto };
      if (addr !== '*' && addr !== '0.0.0.0' && addr !== '::') p.address = addr;
      else if (addr !== '*') p.family = addr === '::' ? 'ipv6' : 'ipv4';
      if (
        !out.some(
          (x) => x.port === p.port && x.proto === p.proto && x.address === p.address && x.family === p.family,
        )
      )
        out.push(p);
    }
  }
  return out;
}
