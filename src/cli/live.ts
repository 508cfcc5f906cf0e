import type { DesiredState } from '../compile/index.js';
import {
  expectedOf,
  firewallBackendOf,
  readNftTableJson,
  type FirewallBackend,
} from '../backend/nftables/index.js';
import { nftTableLines } from '../export/index.js';
import {
  CONTAINERS_CHAIN,
  DOCKER_USER,
  FILTER_CHAIN,
  OWNED_CHAIN_PREFIX,
  detectDockerLayout,
} from '../compile/index.js';
import { parseKernelText } from './unreadable-rules.js';
import { chainsFromSave } from './save-chains.js';
// Each host module by itself (not the host index): planning must not load doctor's code.
import { checkExtensions } from '../host/extension-check.js';
import { iptablesCommand } from '../host/iptables-commands.js';
import { readChainRules, readTable, type ChainRead } from '../host/iptables-host.js';
import { detectVariantRead, parseVariant, type VariantReport } from '../host/iptables-variant.js';
import { localVariantFacts } from '../host/local-variant.js';
import { readSets } from '../host/ipset-host.js';
import { nftCanonicalTableJson, nftChainListing, nftListTableJson } from '../host/nft-host.js';
import { createRunner, type Runner } from '../host/runner.js';
import type {
  Chain,
  ChainRef,
  Diagnostic,
  DockerInventory,
  Family,
  HostState,
  IptablesVariant,
  Policy,
  NftExpected,
  NftLiveState,
  NftTableSpec,
  Ruleset,
  Table,
  TableName,
} from '../model/index.js';
import { NFT_TABLE, diag, nftFamilyOf } from '../model/index.js';
import { parseIpsetSave, parseIptablesS, parseIptablesSave } from '../parse/index.js';
import type { CliContext } from './context.js';
import { CliError } from './exit-codes.js';

export interface LiveOptions {
  runner?: Runner;
  /** Read whole tables instead of only the chains dockwall manages (finds every stale dockwall rule). */
  full?: boolean;
  variant?: IptablesVariant;
  /**
   * Families whose tables must be read (an error otherwise): those the policy names itself. Another
   * family that cannot be read is left out with a warning. Default: every family.
   */
  requiredFamilies?: readonly Family[];
  /**
   * The `nft list chains` listing of every family, read just before (`startLiveReads`): which chains
   * exist is taken from it instead of listing each family again.
   */
  chainListing?: Promise<Map<string, string[]> | undefined>;
  /**
   * A whole ipv4 `iptables-save` dump read just before (`startLiveReads`), with its variant: when
   * it is the variant read, ipv4's chains are taken from it instead of one `iptables -S` each.
   */
  ownSave?: LiveReads['ownSave'];
  /**
   * `ipset save` of these sets, started before the policy was compiled (`startSetReads`): taken when
   * they are the sets the desired state names, in its order.
   */
  setReads?: EarlySetReads;
}

/** `ipset save NAME` of each of `names`, started early (see `startSetReads`). */
export interface EarlySetReads {
  names: readonly string[];
  read: ReturnType<typeof readSets>;
}

/**
 * Starts `ipset save` of the policy's sets as soon as the policy is read, so that the processes run
 * while it is compiled (the desired state names the policy's sets, unless Docker's nftables backend
 * takes them: then readLiveState reads what it names and this read is left unused).
 */
export function startSetReads(runner: Runner, names: readonly string[]): EarlySetReads | undefined {
  if (names.length === 0) return undefined;
  const read = readSets(runner, names);
  read.catch(() => undefined);
  // Started now: the policy is compiled on this thread meanwhile.
  runner.flushReads?.();
  return { names: [...names], read };
}

let sharedRunner: Runner | undefined;
export function hostRunner(): Runner {
  sharedRunner ??= createRunner({ timeoutMs: 30_000 });
  return sharedRunner;
}

