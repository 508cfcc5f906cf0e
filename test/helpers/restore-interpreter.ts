import type { Family, HostState, Table, TableName } from '../../src/model/index.js';
import { parseRuleText, ruleKey } from '../../src/parse/index.js';

/**
 * Executes an `iptables-restore --noflush` script on an in-memory state, as the kernel would:
 * `:CHAIN` creates (or flushes) a user chain, `-I CHAIN N rule`, `-A`, `-D CHAIN rule` (first rule
 * with the same key), `-P`, `-X`. Throws on anything the kernel would refuse, leaving the state as it was.
 */
export function runRestoreScript(state: HostState, family: Family, script: string): HostState {
  const next = structuredClone(state);
  const rs = next.rulesets[family];
  if (!rs) throw new Error(`no ${family} rules`);
  let table: Table | undefined;
  const chain = (name: string) => {
    const c = table?.chains.find((x) => x.name === name);
    if (!c) throw new Error(`No chain/target/match by that name: ${name}`);
    return c;
  };
  const rule = (words: string[]) => {
    const r = parseRuleText(words.join(' '), { family, file: 'restore', line: 1, column: 1 });
    if (!r.value) throw new Error(`bad rule ${words.join(' ')}`);
    return r.value;
  };
  for (const line of script.split('\n')) {
    if (line === '' || line.startsWith('#') || line === 'COMMIT') continue;
    if (line.startsWith('*')) {
      const name = line.slice(1) as TableName;
      table = rs.tables.find((t) => t.name === name);
      if (!table) rs.tables.push((table = { name, chains: [] }));
      continue;
    }
    const w = line.split(' ');
    if (line.startsWith(':')) {
      const name = w[0]!.slice(1);
      const c = table!.chains.find((x) => x.name === name);
      if (c) c.rules = [];
      else table!.chains.push({ name, policy: null, rules: [] });
    } else if (w[0] === '-I') {
      const c = chain(w[1]!);
      const pos = Number(w[2]);
      if (pos < 1 || pos > c.rules.length + 1) throw new Error(`Index of insertion too big: ${line}`);
      c.rules.splice(pos - 1, 0, rule(w.slice(3)));
    } else if (w[0] === '-A') {
      chain(w[1]!).rules.push(rule(w.slice(2)));
    } else if (w[0] === '-D') {
      const c = chain(w[1]!);
      const key = ruleKey(rule(w.slice(2)), family);
      const at = c.rules.findIndex((r) => ruleKey(r, family) === key);
      if (at < 0) throw new Error(`Bad rule (does a matching rule exist in that chain?): ${line}`);
      c.rules.splice(at, 1);
    } else if (w[0] === '-P') {
      chain(w[1]!).policy = w[2] as 'ACCEPT' | 'DROP';
    } else if (w[0] === '-X') {
      const c = chain(w[1]!);
      if (c.rules.length > 0) throw new Error(`Directory not empty: ${w[1]}`);
      table!.chains = table!.chains.filter((x) => x !== c);
    } else throw new Error(`unknown restore line: ${line}`);
  }
  return next;
}

/** Executes an `ipset -exist restore` script on the sets of a state. */
export function runIpsetScript(state: HostState, script: string): HostState {
  const next = structuredClone(state);
  const sets = next.sets.sets;
  for (const line of script.split('\n')) {
    const w = line.split(' ');
    const find = (n: string) => sets.find((s) => s.name === n);
    if (w[0] === 'create' && !find(w[1]!))
      sets.push({ name: w[1]!, type: w[2]!, family: 'inet', options: [], members: [] });
    else if (w[0] === 'add') {
      // `ipset -exist restore`: a member that is there already stays as it is.
      const set = find(w[1]!)!;
      if (!set.members.some((m) => m.split(' ')[0] === w[2])) set.members.push(w[2]!);
    } else if (w[0] === 'flush') find(w[1]!)!.members = [];
    else if (w[0] === 'del') {
      const set = find(w[1]!)!;
      set.members = set.members.filter((m) => m.split(' ')[0] !== w[2]);
    } else if (w[0] === 'destroy') next.sets.sets = sets.filter((s) => s.name !== w[1]);
    else if (w[0] === 'swap') {
      const a = find(w[1]!)!;
      const b = find(w[2]!)!;
      [a.name, b.name] = [b.name, a.name];
    }
  }
  return next;
}
