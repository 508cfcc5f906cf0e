import { contains, overlaps, parsePrefix, type Prefix } from './cidr.js';
import type { RouteFact, RuleFact } from './facts.js';

/**
 * Whether the kernel's `ip rule` list makes packets to a Docker subnet use a route of some table.
 * The kernel walks the rules in order; each selected rule looks a table up, and the first table with
 * a route for the destination decides, however specific the routes of later tables are. So a VPN's
 * route in a table looked up before `main` (strongSwan's 220) takes container addresses away from
 * Docker's bridge route even when it is less specific, and a route in a table no rule reaches before
 * `main` does not matter at all.
 */

export type Reach =
  /** The table is `main`: routes there compete with Docker's by how specific they are. */
  | { kind: 'main' }
  /** Every packet to the subnet looks this table up before `main`: its route wins. */
  | { kind: 'before-main'; rule: RuleFact }
  /** Only packets the rule selects (by source, mark, interface, …) look this table up first. */
  | { kind: 'some'; rule: RuleFact }
  /** No rule looks this table up before the packets' route is decided elsewhere. */
  | { kind: 'unused' };

type Selected = 'all' | 'some' | 'none';

/** Which packets to `subnet` (from this host or its containers, unmarked) the rule selects. */
export function ruleSelects(rule: RuleFact, subnet: Prefix): Selected {
  const parts: Selected[] = [];
  if (rule.to) {
    const to = parsePrefix(rule.to);
    parts.push(!to ? 'some' : contains(to, subnet) ? 'all' : overlaps(to, subnet) ? 'some' : 'none');
  }
  // The source is the host's address or a remote client's, the interfaces depend on the path.
  if (rule.from || rule.iif || rule.oif || (rule.otherSelectors?.length ?? 0) > 0) parts.push('some');
  const m: Selected = parts.includes('none') ? 'none' : parts.includes('some') ? 'some' : 'all';
  if (rule.fwmark !== undefined) {
    // Packets carry no mark unless something marks them: `not fwmark X` (wg-quick) selects them all.
    if (!rule.not) return m === 'none' ? 'none' : 'some';
    return parts.length === 0 ? 'all' : 'some';
  }
  if (rule.not) return parts.length === 0 ? 'none' : m === 'all' ? 'none' : m === 'none' ? 'all' : 'some';
  return m;
}

const TERMINAL = new Set(['unreachable', 'blackhole', 'prohibit']);

/**
 * How packets to `subnet` reach `route` (a route of `routes`, all of one family), going by `rules`
 * (that family's `ip rule` list).
 */
export function routeReach(
  rules: readonly RuleFact[],
  routes: readonly RouteFact[],
  route: RouteFact,
  subnet: Prefix,
): Reach {
  const table = route.table ?? 'main';
  const routeLength = parsePrefix(route.destination)?.length ?? 0;
  const decides = (r: RuleFact) => tableDecides(r, routes, subnet);
  let partial: RuleFact | undefined;
  const ended = (): Reach => (partial ? { kind: 'some', rule: partial } : { kind: 'unused' });
  for (const r of [...rules].sort((a, b) => a.priority - b.priority)) {
    const selected = ruleSelects(r, subnet);
    if (selected === 'none') continue;
    if (r.table === undefined) {
      if (selected === 'all' && r.action !== undefined && TERMINAL.has(r.action)) return ended();
      continue;
    }
    if (r.table === table) {
      if (suppressed(r, routeLength)) continue;
      if (table === 'main') return { kind: 'main' };
      if (selected === 'all') return { kind: 'before-main', rule: r };
      partial ??= r;
      continue;
    }
    if (selected === 'all' && decides(r)) return ended();
  }
  return ended();
}

const suppressed = (r: RuleFact, length: number) =>
  r.suppressPrefixLength !== undefined && length <= r.suppressPrefixLength;

/** The rule's table ends the walk for the whole subnet: one of its routes covers it. */
function tableDecides(r: RuleFact, routes: readonly RouteFact[], subnet: Prefix): boolean {
  return routes.some((x) => {
    if ((x.table ?? 'main') !== r.table) return false;
    const p = parsePrefix(x.destination);
    return p !== undefined && contains(p, subnet) && !suppressed(r, p.length);
  });
}

/**
 * Rules that stop packets to `subnet` (`unreachable`, `blackhole`, `prohibit`) before a table routes
 * them: each with whether it stops only some of them.
 */
export function blockingRules(
  rules: readonly RuleFact[],
  routes: readonly RouteFact[],
  subnet: Prefix,
): Array<{ rule: RuleFact; some: boolean }> {
  const sorted = [...rules].sort((a, b) => a.priority - b.priority);
  const out: Array<{ rule: RuleFact; some: boolean }> = [];
  sorted.forEach((r, i) => {
    if (r.table !== undefined || r.action === undefined || !TERMINAL.has(r.action)) return;
    // Judged for the part of the subnet the rule is about.
    const to = r.to ? parsePrefix(r.to) : undefined;
    if (to && !overlaps(to, subnet)) return;
    const target = to && contains(subnet, to) ? to : subnet;
    const selected = ruleSelects(r, target);
    if (selected === 'none') return;
    // Not reached when an earlier rule routes (or stops) every packet to that part.
    const earlier = sorted.slice(0, i).some((e) => {
      if (ruleSelects(e, target) !== 'all') return false;
      return e.table !== undefined ? tableDecides(e, routes, target) : TERMINAL.has(e.action ?? '');
    });
    if (!earlier) out.push({ rule: r, some: selected === 'some' });
  });
  return out;
}

/** A rule as `ip rule` prints it: `pref 220 from all lookup 220`. */
export function describeRule(r: RuleFact): string {
  const words = [`pref ${r.priority}`];
  if (r.not) words.push('not');
  words.push(`from ${r.from ?? 'all'}`);
  if (r.to) words.push(`to ${r.to}`);
  if (r.fwmark) words.push(`fwmark ${r.fwmark}`);
  if (r.iif) words.push(`iif ${r.iif}`);
  if (r.oif) words.push(`oif ${r.oif}`);
  for (const o of r.otherSelectors ?? []) words.push(o);
  words.push(r.table !== undefined ? `lookup ${r.table}` : (r.action ?? ''));
  if (r.suppressPrefixLength !== undefined) words.push(`suppress_prefixlength ${r.suppressPrefixLength}`);
  return words.join(' ');
}