let variantCache: Promise<VariantReport> | undefined;
/**
 * The iptables variant report, detected once per run. The first call starts the detection; a
 * caller may start it early (see `startLiveReads`) and await it later. On this process's own
 * runner, what is certain without a process is not asked of the tools (see localVariantFacts); the
 * version of iptables is then learnt only for a caller that asks for it (`status`).
 */
export function variantReport(runner: Runner, opts: { version?: boolean } = {}): Promise<VariantReport> {
  if (!variantCache) void startVariantDetection(runner, opts);
  const got = variantCache!;
  return opts.version ? got.then((v) => withVersion(runner, v)) : got;
}

/**
 * Starts the detection (when no report is cached yet) and gives the `iptables-save` dump it reads
 * (the command's own variant, ipv4); undefined when a report was cached already (that dump is not
 * kept: it would be stale).
 */
function startVariantDetection(
  runner: Runner,
  opts: { version?: boolean } = {},
): Promise<{ report: VariantReport; ownSave: string }> | undefined {
  if (variantCache) return undefined;
  // Facts of this process's own namespace hold only for commands it runs itself, unwrapped.
  const facts = runner === sharedRunner && runner.wrap.length === 0 ? localVariantFacts() : {};
  if (opts.version) delete facts.command;
  const read = detectVariantRead(runner, facts);
  const detecting = read.then((r) => r.report);
  variantCache = detecting;
  // A failure surfaces where the report is awaited (and the next call tries again); until then it
  // must not count as unhandled.
  detecting.catch(() => {
    if (variantCache === detecting) variantCache = undefined;
  });
  read.catch(() => undefined);
  return read;
}

/** The report with the version of iptables (`iptables --version`) when the detection did not ask it. */
async function withVersion(runner: Runner, v: VariantReport): Promise<VariantReport> {
  if (v.version) return v;
  const res = await runner.run(['iptables', '--version']);
  if (res.code !== 0) return v;
  const { version } = parseVariant(res.stdout + res.stderr);
  return version ? { ...v, version } : v;
}

/** What every live plan reads first, started at once so the processes run while the policy is read. */
export interface LiveReads {
  /** `nft list chains` (every family): Docker's firewall backend and which chains exist. */
  chainListing: Promise<Map<string, string[]> | undefined>;
  /**
   * The whole `iptables-save` dump the variant detection read, with its variant: the plan's chains
   * and the reachability difference's tables are taken from it instead of reading them again.
   */
  ownSave?: Promise<{ variant: IptablesVariant; text: string }>;
}

/** Starts the reads every live plan begins with: the nft chain listing and the variant detection. */
export function startLiveReads(runner: Runner): LiveReads {
  const chainListing = nftChainListing(runner);
  chainListing.catch(() => undefined);
  const read = startVariantDetection(runner);
  const out: LiveReads = { chainListing };
  if (read) {
    out.ownSave = read.then((r) => ({ variant: r.report.command, text: r.ownSave }));
    out.ownSave.catch(() => undefined);
  }
  // Started now, in one process: the policy is read and compiled on this thread meanwhile.
  runner.flushReads?.();
  return out;
}

/** Which iptables to use: the variant Docker's chains are in, else the `iptables` command's. */
export async function chooseVariant(ctx: CliContext, runner: Runner): Promise<IptablesVariant> {
  const v = await variantReport(runner);
  // Docker's chains may be in tables dockwall cannot read: planning beside them would be a silent hole.
  if (v.otherUnreadable && v.message) throw new CliError(v.message);
  if (v.mismatch && v.message) ctx.collect([diag('warning', 'host.variant-mismatch', v.message)]);
  return v.docker !== 'none' ? v.docker : v.command;
}

const BASE_CHAINS: Array<[TableName, string]> = [
  ['filter', 'INPUT'],
  ['filter', 'FORWARD'],
  ['filter', 'OUTPUT'],
  ['filter', DOCKER_USER],
];

/**
 * Reads what planning needs: the chains the desired state names, the built-in chains dockwall places
 * jumps in, DOCKER-USER, every DOCKWALL-* chain, and the declared sets. Cost follows what dockwall
 * manages, not the size of the tables (unless `full`).
 */
