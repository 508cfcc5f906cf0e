import type { ListeningPort } from '../sim/index.js';
import { CliError } from './exit-codes.js';
import { hostRunner } from './live.js';
import { procListeningInBackground, type ProcSocket } from '../host/proc-sockets.js';

/** `--listen [ADDR:]PORT[/tcp|udp]`: a port the host listens on. */
export function parseListen(text: string): ListeningPort {
  const m = /^(?:(.+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!m) throw new CliError(`--listen wants [ADDR:]PORT[/tcp|udp], got ${text}`);
  const out: ListeningPort = { port: Number(m[2]), proto: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
  if (m[1]) out.address = m[1].replace(/^\[|\]$/g, '');
  return out;
}

/**
 * Listening sockets of the live host: from /proc/net (no process) where that is certain, else from
 * `ss -Hln` (see procListening: a socket bound to `::` may or may not take IPv4 too).
 */
export async function liveListening(
  fromProc: (
    proto: 'tcp' | 'udp',
  ) => ProcSocket[] | undefined | Promise<ProcSocket[] | undefined> = procListeningInBackground,
): Promise<ListeningPort[]> {
  const protos = ['tcp', 'udp'] as const;
  const known = await Promise.all(protos.map((proto) => fromProc(proto)));
  // The listings /proc cannot give, both at once, taken in order.
  const reads = protos.map((proto, i) =>
    known[i] ? undefined : hostRunner().run(['ss', '-Hln', proto === 'tcp' ? '-t' : '-u']),
  );
  for (const r of reads) r?.catch(() => undefined);
  const lists: Array<Array<{ address: string; port: number }>> = [];
  for (const [i, r] of reads.entries()) {
    const res = r ? await r : undefined;
    lists.push(known[i] ?? (res ? ssSockets(res.code, res.stdout) : []));
  }
  return listeningPorts(lists[0]!, lists[1]!);
}

/** The ports of the sockets listed (TCP's, then UDP's), each once, in order. */
export function listeningPorts(
  tcp: ReadonlyArray<{ address: string; port: number }>,
  udp: ReadonlyArray<{ address: string; port: number }>,
): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const [proto, sockets] of [
    ['tcp', tcp],
    ['udp', udp],
  ] as const) {
    for (const s of sockets) {
      const p: ListeningPort = { port: s.port, proto };
      const addr = s.address;
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

/** The local addresses and ports of `ss -Hln` output (`*` for a socket on every address of both families). */
export function ssSockets(code: number, stdout: string): Array<{ address: string; port: number }> {
  if (code !== 0) return [];
  const out: Array<{ address: string; port: number }> = [];
  for (const line of stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /^(.*):(\d+)$/.exec(local) : null;
    if (!m) continue;
    // `[fe80::1]%eth0`, `127.0.0.53%lo`: the device a socket is bound to follows the address.
    out.push({ address: m[1]!.replace(/%[^\]]*$/, '').replace(/^\[|\]$/g, ''), port: Number(m[2]) });
  }
  return out;
}
