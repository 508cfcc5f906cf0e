import type {
  ChainPolicy,
  ChainReference,
  Diagnostic,
  DockerInventory,
  Family,
  IpSet,
  NftTableSpec,
  Policy,
  PolicyRule,
  Rule,
  SourcePos,
  TableName,
} from '../model/index.js';
import { FAMILIES, checkInventory, diag, rejectedDiagnostics } from '../model/index.js';
import { ruleKey, withComment } from '../parse/index.js';
import { compileContainerRules } from './container-rules.js';
import { chainKind, tagFor, type ChainKind } from './ownership.js';
import { DOCKER_USER } from './ownership.js';
import { shadowedEntries } from './shadowing.js';
import { compileSharedFilter, filterJumps } from './shared-filter.js';

/** A rule as it must exist in the kernel, with the name that identifies it. */
export interface DesiredRule {
  name: string;
  /** The rule including dockwall's tag comment (for `tag` identity). */
  rule: Rule;
  key: string;
  identity: 'tag' | 'own-comment';
  pos?: SourcePos;
}

export interface DesiredChain {
  family: Family;
  table: TableName;
  chain: string;
  kind: ChainKind;
  policy?: ChainPolicy;
  policyPos?: SourcePos;
  rules: DesiredRule[];
}

export interface DesiredState {
  chains: DesiredChain[];
  sets: IpSet[];
  /** Families the policy manages (the planner reads and plans only these). */
  families: Family[];
  diagnostics: Diagnostic[];
  /** Jumps to chains the policy does not make: a plan checks that the host has them. */
  references?: ChainReference[];
  /**
   * dockwall's own nftables tables, where Docker runs its nftables backend (set by
   * `forNftablesBackend`, which then leaves DOCKER-USER and what only it enters out of `chains`).
   */
  nft?: { tables: NftTableSpec[]; families: Family[] };
}

export interface CompileContext {
  /** Docker's networks and containers; needed for `containers:` rules. */
  inventory?: DockerInventory;
  /**
   * The families the host has: those whose tables were read (live), or whose dumps were given
   * (offline). The shared filter and `containers:` cover each of them. Default: both.
   */
  hostFamilies?: readonly Family[];
  /** `validate`: the policy alone, no host; notes that are about a missing host are not made. */
  policyOnly?: boolean;
}

export function desiredRule(
  family: Family,
  name: string,
  rule: Rule,
  identity: DesiredRule['identity'],
  pos?: SourcePos,
): DesiredRule {
  const full = identity === 'tag' ? withComment(rule, tagFor(name)) : rule;
  const d: DesiredRule = { name, rule: full, key: ruleKey(full, family), identity };
  if (pos) d.pos = pos;
  return d;
}

function fromPolicyRule(family: Family, r: PolicyRule): DesiredRule {
  return desiredRule(family, r.name, r.rule, r.identity, r.pos);
}

/** Looks up (or creates) the desired chain for family/table/chain, keeping declaration order. */
export class DesiredChains {
  readonly list: DesiredChain[] = [];

  get(family: Family, table: TableName, chain: string): DesiredChain {
    let c = this.list.find((x) => x.family === family && x.table === table && x.chain === chain);
    if (!c) {
      c = { family, table, chain, kind: chainKind(table, chain), rules: [] };
      this.list.push(c);
    }
    return c;
  }
}

/** Policy (+ Docker inventory) → the chains, rules, policies and sets dockwall wants in the kernel. */
export function compileDesired(policy: Policy, ctx: CompileContext = {}): DesiredState {
  const diagnostics: Diagnostic[] = [];
  const chains = new DesiredChains();
  const families = new Set<Family>();

  for (const family of FAMILIES) {
    const fam = policy.families[family];
    if (!fam) continue;
    families.add(family);
    for (const table of fam.tables) {
      for (const pc of table.chains) {
        const c = chains.get(family, table.name, pc.name);
        if (pc.policy) {
          c.policy = pc.policy;
          if (pc.pos) c.policyPos = pc.pos;
        }
        for (const r of pc.rules) c.rules.push(fromPolicyRule(family, r));
      }
    }
  }

  const hostFamilies = ctx.hostFamilies ?? FAMILIES;
  const filterFamilies = compileSharedFilter(policy, chains, hostFamilies, diagnostics);
  filterFamilies.forEach((f) => families.add(f));
  if (policy.containers.length > 0) {
    const compileDiags: Diagnostic[] = [];
    // Docker's values reach rule text here: whatever the inventory's source, a bad one costs its entry.
    const inventory = ctx.inventory && checkInventory(ctx.inventory);
    compileDiags.push(...rejectedDiagnostics(inventory));
    const containerFamilies = compileContainerRules(
      policy,
      chains,
      inventory,
      hostFamilies,
      filterFamilies,
      compileDiags,
    );
    diagnostics.push(
      ...compileDiags.filter((d) => !ctx.policyOnly || d.code !== 'compile.no-docker-inventory'),
    );
    containerFamilies.forEach((f) => families.add(f));
    // Where `containers:` does not reach, the filter is entered from DOCKER-USER itself.
    for (const f of filterFamilies)
      if (!containerFamilies.includes(f)) filterJumps(policy, chains, f, DOCKER_USER);
  } else {
    for (const f of filterFamilies) filterJumps(policy, chains, f, DOCKER_USER);
  }
  diagnostics.push(...shadowedEntries(policy, ctx.inventory));

  for (const c of chains.list) checkDuplicateNames(c, diagnostics);

  const desired: DesiredState = {
    chains: chains.list,
    sets: policy.ipsets,
    families: FAMILIES.filter((f) => families.has(f)),
    diagnostics,
  };
  if (policy.chainReferences) desired.references = policy.chainReferences;
  return desired;
}

/** The desired state limited to these families (those whose tables could be read). */
export function onlyFamilies(desired: DesiredState, families: readonly Family[]): DesiredState {
  if (desired.families.every((f) => families.includes(f))) return desired;
  return {
    ...desired,
    chains: desired.chains.filter((c) => families.includes(c.family)),
    families: desired.families.filter((f) => families.includes(f)),
  };
}

function checkDuplicateNames(c: DesiredChain, diagnostics: Diagnostic[]): void {
  const seen = new Set<string>();
  for (const r of c.rules) {
    if (seen.has(r.key)) {
      diagnostics.push(
        diag(
          'warning',
          'compile.duplicate-rule',
          `rule "${r.name}" in ${c.family} ${c.table} ${c.chain} repeats an earlier rule exactly`,
          r.pos,
        ),
      );
    }
    seen.add(r.key);
  }
}
