import type { NftRule } from '../model/nft.js';

/**
 * nftables rule text from the JSON nft printed, close to what `nft list ruleset` shows, for trace
 * output. Expressions it does not know are shown as their JSON.
 */

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function formatNftValue(v: unknown): string {
  if (typeof v === 'string') return /^[\w.:/@*-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return v.map(formatNftValue).join(',');
  if (!isObj(v)) return JSON.stringify(v);
  const k = Object.keys(v)[0]!;
  const b = v[k];
  if (isObj(b)) {
    switch (k) {
      case 'payload':
        return `${String(b['protocol'])} ${String(b['field'])}`;
      case 'meta':
        return IFACE_KEYS.has(String(b['key'])) ? String(b['key']) : `meta ${String(b['key'])}`;
      case 'ct':
        return `ct${b['dir'] ? ` ${String(b['dir'])}` : ''}${b['family'] ? ` ${String(b['family'])}` : ''} ${String(b['key'])}`;
      case 'fib': {
        const fl = Array.isArray(b['flags']) ? b['flags'].join(' . ') : String(b['flags']);
        return `fib ${fl} ${String(b['result'])}`;
      }
      case 'prefix':
        return `${String(b['addr'])}/${String(b['len'])}`;
      case 'elem':
        return formatNftValue(b['val']);
      case 'jump':
      case 'goto':
        return `${k} ${String(b['target'])}`;
    }
  }
  if (Array.isArray(b)) {
    switch (k) {
      case 'range':
        return `${formatNftValue(b[0])}-${formatNftValue(b[1])}`;
      case 'set':
        return `{ ${b.map((e) => (Array.isArray(e) ? `${formatNftValue(e[0])} : ${formatNftValue(e[1])}` : formatNftValue(e))).join(', ')} }`;
      case 'concat':
        return b.map(formatNftValue).join(' . ');
      case '&':
      case '|':
      case '^':
        return `${formatNftValue(b[0])} ${k} ${formatNftValue(b[1])}`;
    }
  }
  if (b === null && ['accept', 'drop', 'return', 'continue'].includes(k)) return k;
  return JSON.stringify(v);
}

const IFACE_KEYS = new Set(['iifname', 'oifname', 'iif', 'oif']);

/** Interface names are quoted, as nft prints them. */
function formatRight(left: unknown, right: unknown): string {
  const key = isObj(left) && isObj(left['meta']) ? String(left['meta']['key']) : '';
  if (!IFACE_KEYS.has(key)) return formatNftValue(right);
  const q = (x: unknown) => (typeof x === 'string' ? JSON.stringify(x) : formatNftValue(x));
  if (isObj(right) && Array.isArray(right['set'])) return `{ ${right['set'].map(q).join(', ')} }`;
  return q(right);
}

function formatStatement(kind: string, v: unknown): string {
  const o = isObj(v) ? v : {};
  switch (kind) {
    case 'match': {
      const op = String(o['op'] ?? '==');
      const shown = op === '==' || op === 'in' ? '' : `${op} `;
      return `${formatNftValue(o['left'])} ${shown}${formatRight(o['left'], o['right'])}`;
    }
    case 'counter':
      return 'counter';
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'masquerade':
    case 'notrack':
      return v === null || !isObj(v) ? kind : `${kind} ${JSON.stringify(v)}`;
    case 'jump':
    case 'goto':
      return `${kind} ${String(o['target'])}`;
    case 'vmap':
      return `${formatNftValue(o['key'])} vmap ${formatNftValue(o['data'])}`;
    case 'dnat':
    case 'snat': {
      const addr = o['addr'] === undefined ? '' : formatNftValue(o['addr']);
      const a = addr.includes(':') && o['port'] !== undefined ? `[${addr}]` : addr;
      return `${kind} to ${a}${o['port'] !== undefined ? `:${formatNftValue(o['port'])}` : ''}`;
    }
    case 'reject':
      return isObj(v) && v['type']
        ? `reject with ${String(v['type'])} ${formatNftValue(v['expr'] ?? '')}`.trim()
        : 'reject';
    case 'mangle':
      return `${formatNftValue(o['key'])} set ${formatNftValue(o['value'])}`;
    case 'log':
      return 'log';
    case 'xt':
      return `xt ${String(o['type'] ?? '')} ${String(o['name'] ?? '')}`.replace(/\s+/g, ' ').trim();
    default:
      return JSON.stringify({ [kind]: v });
  }
}

/** `ip daddr 192.0.2.2 tcp dport 80 counter accept comment "…"`. */
export function formatNftRule(rule: NftRule): string {
  const text = rule.expr.map((e) => formatStatement(e.kind, e.value)).join(' ');
  return rule.comment !== undefined ? `${text} comment ${JSON.stringify(rule.comment)}` : text;
}
