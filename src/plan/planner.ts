import type {
  Chain,
  ChainRef,
  Rule,
  Ruleset,
  Diagnostic,
  Family,
  HostState,
  Operation,
  Plan,
  PlanSummary,
} from '../model/index.js';
import { diag, findChain, isBuiltinChain } from '../model/index.js';
import type { DesiredChain, DesiredState } from '../compile/desired-state.js';
import { dockerChainsIn } from '../compile/docker-layout.js';
import { DOCKER_USER } from '../compile/ownership.js';
import { withDockerUserJumps } from '../compile/docker-user-jump.js';
import { isDeletableOwnedChain, isDockerOwnedPolicy, nameFromTag } from '../compile/ownership.js';
import { commentOf, formatRule } from '../parse/index.js';
import { deleteOp, deleteOwnedRules, diffChain, taggedRules } from './chain-diff.js';
import { markReplacements, replacements } from './replacements.js';
import { diffSets } from './set-diff.js';
import { planNft } from '../backend/nftables/plan-nft.js';

export interface PlanOptions {
  /** Families whose live state is known; others are skipped with a diagnostic. Default: those in state. */
  families?: Family[];
  /**
   * Also remove dockwall's rules and DOCKWALL-* chains that the desired state does not mention
   * (default true). Rollback turns it off: it restores only what the last apply touched.
   */
  prune?: boolean;
}

/**
 * (live state, desired state) → an ordered plan:
 *   sets created/updated → chains created → rules inserted/moved → policies set → rules deleted →
 *   chains deleted → sets destroyed.
 * Nothing outside dockwall's ownership appears in a plan.
 */
export function planChanges(state: HostState, wanted: DesiredState, opts: PlanOptions = {}): Plan {
  // A FORWARD → DOCKER-USER jump where Docker did not write one (Docker 20.10's ip6tables).
  const desired = withDockerUserJumps(state, wanted);
  const diagnostics: Diagnostic[] = [...desired.diagnostics];
  const creates: Operation[] = [];
  const rules: Operation[] = [];
  const policies: Operation[] = [];
  const deletes: Operation[] = [];
  const chainDeletes: Operation[] = [];

  const families = opts.families ?? (Object.keys(state.rulesets) as Family[]);
  const byFamily = new Map<Family, DesiredChain[]>();
  for (const c of desired.chains) byFamily.set(c.family, [...(byFamily.get(c.family) ?? []), c]);

  for (const [family, chains] of byFamily) {
    const live = state.rulesets[family];
    if (!live || !families.includes(family)) {
      diagnostics.push(
        diag(
          'warning',
          'plan.family-not-read',
          `no ${family} state was given, so ${family} rules are not planned`,
        ),
      );
      continue;
    }
    const dockerPresent = dockerChainsIn(state, family);
    const unreached = dockerPresent ? undefined : unreachedDockerUser(family, live, chains);
    if (unreached) diagnostics.push(unreached);
    for (const want of chains) {
      const ref: ChainRef = { family, table: want.table, chain: want.chain };
      const have = findChain(live, want.table, want.chain);
      if (!have && !isBuiltinChain(want.table, want.chain)) creates.push({ op: 'create-chain', ...ref });
      // A chain's trailing deletes run last (after every insert and policy change); deletes that
      // must precede an insert (duplicates) keep their place. Positions stay exact either way,
      // since no other chain's operations change this chain.
      const ops = diffChain(want, have);
      let cut = ops.length;
      while (cut > 0 && ops[cut - 1]!.op === 'delete-rule') cut--;
      rules.push(...ops.slice(0, cut));
      deletes.push(...ops.slice(cut));
      if (want.policy) {
        const current = have?.policy ?? (isBuiltinChain(want.table, want.chain) ? 'ACCEPT' : null);
        if (isDockerOwnedPolicy(want.table, want.chain, dockerPresent)) {
          if (current !== want.policy) {
            diagnostics.push(
              diag(
                'warning',
                'plan.forward-policy-docker',
                `${family} filter FORWARD's policy is set by Docker on this host; dockwall leaves it ${current ?? 'unset'} instead of ${want.policy}. Filter forwarded traffic in DOCKER-USER (the shared filter or containers:) instead`,
                want.policyPos,
              ),
            );
          }
        } else if (current !== want.policy) {
          policies.push({ op: 'set-policy', ...ref, from: current, to: want.policy });
        }
      }
    }
    // dockwall's rules and chains that the policy no longer wants.
    for (const table of opts.prune === false ? [] : live.tables) {
      for (const chain of table.chains) {
        if (chains.some((c) => c.table === table.name && c.chain === chain.name)) continue;
        const ref: ChainRef = { family, table: table.name, chain: chain.name };
        if (isDeletableOwnedChain(chain.name)) {
          deletes.push(...deleteOwnedRules(ref, chain));
          chainDeletes.push({ op: 'delete-chain', ...ref });
        } else {
          deletes.push(...staleTagged(ref, chain));
        }
      }
    }
  }

  const setOps = diffSets(desired.sets, state.sets);
  const operations = [
    ...setOps.filter((o) => o.op !== 'destroy-set'),
    ...creates,
    ...rules,
    ...policies,
    ...deletes,
    ...chainDeletes,
    // dockwall's own nftables tables (Docker's nftables backend), replaced whole when they differ.
    ...(desired.nft ? planNft(state.nft, desired.nft, state.nftExpected) : []),
  ];
  markReplacements(operations);
  return { formatVersion: 1, operations, summary: summarize(operations), diagnostics };
}

