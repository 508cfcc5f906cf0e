import { tempSetName } from '../apply/restore-script.js';
import type { IpSet } from '../model/index.js';

/** `create NAME TYPE family inet [options]` for a set (list:set and bitmap:* take no family). */
export function ipsetCreateLine(name: string, set: IpSet): string {
  const opts = set.options.map(([k, v]) => (v === true ? k : `${k} ${v}`));
  const family =
    set.type.startsWith('list:') || set.type.startsWith('bitmap:') ? [] : [`family ${set.family ?? 'inet'}`];
  return ['create', name, set.type, ...family, ...opts].join(' ');
}

/**
 * Commands (one per line, for `ipset -exist restore`) that create each set if it is missing and give it
 * exactly the listed members: the members are built in a temporary set and swapped in, so a set in use
 * is never empty or half filled. Running them again changes nothing.
 */
export function ipsetSyncLines(sets: readonly IpSet[]): string[] {
  const out: string[] = [];
  for (const set of sets) {
    const tmp = tempSetName(set.name);
    out.push(
      ipsetCreateLine(set.name, set),
      ipsetCreateLine(tmp, set),
      `flush ${tmp}`,
      ...set.members.map((m) => `add ${tmp} ${m}`),
      `swap ${tmp} ${set.name}`,
      `destroy ${tmp}`,
    );
  }
  for (const l of out) {
    if (/[\r\n\0]/.test(l))
      throw new Error(`internal error: an ipset line contains a line break: ${JSON.stringify(l)}`);
  }
  return out;
}