export async function readLiveState(
  ctx: CliContext,
  desired: DesiredState,
  opts: LiveOptions = {},
): Promise<HostState> {
  const runner = opts.runner ?? hostRunner();
  const variant = opts.variant ?? (await chooseVariant(ctx, runner));
  const rulesets: Partial<Record<Family, Ruleset>> = {};
  const dockerChainsPresent: Partial<Record<Family, boolean>> = {};
  // Every table's processes start at once (one nft listing per family); the answers are parsed in
  // order, so diagnostics come out the same every time.
  const listings = new Map<Family, Promise<Map<string, string[]> | undefined>>();
  const listing = (family: Family) => {
    let p = listings.get(family);
    if (!p) {
      const all = opts.chainListing;
      p = all ? all.then((m) => m && familyChains(m, family)) : listNftChains(runner, family);
      listings.set(family, p);
    }
    return p;
  };
  const jobs: Array<{ family: Family; table: TableName; fetch: Promise<TableFetch> }> = [];
  const nftRead = desired.nft ? readDockwallNftTables(ctx, runner, desired.nft.families) : undefined;
  nftRead?.catch(() => undefined);
  // Where the chain listing already shows one of dockwall's tables, what nft makes of the wanted
  // one is learnt while that table is read (it is compared with it below).
  if (desired.nft && opts.chainListing) {
    const tables = desired.nft.tables;
    void opts.chainListing
      .then((all) => {
        for (const t of tables) if (all?.has(`${nftFamilyOf(t.family)} ${t.name}`)) learnExpected(runner, t);
      })
      .catch(() => undefined);
  }
  const setNames = desired.sets.map((x) => x.name);
  const early = opts.setReads;
  const setTexts =
    setNames.length === 0
      ? undefined
      : early && early.names.length === setNames.length && early.names.every((n, i) => n === setNames[i])
        ? early.read
        : readSets(runner, setNames);
  setTexts?.catch(() => undefined);
  for (const family of desired.families) {
    const wanted = new Map<TableName, Set<string>>();
    const want = (t: TableName, c: string) => wanted.set(t, (wanted.get(t) ?? new Set()).add(c));
    for (const [t, c] of BASE_CHAINS) want(t, c);
    for (const c of desired.chains) if (c.family === family) want(c.table, c.chain);
    // Chains the policy jumps to but does not make: the plan checks they exist.
    for (const r of desired.references ?? []) if (r.family === family) want(r.table, r.target);
    for (const [table, chains] of wanted) {
      const fetch: Promise<TableFetch> =
        opts.full || variant === 'legacy'
          ? readTable(runner, family, table, { variant }).then((text) => ({ kind: 'save', text }))
          : family === 'ipv4' && opts.ownSave
            ? chainsOfSave(runner, table, chains, variant, listing(family), opts.ownSave)
            : fetchTableChains(runner, family, table, chains, variant, listing(family));
      // Failures surface when awaited below, in order; until then they must not count as unhandled.
      fetch.catch(() => undefined);
      jobs.push({ family, table, fetch });
    }
  }
  const unread = new Map<Family, unknown>();
  for (const { family, table, fetch } of jobs) {
    if (unread.has(family)) continue;
    let fetched: TableFetch;
    try {
      fetched = await fetch;
    } catch (e) {
      // A family the policy does not name itself (the shared filter and containers: cover every
      // family the host has) may be missing here: it is left out with a warning, not an error.
      if (opts.requiredFamilies?.includes(family) ?? true) throw e;
      unread.set(family, e);
      delete rulesets[family];
      delete dockerChainsPresent[family];
      continue;
    }
    const rs = (rulesets[family] ??= { family, tables: [], variant });
    if (fetched.kind === 'save') {
      rs.tables.push(parseWholeTable(ctx, fetched.text, family, table));
      continue;
    }
    const got = parseTableChains(ctx, fetched, family, table);
    if (table === 'filter' && got.existing.length > 0) {
      dockerChainsPresent[family] = detectDockerLayout(got.existing).kind === 'iptables';
    }
    rs.tables.push({ name: table, chains: got.chains });
  }
  if (unread.size > 0 && unread.size === desired.families.length) throw unread.values().next().value;
  for (const [family, e] of unread) ctx.collect([unreadFamily(family, e, desired)]);
  const sets = setTexts ? parseNamedSets(ctx, await setTexts) : { sets: [] };
  const state: HostState = { rulesets, sets, dockerChainsPresent };
  if (desired.nft) {
    state.nft = await nftRead;
    const expected = await expectedNftRules(ctx, runner, desired.nft.tables, state.nft!);
    if (expected) state.nftExpected = expected;
  }
  return state;
}

