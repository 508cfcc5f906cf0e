import type { MatchModule } from '../model/ruleset.js';
import { arg, fail, type CompiledMatches } from './match-common.js';
import { compileTcpUdp } from './match-ports.js';
import { aState } from './packet.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

const CHUNKS = new Set([
  'DATA',
  'INIT',
  'INIT_ACK',
  'SACK',
  'HEARTBEAT',
  'HEARTBEAT_ACK',
  'ABORT',
  'SHUTDOWN',
  'SHUTDOWN_ACK',
  'ERROR',
  'COOKIE_ECHO',
  'COOKIE_ACK',
  'ECN_ECNE',
  'ECN_CWR',
  'SHUTDOWN_COMPLETE',
  'ASCONF',
  'ASCONF_ACK',
  'FORWARD_TSN',
]);

/**
 * Whether xt_sctp's chunk test holds for a packet that carries one INIT chunk (the first packet
 * of an association, flags 0): `any` wants INIT listed, `only` too (every chunk must be listed),
 * `all` wants every listed type present, so INIT alone.
 */
export function initChunkMatches(how: string, list: string): boolean {
  const types =
    list.toUpperCase() === 'NONE' ? [] : list.split(',').map((c) => c.split(':')[0]!.toUpperCase());
  for (const c of types) if (c !== 'ALL' && !CHUNKS.has(c)) fail(`SCTP chunk type ${c}`);
  const listed = types.includes('ALL') ? [...CHUNKS] : types;
  const hasInit = listed.includes('INIT');
  switch (how) {
    case 'any':
    case 'only':
      return hasInit;
    case 'all':
      return listed.every((c) => c === 'INIT');
    default:
      return fail(`--chunk-types ${how}`);
  }
}

/**
 * `-m sctp`: ports as for tcp and udp; `--chunk-types` from the packet's conntrack state (a NEW
 * packet is an INIT chunk alone; the chunks of later packets are not known).
 */
export function compileSctp(m: MatchModule, out: CompiledMatches): void {
  const ports = m.options.filter((o) => o.name !== '--chunk-types');
  if (ports.length > 0) compileTcpUdp({ ...m, options: ports }, 132, out);
  for (const o of m.options) {
    if (o.name !== '--chunk-types') continue;
    const hit = initChunkMatches(arg(o, 0).toLowerCase(), arg(o, 1));
    const neg = o.negated;
    out.checks.push((t) => {
      if (t.proto !== 132) return NO;
      if (t.state !== 'NEW') {
        t.why = `the SCTP chunks of ${aState(t.state)} packet`;
        return UNK;
      }
      return hit !== neg ? YES : NO;
    });
  }
}
