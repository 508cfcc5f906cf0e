import type { MatchModule } from '../model/ruleset.js';
import { arg, fail, type CompiledMatches } from './match-common.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

const ELEMENT = new Set(['--reqid', '--spi', '--proto', '--mode', '--tunnel-src', '--tunnel-dst', '--next']);

/**
 * `-m policy --dir in|out --pol none|ipsec`: whether the packet came in through (`in`) or leaves
 * through (`out`) an IPsec SA. Probes are plain packets unless trace `--ipsec` says the packet
 * arrived through one (or, sent by the host, leaves through one). `--pol ipsec` with SA details
 * (`--reqid`, `--spi`, `--mode`, tunnel addresses) cannot be decided for an IPsec packet.
 */
export function compilePolicy(m: MatchModule, out: CompiledMatches): void {
  let dir: string | undefined;
  let pol: string | undefined;
  let details = false;
  for (const o of m.options) {
    if (o.name === '--dir') dir = arg(o);
    else if (o.name === '--pol') pol = arg(o);
    else if (o.name === '--strict' || ELEMENT.has(o.name)) details = true;
    else fail(`-m policy ${o.name}`);
  }
  if ((dir !== 'in' && dir !== 'out') || (pol !== 'none' && pol !== 'ipsec'))
    fail(`-m policy --dir ${dir ?? '?'} --pol ${pol ?? '?'}`);
  const wantNone = pol === 'none';
  out.checks.push((t) => {
    const given = t.probe.ipsec === true;
    if (!given) {
      t.assumed?.add('packets are not IPsec-protected (trace --ipsec to say otherwise)');
      return wantNone ? YES : NO;
    }
    // --ipsec: decrypted on arrival; for the host's own packets, encrypted on the way out.
    if ((dir === 'in') === t.local) {
      t.why = `whether the packet ${dir === 'in' ? 'came in' : 'leaves'} through an IPsec SA`;
      return UNK;
    }
    if (wantNone) return NO;
    if (details) {
      t.why = 'the IPsec SA (reqid, SPI, mode, tunnel addresses)';
      return UNK;
    }
    return YES;
  });
}