/** What nft made of a wanted table's rules, by the table's script: it does not change while the script does not. */
const expectedCache = new Map<string, Promise<Record<string, string> | undefined>>();

/**
 * What nft makes of the rules wanted in dockwall's tables, for each table that exists (where none
 * exists, every wanted rule is to be added anyway): the wanted table is loaded in a namespace of its
 * own and read back. Where no such namespace can be made, rules are compared by comment and verdict
 * only, and a note says that a rule edited in place is not seen.
 */
async function expectedNftRules(
  ctx: CliContext,
  runner: Runner,
  tables: readonly NftTableSpec[],
  live: NftLiveState,
): Promise<NftExpected | undefined> {
  const todo = tables.filter((t) => live[t.family]);
  if (todo.length === 0) return undefined;
  const out: NftExpected = {};
  for (const t of todo) {
    const { key, got } = learnExpected(runner, t);
    const expected = await got;
    // Not learnt this time (a namespace that could not be made, say, on a busy host): asked again
    // next time, not remembered as unknowable.
    if (!expected && expectedCache.get(key) === got) expectedCache.delete(key);
    if (expected) out[t.family] = expected;
    else
      ctx.collect([
        diag(
          'info',
          'live.nft-content-unchecked',
          `the rules of nftables table ${nftFamilyOf(t.family)} ${t.name} are compared by comment and verdict only (what nft makes of them could not be learnt here: no network namespace of its own could be made, or nft refused the table there): a rule edited in place is not seen`,
        ),
      ]);
  }
  return out;
}

/** What nft makes of a wanted table (once per script: started here, or found started). */
function learnExpected(
  runner: Runner,
  t: NftTableSpec,
): { key: string; got: Promise<Record<string, string> | undefined> } {
  const script = nftTableLines(t).join('\n') + '\n';
  const key = `${t.family}\n${script}`;
  let got = expectedCache.get(key);
  if (!got) {
    got = nftCanonicalTableJson(runner, t.family, t.name, script).then((text) => {
      const table =
        text === undefined ? undefined : readNftTableJson(text, t.family, 'nft -j list table').value;
      return table ? expectedOf(table) : undefined;
    });
    got.catch(() => undefined);
    expectedCache.set(key, got);
  }
  return { key, got };
}

/** dockwall's own nftables tables of these families (`nft -j list table`, one process each). */
export async function readDockwallNftTables(
  ctx: CliContext,
  runner: Runner,
  families: readonly Family[],
): Promise<NftLiveState> {
  const texts = await Promise.all(families.map((f) => nftListTableJson(runner, f, NFT_TABLE)));
  const out: NftLiveState = {};
  families.forEach((family, i) => {
    const text = texts[i];
    out[family] =
      text === undefined
        ? null
        : ctx.valueOf(
            readNftTableJson(text, family, `nft -j list table ${nftFamilyOf(family)} ${NFT_TABLE}`),
            `could not read dockwall's nftables table`,
          );
  });
  return out;
}

/** Which firewall backend Docker uses on this host (iptables when nft cannot say). */
export async function liveFirewallBackend(
  runner: Runner,
  chainListing: Promise<Map<string, string[]> | undefined> = nftChainListing(runner),
): Promise<FirewallBackend> {
  const listing = await chainListing;
  return listing ? firewallBackendOf(listing) : 'iptables';
}

