import type {
  Chain,
  Diagnostic,
  HostState,
  IpSet,
  Operation,
  Plan,
  Rule,
  Ruleset,
  Table,
} from '../model/index.js';
import { diag, isNftOperation } from '../model/index.js';
import { Interner, parseRuleText } from '../parse/index.js';

/**
 * Applies a plan to a copy of a host state, as the kernel would. Used to prove plans (a second plan on
 * the result must be empty) and to evaluate expectations on the state a policy would produce.
 */
export function applyPlanToState(
  state: HostState,
  plan: Plan,
): { state: HostState; diagnostics: Diagnostic[] } {
  const next = copyForPlan(state, plan);
  const diagnostics: Diagnostic[] = [];
  const planned = new PlannedRules();
  for (const op of plan.operations) {
    const problem = applyOne(next, op, planned);
    if (problem) diagnostics.push(diag('error', 'plan.apply-simulation', problem));
  }
  planned.finish();
  return { state: next, diagnostics };
}

/** A rule the plan inserts, as its text: read into a `Rule` when its chain's rules are first read. */
interface PlannedText {
  planned: string;
  family: Ruleset['family'];
}
type Entry = Rule | PlannedText;

/**
 * The rules of the chains the plan changes, while the plan is applied: the rules already there and
 * the inserted ones as text. Once every operation is applied, a chain with inserted rules reads them
 * when its `rules` are first read (all of them, sharing their parts as a dump's rules do): a
 * consumer that never looks into the chain (a reachability difference with no port to probe into
 * it) does not pay for reading 10,000 new rules again; one that does gets exactly the rules read
 * one by one would give.
 */
class PlannedRules {
  private readonly entries = new Map<Chain, Entry[]>();

  of(chain: Chain): Entry[] {
    let e = this.entries.get(chain);
    if (!e) this.entries.set(chain, (e = chain.rules));
    return e;
  }

  finish(): void {
    for (const [chain, entries] of this.entries) {
      if (entries.every((e): e is Rule => !('planned' in e))) {
        chain.rules = entries;
        continue;
      }
      let rules: Rule[] | undefined;
      Object.defineProperty(chain, 'rules', {
        enumerable: true,
        configurable: true,
        get: () => (rules ??= readPlanned(entries)),
        set: (value: Rule[]) => {
          rules = value;
        },
      });
    }
  }
}

function readPlanned(entries: readonly Entry[]): Rule[] {
  // The plan's rules share most of their parts, as a dump's do: read them sharing (and freezing) those.
  const intern = new Interner();
  return entries.map((e) => ('planned' in e ? parse(e.planned, e.family, intern) : e));
}

/**
 * A copy of the state that the plan's operations can change without touching `state`: the chains
 * the plan names (and the chain lists of their tables, and the set list) are copied; every other
 * chain, and every rule object, is shared (nothing here changes a rule). Untouched chains parsed
 * lazily from a dump stay unbuilt.
 */
function copyForPlan(state: HostState, plan: Plan): HostState {
  const chains = new Set<string>();
  const tables = new Set<string>();
  for (const op of plan.operations) {
    if (!('family' in op)) continue;
    tables.add(`${op.family} ${op.table}`);
    chains.add(`${op.family} ${op.table} ${op.chain}`);
  }
  const rulesets: HostState['rulesets'] = {};
  for (const [family, rs] of Object.entries(state.rulesets) as Array<[Ruleset['family'], Ruleset]>) {
    rulesets[family] = {
      ...rs,
      tables: rs.tables.map((t) =>
        tables.has(`${family} ${t.name}`)
          ? {
              ...t,
              chains: t.chains.map((c) =>
                chains.has(`${family} ${t.name} ${c.name}`) ? { ...c, rules: [...c.rules] } : c,
              ),
            }
          : t,
      ),
    };
  }
  const next: HostState = { rulesets, sets: { ...state.sets, sets: [...state.sets.sets] } };
  if (state.dockerChainsPresent) next.dockerChainsPresent = { ...state.dockerChainsPresent };
  return next;
}

function applyOne(state: HostState, op: Operation, planned: PlannedRules): string | undefined {
  // dockwall's nftables tables are not part of the iptables state the simulator walks.
  if (isNftOperation(op)) return;
  switch (op.op) {
    case 'create-set':
      // Member lists are not changed once made: the set's own list is shared, not copied.
      state.sets.sets.push({ ...op.set, options: op.set.options.map(([k, v]) => [k, v]) });
      return;
    case 'update-set':
    case 'replace-set': {
      const i = state.sets.sets.findIndex((s) => s.name === op.name);
      if (i < 0) return `set ${op.name} does not exist`;
      state.sets.sets[i] = mergeSet(state.sets.sets[i]!, op.set);
      return;
    }
    case 'destroy-set':
      state.sets.sets = state.sets.sets.filter((s) => s.name !== op.name);
      return;
    default:
      break;
  }
  const rs = state.rulesets[op.family];
  if (!rs) return `no ${op.family} state`;
  const table = tableOf(rs, op.table);
  let chain = table.chains.find((c) => c.name === op.chain);
  if (op.op === 'create-chain') {
    if (chain) return `chain ${op.chain} exists`;
    table.chains.push({ name: op.chain, policy: null, rules: [] });
    return;
  }
  if (!chain) {
    if (op.op === 'delete-chain') return `chain ${op.chain} does not exist`;
    chain = { name: op.chain, policy: 'ACCEPT', rules: [] };
    table.chains.push(chain);
  }
  return applyToChain(table, chain, planned.of(chain), op);
}

function applyToChain(table: Table, chain: Chain, rules: Entry[], op: Operation): string | undefined {
  switch (op.op) {
    case 'insert-rule': {
      if (op.position < 1 || op.position > rules.length + 1)
        return `position ${op.position} outside ${op.chain}`;
      const entry: PlannedText = { planned: op.rule, family: op.family };
      if (op.position === rules.length + 1) rules.push(entry);
      else rules.splice(op.position - 1, 0, entry);
      return;
    }
    case 'delete-rule': {
      if (op.position < 1 || op.position > rules.length) return `position ${op.position} outside ${op.chain}`;
      rules.splice(op.position - 1, 1);
      return;
    }
    case 'move-rule': {
      const [r] = rules.splice(op.from - 1, 1);
      if (!r) return `position ${op.from} outside ${op.chain}`;
      rules.splice(op.to - 1, 0, r);
      return;
    }
    case 'set-policy':
      chain.policy = op.to;
      return;
    case 'delete-chain':
      if (rules.length > 0) return `chain ${op.chain} is not empty`;
      table.chains = table.chains.filter((c) => c !== chain);
      return;
    default:
      return undefined;
  }
}

function parse(text: string, family: Ruleset['family'], intern: Interner) {
  const res = parseRuleText(text, { family, file: '<plan>', line: 1, column: 1, intern });
  if (!res.value) throw new Error(`internal error: planned rule does not parse: ${text}`);
  // A planned rule has no line in any dump.
  delete res.value.pos;
  return res.value;
}

function tableOf(rs: Ruleset, name: Table['name']): Table {
  let t = rs.tables.find((x) => x.name === name);
  if (!t) {
    t = { name, chains: [] };
    rs.tables.push(t);
  }
  return t;
}

function mergeSet(have: IpSet, want: IpSet): IpSet {
  const options = [...have.options.filter(([k]) => !want.options.some(([w]) => w === k)), ...want.options];
  return {
    ...have,
    type: want.type,
    family: want.family ?? have.family ?? 'inet',
    options,
    members: want.members,
  };
}
