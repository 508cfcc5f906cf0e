import { readFile, readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * Listening sockets of this process's network namespace from /proc/net/{tcp,tcp6,udp,udp6}, as
 * `ss -Hln -t` / `ss -Hln -u` list them: no process. These files do not say whether an IPv6 socket
 * bound to `::` also takes IPv4 (IPV6_V6ONLY), which `ss` shows (`*` or `[::]`): where such a
 * socket is listed the answer is not certain, and the caller asks `ss`.
 */

export interface ProcSocket {
  /** The bound address as `ss` prints it without brackets (`0.0.0.0`, `::1`, `::ffff:10.0.0.1`). */
  address: string;
  port: number;
  family: 'ipv4' | 'ipv6';
}

/** TCP LISTEN; UDP sockets not connected (what `ss -l -u` lists). */
const LISTENING_STATE = { tcp: '0A', udp: '07' } as const;

/**
 * The listening sockets of one protocol, IPv4's then IPv6's (the order `ss` lists them in);
 * undefined when a file cannot be read or an IPv6 socket bound to `::` is among them.
 */
export function procListening(
  proto: 'tcp' | 'udp',
  read: (file: string) => string = (f) => readFileSync(f, 'latin1'),
  littleEndian = endianness() === 'LE',
): ProcSocket[] | undefined {
  const out: ProcSocket[] = [];
  for (const [file, family] of [
    [`/proc/net/${proto}`, 'ipv4'],
    [`/proc/net/${proto}6`, 'ipv6'],
  ] as const) {
    let text: string;
    try {
      text = read(file);
    } catch {
      return undefined;
    }
    const got = parseProcNet(text, family, LISTENING_STATE[proto], littleEndian);
    if (!got) return undefined;
    out.push(...got);
  }
  return out;
}

/**
 * `procListening` with both files read in the thread pool, side by side: the kernel writes
 * /proc/net/tcp by walking its whole table of sockets, milliseconds on a large machine, which the
 * main thread need not wait for (it starts the other reads of a plan meanwhile).
 */
export async function procListeningInBackground(proto: 'tcp' | 'udp'): Promise<ProcSocket[] | undefined> {
  const files = [`/proc/net/${proto}`, `/proc/net/${proto}6`];
  // node:fs's own readFile: node:fs/promises is a module more to load.
  const texts = await Promise.all(
    files.map(
      (f) =>
        new Promise<string | undefined>((done) => readFile(f, 'latin1', (e, t) => done(e ? undefined : t))),
    ),
  );
  return procListening(proto, (f) => {
    const text = texts[files.indexOf(f)];
    if (text === undefined) throw new Error(`${f} cannot be read`);
    return text;
  });
}

/** One /proc/net/{tcp,udp}[6] file's sockets in `state` (undefined: a `::` socket, or a line not understood). */
export function parseProcNet(
  text: string,
  family: 'ipv4' | 'ipv6',
  state: string,
  littleEndian: boolean,
): ProcSocket[] | undefined {
  const out: ProcSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 4) continue;
    if (f[3] !== state) continue;
    const m = /^([0-9A-F]+):([0-9A-F]{4})$/.exec(f[1]!);
    if (!m) return undefined;
    const bytes = addressBytes(m[1]!, littleEndian);
    if (!bytes || bytes.length !== (family === 'ipv4' ? 4 : 16)) return undefined;
    if (family === 'ipv6' && bytes.every((b) => b === 0)) return undefined;
    out.push({
      address: family === 'ipv4' ? bytes.join('.') : formatIpv6(bytes),
      port: parseInt(m[2]!, 16),
      family,
    });
  }
  return out;
}

/** The kernel prints each 32-bit word of the address in host byte order (`%08X`). */
function addressBytes(hex: string, littleEndian: boolean): number[] | undefined {
  if (hex.length % 8 !== 0) return undefined;
  const out: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((k) => parseInt(hex.slice(w + k, w + k + 2), 16));
    out.push(...(littleEndian ? word.reverse() : word));
  }
  return out;
}

/**
 * An IPv6 address as glibc's inet_ntop writes it (what `ss` prints): lower-case hex, the first
 * longest run of two or more zero groups as `::`, and an IPv4 tail for `::a.b.c.d` and
 * `::ffff:a.b.c.d`.
 */
export function formatIpv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += bytes.slice(12, 16).join('.');
      break;
    }
    out += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