/** A family whose tables could not be read: what of the policy then stays off, named. */
export function unreadFamily(family: Family, e: unknown, desired: DesiredState): Diagnostic {
  const has = (chain: string) => desired.chains.some((c) => c.family === family && c.chain === chain);
  const off = [
    ...(has(FILTER_CHAIN) ? ['the shared filter'] : []),
    ...(has(CONTAINERS_CHAIN) ? ['the `containers:` rules'] : []),
  ];
  const what = off.length > 0 ? off.join(' and ') : "the policy's rules";
  return diag(
    'warning',
    'host.family-unreadable',
    `the ${family} tables could not be read (${(e as Error).message ?? String(e)}): ${what} ${off.length > 1 ? 'are' : 'is'} not applied to ${family}, so ${family} traffic stays unfiltered by dockwall`,
  );
}

/**
 * Just these chains (`iptables -S CHAIN` each, side by side) and sets: what an apply reads back of the
 * chains its transaction may share with other programs. A chain or set that does not exist is left out.
 */
export async function readLiveChains(
  ctx: CliContext,
  runner: Runner,
  variant: IptablesVariant,
  refs: readonly ChainRef[],
  setNames: readonly string[],
): Promise<HostState> {
  const reads = refs.map(async (ref) => ({
    ref,
    got: await readChainRules(runner, ref.family, ref.table, ref.chain, { variant }),
  }));
  const setReads = readNamedSets(ctx, runner, setNames);
  // A failure surfaces at the await below; until then it must not count as unhandled.
  setReads.catch(() => undefined);
  const rulesets: Partial<Record<Family, Ruleset>> = {};
  for (const { ref, got } of await Promise.all(reads)) {
    if (!got.exists) continue;
    const rs = (rulesets[ref.family] ??= { family: ref.family, tables: [], variant });
    let table = rs.tables.find((t) => t.name === ref.table);
    if (!table) rs.tables.push((table = { name: ref.table, chains: [] }));
    table.chains.push(...parseChainRead(ctx, got.text, ref.family, ref.table, ref.chain));
  }
  return { rulesets, sets: await setReads };
}

/** `ipset save NAME` of each set that exists, parsed (its notes collected). */
async function readNamedSets(
  ctx: CliContext,
  runner: Runner,
  names: readonly string[],
): Promise<HostState['sets']> {
  if (names.length === 0) return { sets: [] };
  return parseNamedSets(ctx, await readSets(runner, names));
}

function parseNamedSets(ctx: CliContext, read: Awaited<ReturnType<typeof readSets>>): HostState['sets'] {
  const sets: HostState['sets'] = { sets: [] };
  for (const s of read) {
    if (!s.present) continue;
    const res = parseIpsetSave(s.text, { file: `ipset save ${s.name}` });
    ctx.collect(res.diagnostics);
    sets.sets.push(...(res.value?.sets ?? []));
  }
  return sets;
}

type TableFetch =
  | { kind: 'save'; text: string }
  | { kind: 'chains'; reads: Array<{ name: string; got: ChainRead }>; listed: string[] | undefined };

/**
 * The wanted chains and every DOCKWALL-* chain. Which chains exist comes from one cheap listing:
 * asking iptables-nft for a chain that does not exist costs a read of the whole table. Reads take no
 * lock: they run side by side once the listing is in.
 */
async function fetchTableChains(
  runner: Runner,
  family: Family,
  table: TableName,
  wanted: Set<string>,
  variant: IptablesVariant,
  listing: Promise<Map<string, string[]> | undefined>,
): Promise<TableFetch> {
  const { names, listed } = await chainsToRead(table, wanted, listing);
  const reads = names.map(async (name) => ({
    name,
    got: await readChainRules(runner, family, table, name, { variant }),
  }));
  return { kind: 'chains', reads: await Promise.all(reads), listed };
}

