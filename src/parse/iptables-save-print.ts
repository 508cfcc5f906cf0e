import type { Ruleset } from '../model/index.js';
import { formatRule } from './canonical.js';
import { LEGACY_WARNING_PREFIX } from './dump-lines.js';

const LEGACY_WARNING = `${LEGACY_WARNING_PREFIX}, use iptables-legacy-save to see them`;

function counterText(c: { packets: string; bytes: string } | undefined): string {
  return c ? `[${c.packets}:${c.bytes}]` : '[0:0]';
}

/** The rule set in iptables-save format (rules carry `[p:b]` when they have counters). */
export function printIptablesSave(rs: Ruleset): string {
  const out: string[] = [];
  if (rs.legacyTablesPresent) out.push(LEGACY_WARNING);
  for (const t of rs.tables) {
    if (t.commentsBefore) for (const c of t.commentsBefore) out.push(oneLine(c));
    out.push(`*${t.name}`);
    for (const c of t.chains) out.push(`:${c.name} ${c.policy ?? '-'} ${counterText(c.counters)}`);
    for (const c of t.chains) {
      const prefix = `-A ${c.name}`;
      for (const r of c.rules) {
        const body = formatRule(r);
        const line = body === '' ? prefix : `${prefix} ${body}`;
        out.push(r.counters ? `${counterText(r.counters)} ${line}` : line);
      }
    }
    out.push('COMMIT');
    if (t.commentsAfter) for (const c of t.commentsAfter) out.push(oneLine(c));
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

function oneLine(comment: string): string {
  return /[\r\n]/.test(comment) ? comment.replace(/[\r\n]/g, ' ') : comment;
}
