import { DOCKER_NFT_TABLE, type NftExpr, type NftRuleset } from '../model/nft.js';
import type { Family } from '../model/ruleset.js';
import type { MatrixDestination } from './destinations.js';

/**
 * Published ports read back from the DNAT rules of Docker 29's nftables backend (chain
 * `nat-prerouting-and-output` of the `docker-bridges` tables), for audit without Docker's inventory.
 */

const RANGE_LIMIT = 64;
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function matchOf(exprs: NftExpr[], protocol: string, field: string): unknown {
  for (const e of exprs) {
    if (e.kind !== 'match' || !isObj(e.value) || e.value['op'] !== '==') continue;
    const left = e.value['left'];
    if (!isObj(left) || !isObj(left['payload'])) continue;
    if (left['payload']['protocol'] === protocol && left['payload']['field'] === field)
      return e.value['right'];
  }
  return undefined;
}

export function nftNatDestinations(nft: NftRuleset): MatrixDestination[] {
  const out: MatrixDestination[] = [];
  for (const t of nft.tables) {
    if (t.name !== DOCKER_NFT_TABLE || (t.family !== 'ip' && t.family !== 'ip6')) continue;
    const family: Family = t.family === 'ip' ? 'ipv4' : 'ipv6';
    const chain = t.chains.find((c) => c.name === 'nat-prerouting-and-output');
    for (const r of chain?.rules ?? []) {
      const dnat = r.expr.find((e) => e.kind === 'dnat');
      if (!dnat || !isObj(dnat.value)) continue;
      const { addr, port } = dnat.value;
      for (const proto of ['tcp', 'udp', 'sctp'] as const) {
        const dport = matchOf(r.expr, proto, 'dport');
        const range =
          typeof dport === 'number'
            ? [dport, dport]
            : isObj(dport) && Array.isArray(dport['range'])
              ? (dport['range'] as number[])
              : undefined;
        if (!range || typeof range[0] !== 'number' || typeof range[1] !== 'number') continue;
        const daddr = matchOf(r.expr, t.family, 'daddr');
        const hostIp = typeof daddr === 'string' ? daddr : family === 'ipv4' ? '0.0.0.0' : '::';
        const last = Math.min(range[1], range[0] + RANGE_LIMIT - 1);
        for (let p = range[0]; p <= last; p++) {
          const d: MatrixDestination = {
            kind: 'published',
            family,
            proto,
            hostIp,
            hostPort: p,
            origin: 'nat-rules',
          };
          if (typeof addr === 'string')
            d.target = { address: addr, port: typeof port === 'number' ? port + (p - range[0]) : p };
          out.push(d);
        }
      }
    }
  }
  return out;
}