/**
 * The chains of `table` to read: the wanted ones and every DOCKWALL-* chain nft lists. nft answered
 * and the table has no chains (nothing created it yet): there is nothing to read. Without an answer
 * (no nft), every wanted chain is asked for.
 */
async function chainsToRead(
  table: TableName,
  wanted: Set<string>,
  listing: Promise<Map<string, string[]> | undefined>,
): Promise<{ names: string[]; listed: string[] | undefined }> {
  const all = await listing;
  const listed = all ? (all.get(table) ?? []) : undefined;
  const names = new Set([...wanted]);
  for (const n of listed ?? []) if (n.startsWith(OWNED_CHAIN_PREFIX)) names.add(n);
  return { names: [...names].filter((name) => listed === undefined || listed.includes(name)), listed };
}

/**
 * What `fetchTableChains` reads, taken from a whole ipv4 dump read already (the same chains, each as
 * `iptables -S CHAIN` prints it); read chain by chain as before when the dump is of another variant
 * or cannot say.
 */
async function chainsOfSave(
  runner: Runner,
  table: TableName,
  wanted: Set<string>,
  variant: IptablesVariant,
  listing: Promise<Map<string, string[]> | undefined>,
  ownSave: NonNullable<LiveReads['ownSave']>,
): Promise<TableFetch> {
  const save = await ownSave;
  const byName = save.variant === variant ? chainsFromSave(save.text, table) : undefined;
  if (!byName) return fetchTableChains(runner, 'ipv4', table, wanted, variant, listing);
  const { names, listed } = await chainsToRead(table, wanted, listing);
  const reads = names.map((name) => {
    const text = byName.get(name);
    return { name, got: text === undefined ? { exists: false, text: '' } : { exists: true, text } };
  });
  return { kind: 'chains', reads, listed };
}

function parseTableChains(
  ctx: CliContext,
  fetched: Extract<TableFetch, { kind: 'chains' }>,
  family: Family,
  table: TableName,
): { chains: Chain[]; existing: string[] } {
  const chains: Chain[] = [];
  for (const { name, got } of fetched.reads) {
    if (got.exists) chains.push(...parseChainRead(ctx, got.text, family, table, name));
  }
  return { chains, existing: fetched.listed ?? [] };
}

/** `iptables -S CHAIN` output: that chain (a chain that jumps elsewhere lists only itself). */
function parseChainRead(
  ctx: CliContext,
  text: string,
  family: Family,
  table: TableName,
  name: string,
): Chain[] {
  return ctx
    .valueOf(
      parseKernelText(text, `iptables -t ${table} -S ${name}`, (t) =>
        parseIptablesS(t, { file: `iptables -t ${table} -S ${name}`, family, table }),
      ),
      `could not read ${family} ${table} ${name}`,
    )
    .chains.filter((c) => c.name === name);
}

function parseWholeTable(ctx: CliContext, text: string, family: Family, table: TableName): Table {
  const file = `${family === 'ipv6' ? 'ip6' : 'ip'}tables-save -t ${table}`;
  const rs = ctx.valueOf(
    parseKernelText(text, file, (t) => parseIptablesSave(t, { file, family })),
    `could not read the ${family} ${table} table`,
  );
  return rs.tables.find((t) => t.name === table) ?? { name: table, chains: [] };
}

/** Chain names of one table: from `nft list chains` (cheap: no rules), or the table's dump for legacy. */
export async function listChainNames(
  runner: Runner,
  family: Family,
  table: TableName,
  variant?: IptablesVariant,
): Promise<string[]> {
  if (variant === 'legacy') {
    const text = await readTable(runner, family, table, { variant });
    return text
      .split('\n')
      .filter((l) => l.startsWith(':'))
      .map((l) => l.slice(1).split(' ')[0]!);
  }
  return (await listNftChains(runner, family))?.get(table) ?? [];
}