/**
 * DOCKER-USER is entered from FORWARD by Docker's own jump. Where the state has none of Docker's
 * chains (Docker not started, or writing to the other iptables variant: fixture 09), nothing jumps
 * there, and the rules planned in it filter nothing until Docker adds its jump.
 */
function unreachedDockerUser(family: Family, live: Ruleset, chains: DesiredChain[]): Diagnostic | undefined {
  const want = chains.find((c) => c.table === 'filter' && c.chain === DOCKER_USER && c.rules.length > 0);
  if (!want) return undefined;
  const jumps = (rules: readonly Rule[]) => rules.some((r) => r.target?.name === DOCKER_USER);
  const forward = chains.find((c) => c.table === 'filter' && c.chain === 'FORWARD');
  if (forward && jumps(forward.rules.map((r) => r.rule))) return undefined;
  if (jumps(findChain(live, 'filter', 'FORWARD')?.rules ?? [])) return undefined;
  return diag(
    'warning',
    'plan.docker-user-unreached',
    `${family}: this host's tables hold none of Docker's chains and nothing jumps from FORWARD to DOCKER-USER, so the rules planned there filter nothing until Docker adds its jump. If Docker runs here, it writes to the other iptables variant (or runs with "iptables": false)`,
    want.rules[0]?.pos,
  );
}

function staleTagged(ref: ChainRef, chain: Chain): Operation[] {
  const stale = new Set(taggedRules(chain));
  const ops: Operation[] = [];
  if (stale.size === 0) return ops;
  chain.rules.forEach((r, i) => {
    if (!stale.has(r)) return;
    ops.push(deleteOp(ref, i + 1 - ops.length, formatRule(r), nameFromTag(commentOf(r))));
  });
  return ops;
}

/** Counts operations as terraform does: a rule replaced by a new one of its name is one change. */
export function summarize(ops: Operation[]): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, remove: 0 };
  const pairs = replacements(ops);
  const replaced = new Set(pairs.values());
  for (const [i, o] of ops.entries()) {
    if (replaced.has(i)) continue;
    if (pairs.has(i)) s.change++;
    else if (o.op === 'insert-rule' || o.op === 'create-chain' || o.op === 'create-set') s.add++;
    else if (o.op === 'delete-rule' || o.op === 'delete-chain' || o.op === 'destroy-set') s.remove++;
    else if (o.op === 'nft-update-set' && o.create) s.add++;
    else if (/^nft-(create|add)-/.test(o.op)) s.add++;
    else if (/^nft-delete-/.test(o.op)) s.remove++;
    else s.change++;
  }
  return s;
}

export function isEmptyPlan(plan: Plan): boolean {
  return plan.operations.length === 0;
}
