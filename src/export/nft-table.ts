import { memberComment, memberElement } from '../parse/index.js';
import type {
  Diagnostic,
  Family,
  IpSet,
  NftChainSpec,
  NftHookSpec,
  NftRuleSpec,
  NftSetSpec,
  NftTableSpec,
} from '../model/index.js';
import { diag, nftFamilyOf } from '../model/index.js';
import type { ExportRule } from './export-types.js';
import { nftRule, type NftContext } from './nft-rule.js';
import { Untranslatable, nftName, nftString } from './nft-words.js';

/**
 * The one path from iptables rules to an nftables table, shared by `export --format nft` and by the
 * nftables writer (`apply` on a host where Docker runs its nftables backend): chains with their hooks,
 * each rule translated by `nftRule`, and the ipsets the rules use as named sets of the table.
 */

/** One chain to write: its rules in canonical form. */
export interface NftChainInput {
  /** The name in nft (a base chain may be named apart from the iptables chain it comes from). */
  name: string;
  hook?: NftHookSpec;
  rules: ExportRule[];
  /** How diagnostics name a rule of this chain (`ipv4 filter INPUT rule "ssh"`). */
  where(rule: ExportRule): string;
}

export interface NftTableOptions {
  /**
   * The writer's identity: every rule's comment becomes `COMMENT #DIGEST` (its own comment, e.g.
   * `dockwall:filter/web`, and a digest of the rule's text), which is how a read back tells rules
   * apart. The export keeps each rule's own comment.
   */
  identify?: boolean;
  /** Sets this mark (`MARK/MASK`) on packets a rule accepts (Docker's `--bridge-accept-fwmark`). */
  acceptMark?: string;
}

/** Docker's filter-FORWARD runs at priority filter (0); dockwall's forward chain runs before it. */
export const FORWARD_PRIORITY = -10;

export function buildNftTable(
  family: Family,
  name: string,
  chains: NftChainInput[],
  sets: ReadonlyMap<string, IpSet>,
  diagnostics: Diagnostic[],
  opts: NftTableOptions = {},
): NftTableSpec {
  const jumpable = new Set(chains.filter((c) => !c.hook).map((c) => c.name));
  const ctx: NftContext = { family, sets, chains: jumpable };
  if (opts.acceptMark) ctx.acceptMark = opts.acceptMark;
  const used = new Set<string>();
  const out: NftChainSpec[] = [];
  for (const c of chains) {
    const spec: NftChainSpec = { name: c.name, rules: [] };
    if (c.hook) spec.hook = c.hook;
    for (const r of c.rules) {
      const t = nftRule(r.rule, { ...ctx, withoutComment: true });
      if ('problem' in t) {
        diagnostics.push(
          diag(
            'error',
            'export.nft-untranslatable',
            `${c.where(r)} cannot be translated to nftables: ${t.problem}`,
            r.pos,
          ),
        );
        continue;
      }
      for (const s of t.sets) used.add(s);
      const rule = ruleSpec(family, t.text, t.comment, r, opts);
      if (Buffer.byteLength(rule.comment) > 128) {
        diagnostics.push(
          diag(
            'error',
            'export.nft-untranslatable',
            `${c.where(r)}: its comment is too long for nftables (128 bytes, dockwall's ` +
              `identifying digest included)`,
            r.pos,
          ),
        );
        continue;
      }
      spec.rules.push(rule);
    }
    out.push(spec);
  }
  const setSpecs: NftSetSpec[] = [];
  for (const s of [...used].sort()) {
    const set = sets.get(s);
    if (set) setSpecs.push(setSpec(set, family, diagnostics));
  }
  return { family, name, sets: setSpecs, chains: out };
}

function ruleSpec(
  family: Family,
  body: string,
  comment: string | undefined,
  r: ExportRule,
  opts: NftTableOptions,
): NftRuleSpec {
  const spec: NftRuleSpec = {
    body,
    comment: opts.identify ? `${comment ?? 'dockwall'} #${digest(`${family} ${body}`)}` : (comment ?? ''),
  };
  if (!r.label.startsWith('#')) spec.name = r.label;
  if (r.pos) spec.pos = r.pos;
  return spec;
}

/** FNV-1a of the text, 8 hex digits: enough to tell one rule of a chain from another. */
export function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function setSpec(set: IpSet, family: Family, diagnostics: Diagnostic[]): NftSetSpec {
  try {
    nftName(set.name);
  } catch (e) {
    if (!(e instanceof Untranslatable)) throw e;
    diagnostics.push(diag('error', 'export.nft-name', `${family} set ${set.name}: ${e.message}`, set.pos));
  }
  return {
    name: set.name,
    type: set.family === 'inet6' ? 'ipv6_addr' : 'ipv4_addr',
    // ipset's networks may overlap; an nft interval set refuses that unless it merges them.
    interval: set.type === 'hash:net',
    elements: set.members.map((m) => {
      const comment = memberComment(m);
      const element = memberElement(m).replace(/\/(32|128)$/, '');
      return comment === undefined ? { element } : { element, comment };
    }),
  };
}

/** A rule's line in a table: its body and comment. */
export function nftRuleLine(r: NftRuleSpec): string {
  return r.comment ? `${r.body} comment ${nftString(r.comment)}` : r.body;
}

export function hookText(h: NftHookSpec): string {
  return `type ${h.type} hook ${h.hook} priority ${h.priority}; policy ${h.policy};`;
}

/**
 * The table as `nft -f` input that replaces it whole: declared (so the delete cannot fail), deleted
 * and declared again with its contents, all in the one transaction `nft -f` makes of a file.
 */
export function nftTableLines(t: NftTableSpec): string[] {
  const id = `${nftFamilyOf(t.family)} ${t.name}`;
  const lines = [`table ${id}`, `delete table ${id}`, `table ${id} {`];
  for (const s of t.sets) {
    lines.push(`\tset ${s.name} {`, `\t\ttype ${s.type}`);
    if (s.interval) lines.push('\t\tflags interval', '\t\tauto-merge');
    const elements = s.elements.map((e) =>
      e.comment === undefined ? e.element : `${e.element} comment ${nftString(e.comment)}`,
    );
    if (elements.length > 0) lines.push(`\t\telements = { ${elements.join(', ')} }`);
    lines.push('\t}');
  }
  for (const c of t.chains) {
    lines.push(`\tchain ${c.name} {`);
    if (c.hook) lines.push(`\t\t${hookText(c.hook)}`);
    for (const r of c.rules) lines.push(`\t\t${nftRuleLine(r)}`);
    lines.push('\t}');
  }
  lines.push('}');
  return lines;
}

/** `delete table` of one of dockwall's tables, declared first so that it cannot fail. */
export function nftDeleteTableLines(family: Family, name: string): string[] {
  const id = `${nftFamilyOf(family)} ${name}`;
  return [`table ${id}`, `delete table ${id}`];
}