/** nftables table names as `family name` (e.g. `ip docker-bridges`); empty when nft is missing. */
export async function listNftTables(runner: Runner): Promise<string[]> {
  const res = await runner.run(['nft', 'list', 'tables']);
  if (res.code !== 0) return [];
  return res.stdout
    .split('\n')
    .map((l) => /^table (\S+ \S+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
}

/** One family's tables and their chains, out of the listing of every family (`ip filter` → chains). */
function familyChains(all: Map<string, string[]>, family: Family): Map<string, string[]> {
  const prefix = family === 'ipv6' ? 'ip6 ' : 'ip ';
  const out = new Map<string, string[]>();
  for (const [key, chains] of all) if (key.startsWith(prefix)) out.set(key.slice(prefix.length), chains);
  return out;
}

/** The chains nft lists per table of one family; undefined when nft cannot say (not installed, no rights). */
async function listNftChains(runner: Runner, family: Family): Promise<Map<string, string[]> | undefined> {
  const res = await runner.run(['nft', 'list', 'chains', family === 'ipv6' ? 'ip6' : 'ip']);
  if (res.code !== 0) return undefined;
  const out = new Map<string, string[]>();
  let names: string[] | undefined;
  for (const line of res.stdout.split('\n')) {
    const t = /^table (ip6?) (\S+) \{/.exec(line);
    if (t) out.set(t[2]!, (names = out.get(t[2]!) ?? []));
    const c = names ? /^\s+chain (\S+) \{/.exec(line) : null;
    if (c?.[1]) names!.push(c[1]);
  }
  return out;
}

/**
 * The policy's `extensions`, checked with this host's iptables (the variant in use) for every
 * family the policy manages: an extension iptables cannot load is an error on the `extensions` key.
 */
export async function liveExtensionProblems(
  ctx: CliContext,
  policy: Policy,
  families: readonly Family[],
): Promise<Diagnostic[]> {
  const ext = policy.extensions;
  if (!ext || ext.matches.length + ext.targets.length === 0) return [];
  // Once per policy (watch asks at every repair; a policy reloaded is a new object, checked again).
  const byFamilies = extensionChecks.get(policy) ?? new Map<string, Promise<Diagnostic[]>>();
  extensionChecks.set(policy, byFamilies);
  const key = families.join(' ');
  let got = byFamilies.get(key);
  if (!got) {
    byFamilies.set(key, (got = checkPolicyExtensions(ctx, ext, families)));
    got.catch(() => byFamilies.delete(key));
  }
  return got;
}

const extensionChecks = new WeakMap<Policy, Map<string, Promise<Diagnostic[]>>>();

async function checkPolicyExtensions(
  ctx: CliContext,
  ext: NonNullable<Policy['extensions']>,
  families: readonly Family[],
): Promise<Diagnostic[]> {
  const runner = hostRunner();
  const variant = await chooseVariant(ctx, runner);
  const out: Diagnostic[] = [];
  for (const family of families) {
    for (const p of await checkExtensions(runner, family, ext, variant)) {
      const tool = iptablesCommand(family, 'main', variant);
      const what = p.kind === 'match' ? `-m ${p.name}` : `-j ${p.name}`;
      const message =
        p.problem === 'missing'
          ? `\`${what}\` is listed under \`extensions\`, but ${tool} on this host cannot load it: install the extension (xtables-addons?) or correct the name`
          : `\`${what}\` is listed under \`extensions\`, and ${tool} has it, but the kernel does not: load its kernel module`;
      out.push(diag('error', 'host.extension-unavailable', message, ext.pos));
    }
  }
  return out;
}

export async function readLiveInventory(ctx: CliContext): Promise<DockerInventory> {
  // Docker's client (node:http, https, tls) loads only for a policy with `containers:`.
  const [{ readInventory }, { dockerClient }] = await Promise.all([
    import('../docker/index.js'),
    import('./docker-client.js'),
  ]);
  try {
    return await readInventory(dockerClient(ctx));
  } catch (e) {
    throw new CliError(
      `cannot ask Docker for its containers (needed by containers: rules): ${(e as Error).message}`,
    );
  }
}
