import ipaddr from 'ipaddr.js';
import type {
  ContainerAllow,
  Diagnostic,
  DockerInventory,
  Family,
  Policy,
  PublishedPort,
  SharedAllow,
  SourcePos,
} from '../model/index.js';
import { FAMILIES } from '../model/index.js';
import { grantedPorts, portInFamily } from './container-rules.js';
import { selectContainers } from './container-select.js';
import { coveredFamilies } from './families.js';
import { appliesToFamily, familyOfAddress } from './rule-builder.js';

/**
 * Entries that another entry takes precedence over, each reported with both positions:
 * - a filter entry that an earlier filter entry already allows wholly (first match wins);
 * - a `containers:` entry that an earlier entry for the same containers already grants wholly;
 * with the Docker inventory (the published ports are known):
 * - a container grant that lets in sources the shared filter does not allow (the grant decides first);
 * - a filter entry for a published port that no grant takes, which `deny_unlisted_published` refuses.
 */
export function shadowedEntries(policy: Policy, inventory: DockerInventory | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const allow = policy.sharedFilter?.allow ?? [];
  allow.forEach((b, j) => {
    const a = allow.slice(0, j).find((x) => filterEntryCovers(x, b));
    if (a) out.push(shadowed(`filter entry \`${b.name}\``, `filter entry \`${a.name}\``, b.pos, a.pos));
  });
  policy.containers.forEach((b, j) => {
    const a = policy.containers.slice(0, j).find((x) => grantCovers(x, b));
    if (a) out.push(shadowed(`\`containers:\` entry \`${b.name}\``, `entry \`${a.name}\``, b.pos, a.pos));
  });
  if (inventory && policy.containers.length > 0) out.push(...acrossSections(policy, inventory));
  return out;
}

function shadowed(what: string, by: string, pos?: SourcePos, byPos?: SourcePos): Diagnostic {
  const d: Diagnostic = {
    severity: 'warning',
    code: 'compile.shadowed-entry',
    message: `${what} never decides: the earlier ${by}${at(byPos)} already allows everything it allows (the first entry that matches wins)`,
  };
  if (pos) d.pos = pos;
  if (byPos) d.related = [byPos];
  return d;
}

function at(pos: SourcePos | undefined): string {
  return pos ? ` (${pos.file}:${pos.line}:${pos.column})` : '';
}

function acrossSections(policy: Policy, inventory: DockerInventory): Diagnostic[] {
  const out: Diagnostic[] = [];
  const sf = policy.sharedFilter;
  const allow = sf?.allow ?? [];
  const filterFamilies = sf ? coveredFamilies(sf.families, FAMILIES) : [];
  const granted = new Map<string, ContainerAllow[]>();
  for (const g of policy.containers) {
    const matched = selectContainers(inventory, g.selector);
    for (const family of coveredFamilies(g.families, FAMILIES)) {
      if (!appliesToFamily(family, g.sources, g.sets, policy.ipsets)) continue;
      for (const p of grantedPorts(g, matched, family)) {
        const key = `${family}/${p.proto}/${p.hostPort}`;
        granted.set(key, [...(granted.get(key) ?? []), g]);
        if (!sf || !filterFamilies.includes(family)) continue;
        if (allow.some((e) => filterAllows(e, p, g, family, policy))) continue;
        const d: Diagnostic = {
          severity: 'info',
          code: 'compile.grant-over-filter',
          message: `\`containers:\` entry \`${g.name}\` lets ${sourcesText(g)} reach published port ${p.hostPort}/${p.proto} (${family}), which the shared filter${at(sf.pos)} does not allow them: the container grant decides first`,
        };
        if (g.pos) d.pos = g.pos;
        if (sf.pos) d.related = [sf.pos];
        out.push(d);
      }
    }
  }
  if (sf && policy.denyUnlistedPublished) {
    const published = inventory.containers.flatMap((c) => c.ports.map((p) => ({ c: c.name, p })));
    for (const e of allow) {
      for (const family of filterFamilies) {
        if (!appliesToFamily(family, e.sources, e.sets, policy.ipsets)) continue;
        let grants: ContainerAllow[] | undefined;
        const hit = published.find(({ p }) => {
          if (!protoCovers(e.proto, p.proto) || !portsCover(e.ports, [`${p.hostPort}`])) return false;
          if (!portInFamily(p, family)) return false;
          grants = granted.get(`${family}/${p.proto}/${p.hostPort}`);
          return !grants?.some((g) => sourcesCover(g.sources, g.sets, e.sources, e.sets));
        });
        if (!hit) continue;
        const gpos = grants?.[0]?.pos ?? policy.containers[0]?.pos;
        const why = grants
          ? `the \`containers:\` entry \`${grants[0]!.name}\`${at(gpos)} grants it to fewer sources, so deny_unlisted_published refuses the others`
          : `no \`containers:\` entry${at(gpos)} grants it, so deny_unlisted_published refuses it`;
        const d: Diagnostic = {
          severity: 'warning',
          code: 'compile.filter-entry-overridden',
          message: `filter entry \`${e.name}\` allows ${hit.p.hostPort}/${hit.p.proto}, but container ${hit.c.replace(/^\//, '')} publishes that port and ${why} (${family})`,
        };
        if (e.pos) d.pos = e.pos;
        if (gpos) d.related = [gpos];
        out.push(d);
        break;
      }
    }
  }
  return out;
}

