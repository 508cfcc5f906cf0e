import { NAME_PATTERN, ONE_KEY_NAME_PATTERN } from './schema.js';

/**
 * The `rules:` lists of a native policy's chains hold nearly all of a large policy, and zod checks
 * each entry against a union of two forms: the explicit `{name, rule}` form fails first (one issue
 * per entry) before the short `NAME: TEXT` form passes. That costs most of the schema's time and
 * makes garbage for every rule.
 *
 * A list whose every entry plainly fits one of the forms is set aside before the schema runs (the
 * schema then sees an empty list there) and put back into its output: the entries are equal to what
 * zod would return, with their keys in the same order. A list with any entry that does not plainly fit stays in place, so zod reports
 * it, positioned, as before. test/unit/policy/rule-lists.test.ts holds the two to the same result.
 *
 * A pyfw wishes file's lists (`NAME: TEXT` entries, checked by a record and a one-pair refinement)
 * are set aside the same way; test/unit/policy/pyfw-rule-lists.test.ts holds those to the schema.
 */

type Entry = Record<string, unknown>;
interface SetAside {
  family: string;
  table: string;
  chain: string;
  rules: Entry[];
}

const FAMILIES = ['ipv4', 'ipv6'] as const;
const PYFW_FAMILIES = ['iptables', 'ip6tables'] as const;

function isPlainObject(v: unknown): v is Entry {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  return Object.getPrototypeOf(v) === Object.prototype;
}

const fitsName = (s: unknown, pattern: RegExp): s is string =>
  typeof s === 'string' && s.length <= 128 && pattern.test(s);

/** The entry as the schema would return it, or undefined when it does not plainly fit a form. */
export function plainRuleEntry(entry: unknown): Entry | undefined {
  if (!isPlainObject(entry)) return undefined;
  let count = 0;
  let only: string | undefined;
  for (const k in entry) {
    if (!Object.prototype.hasOwnProperty.call(entry, k)) return undefined;
    if (++count > 2) return undefined;
    only ??= k;
  }
  if (count === 1) {
    const value = entry[only!];
    if (typeof value !== 'string' || only === '__proto__' || !fitsName(only, ONE_KEY_NAME_PATTERN))
      return undefined;
    // The schema's record would copy it: the entry is a fresh object of the data, used once.
    return entry;
  }
  if (count === 2 && 'name' in entry && 'rule' in entry) {
    const { name, rule } = entry;
    if (!fitsName(name, NAME_PATTERN) || typeof rule !== 'string') return undefined;
    return only === 'name' ? entry : { name, rule };
  }
  return undefined;
}

/** The rule list as the schema would return it, or undefined when an entry needs the schema. */
function plainRuleList(list: unknown): Entry[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Entry[] = new Array<Entry>(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = plainRuleEntry(list[i]);
    if (!e) return undefined;
    out[i] = e;
  }
  return out;
}

/**
 * A pyfw wishes entry (`NAME: TEXT`, one pair) as the schema would return it, or undefined when it
 * does not plainly fit.
 */
export function plainPyfwRuleEntry(entry: unknown): Entry | undefined {
  if (!isPlainObject(entry)) return undefined;
  let only: string | undefined;
  for (const k in entry) {
    if (!Object.prototype.hasOwnProperty.call(entry, k) || only !== undefined) return undefined;
    only = k;
  }
  if (only === undefined || only === '' || only === '__proto__') return undefined;
  return typeof entry[only] === 'string' ? entry : undefined;
}

function plainPyfwRuleList(list: unknown): Entry[] | undefined {
  if (!Array.isArray(list)) return undefined;
  for (let i = 0; i < list.length; i++) if (!plainPyfwRuleEntry(list[i])) return undefined;
  return list as Entry[];
}

/** Takes the plainly fitting `rules:` lists out of `data` (leaving empty ones); see `putBack`. */
export function setAsideRuleLists(data: unknown): SetAside[] {
  return setAside(data, FAMILIES, plainRuleList);
}

/** The same for a pyfw wishes file: its lists under `pyfw_wishes.iptables|ip6tables`. */
export function setAsidePyfwRuleLists(data: unknown): SetAside[] {
  return isPlainObject(data) ? setAside(data.pyfw_wishes, PYFW_FAMILIES, plainPyfwRuleList) : [];
}

/** Puts a pyfw wishes file's lists set aside back into the schema's output. */
export function putBackPyfwRuleLists(parsed: unknown, aside: readonly SetAside[]): void {
  if (isPlainObject(parsed)) putBackRuleLists(parsed.pyfw_wishes, aside);
}

function setAside(
  data: unknown,
  families: readonly string[],
  plainList: (list: unknown) => Entry[] | undefined,
): SetAside[] {
  const out: SetAside[] = [];
  if (!isPlainObject(data)) return out;
  for (const family of families) {
    const tables = data[family];
    if (!isPlainObject(tables)) continue;
    for (const table of Object.keys(tables)) {
      const chains = tables[table];
      if (!isPlainObject(chains)) continue;
      for (const chain of Object.keys(chains)) {
        const c = chains[chain];
        if (!isPlainObject(c) || !Array.isArray(c.rules) || c.rules.length === 0) continue;
        const rules = plainList(c.rules);
        if (!rules) continue;
        c.rules = [];
        out.push({ family, table, chain, rules });
      }
    }
  }
  return out;
}

/** Puts the lists set aside into the schema's output, where the chain is still there. */
export function putBackRuleLists(parsed: unknown, aside: readonly SetAside[]): void {
  if (!isPlainObject(parsed)) return;
  for (const a of aside) {
    const tables = (parsed as Record<string, Record<string, Record<string, Entry> | undefined> | undefined>)[
      a.family
    ];
    const c = tables?.[a.table]?.[a.chain];
    if (c && Object.prototype.hasOwnProperty.call(c, 'rules')) c.rules = a.rules;
  }
}
