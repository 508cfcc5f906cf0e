import type { MatchModule } from '../model/ruleset.js';
import { arg, fail, type CompiledMatches } from './match-common.js';
import { parsePortList, parsePortRange } from './match-values.js';
import type { Check } from './thread.js';
import { aState } from './packet.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

type PortField = 'sport' | 'dport';

function portCheck(
  proto: number,
  field: PortField,
  ranges: Array<[number, number]>,
  negated: boolean,
): Check {
  const single = ranges.length === 1 ? ranges[0]! : undefined;
  return (t) => {
    if (t.proto !== proto) return NO;
    const p = t[field];
    if (p < 0) {
      t.why = `the packet has no ${field === 'sport' ? 'source' : 'destination'} port`;
      return UNK;
    }
    let hit = false;
    if (single) hit = p >= single[0] && p <= single[1];
    else for (const [lo, hi] of ranges) if (p >= lo && p <= hi) hit = true;
    return hit !== negated ? YES : NO;
  };
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

function flagBits(text: string): number {
  if (text === 'ALL') return 0xff;
  if (text === 'NONE') return 0;
  let v = 0;
  for (const f of text.split(',')) {
    const i = TCP_FLAGS.indexOf(f);
    if (i < 0) fail(`tcp flag ${f}`);
    v |= 1 << i;
  }
  return v;
}

const SYN = 1 << 1;

function tcpFlagsCheck(mask: number, comp: number, negated: boolean): Check {
  return (t) => {
    if (t.proto !== 6) return NO;
    if (t.state !== 'NEW') {
      t.why = `TCP flags of ${aState(t.state)} packet`;
      return UNK;
    }
    return ((SYN & mask) === comp) !== negated ? YES : NO;
  };
}

export function compileTcpUdp(m: MatchModule, proto: number, out: CompiledMatches): void {
  for (const o of m.options) {
    switch (o.name) {
      case '--sport':
      case '--source-port':
      case '--dport':
      case '--destination-port': {
        const r = parsePortRange(arg(o));
        if (!r) fail(`port ${arg(o)}`);
        const field: PortField = o.name.startsWith('--s') ? 'sport' : 'dport';
        out.checks.push(portCheck(proto, field, [r], o.negated));
        break;
      }
      case '--tcp-flags':
        if (proto !== 6) fail(`-m ${m.name} ${o.name}`);
        out.checks.push(tcpFlagsCheck(flagBits(arg(o, 0)), flagBits(arg(o, 1)), o.negated));
        break;
      case '--syn':
        if (proto !== 6) fail(`-m ${m.name} ${o.name}`);
        out.checks.push(tcpFlagsCheck(flagBits('FIN,SYN,RST,ACK'), SYN, o.negated));
        break;
      default:
        fail(`-m ${m.name} ${o.name}`);
    }
  }
}

export function compileMultiport(m: MatchModule, out: CompiledMatches): void {
  for (const o of m.options) {
    const ranges = parsePortList(arg(o));
    if (!ranges) fail(`port list ${arg(o)}`);
    const fields: PortField[] =
      o.name === '--dports' || o.name === '--destination-ports'
        ? ['dport']
        : o.name === '--sports' || o.name === '--source-ports'
          ? ['sport']
          : o.name === '--ports'
            ? ['sport', 'dport']
            : fail(`-m multiport ${o.name}`);
    const negated = o.negated;
    out.checks.push((t) => {
      if (t.proto !== 6 && t.proto !== 17 && t.proto !== 132 && t.proto !== 136) return NO;
      let hit = false;
      for (const f of fields) {
        const p = t[f];
        if (p < 0) {
          t.why = `the packet has no ${f === 'sport' ? 'source' : 'destination'} port`;
          return UNK;
        }
        for (const [lo, hi] of ranges) if (p >= lo && p <= hi) hit = true;
      }
      return hit !== negated ? YES : NO;
    });
  }
}