function filterEntryCovers(a: SharedAllow, b: SharedAllow): boolean {
  return (
    protoCovers(a.proto, b.proto) &&
    portsCover(a.ports, b.ports) &&
    sourcesCover(a.sources, a.sets, b.sources, b.sets)
  );
}

function grantCovers(a: ContainerAllow, b: ContainerAllow): boolean {
  const fa = coveredFamilies(a.families, FAMILIES);
  return (
    JSON.stringify(a.selector) === JSON.stringify(b.selector) &&
    (a.proto === undefined || a.proto === b.proto) &&
    (a.ports.length === 0 || (b.ports.length > 0 && b.ports.every((p) => a.ports.includes(p)))) &&
    coveredFamilies(b.families, FAMILIES).every((f) => fa.includes(f)) &&
    sourcesCover(a.sources, a.sets, b.sources, b.sets)
  );
}

/** Whether filter entry `e` lets every source of grant `g` (in this family) reach published port `p`. */
function filterAllows(
  e: SharedAllow,
  p: PublishedPort,
  g: ContainerAllow,
  family: Family,
  policy: Policy,
): boolean {
  if (!protoCovers(e.proto, p.proto) || !portsCover(e.ports, [`${p.hostPort}`])) return false;
  const inFamily = (xs: string[]) => xs.filter((x) => familyOfAddress(x) === family);
  const setsIn = (xs: string[]) =>
    xs.filter((n) => (policy.ipsets.find((s) => s.name === n)?.family === 'inet6') === (family === 'ipv6'));
  const eRestricted = e.sources.length + e.sets.length > 0;
  if (eRestricted && inFamily(e.sources).length + setsIn(e.sets).length === 0) return false;
  return sourcesCover(
    eRestricted ? inFamily(e.sources) : [],
    eRestricted ? setsIn(e.sets) : [],
    inFamily(g.sources),
    setsIn(g.sets),
    g.sources.length + g.sets.length > 0,
  );
}

function protoCovers(a: string, b: string): boolean {
  return a === 'any' || a === b;
}

/** Every port of `b` is in one of `a`'s ports or ranges (no ports: every port). */
function portsCover(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0) return true;
  if (b.length === 0) return false;
  const ranges = a.map(range);
  return b.map(range).every(([lo, hi]) => ranges.some(([l, h]) => l <= lo && hi <= h));
}

function range(p: string): [number, number] {
  const [lo, hi] = p.split(':').map(Number);
  return [lo!, hi ?? lo!];
}

/**
 * Every source `b` allows is one `a` allows: `a` is unrestricted, or each of `b`'s networks lies in
 * one of `a`'s and each of `b`'s sets is one of `a`'s.
 */
function sourcesCover(
  aSources: readonly string[],
  aSets: readonly string[],
  bSources: readonly string[],
  bSets: readonly string[],
  bRestricted = bSources.length + bSets.length > 0,
): boolean {
  if (aSources.length + aSets.length === 0) return true;
  if (!bRestricted) return false;
  return (
    bSets.every((s) => aSets.includes(s)) && bSources.every((s) => aSources.some((n) => inNetwork(s, n)))
  );
}

function inNetwork(inner: string, outer: string): boolean {
  const [ia, ib] = cidr(inner);
  const [oa, ob] = cidr(outer);
  return ia.kind() === oa.kind() && ib >= ob && ia.match(oa, ob);
}

function cidr(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const [addr, prefix] = text.split('/');
  const a = ipaddr.parse(addr!);
  return [a, prefix === undefined ? (a.kind() === 'ipv4' ? 32 : 128) : Number(prefix)];
}

function sourcesText(g: ContainerAllow): string {
  const all = [...g.sources, ...g.sets.map((s) => `set ${s}`)];
  return all.length === 0 ? 'every source' : all.join(', ');
}
