import type { DesiredState } from '../compile/index.js';
import { DOCKER_USER, OWNED_CHAIN_PREFIX, detectDockerLayout } from '../compile/index.js';
import { DockerEngineClient, readInventory } from '../docker/index.js';
import {
  createRunner,
  detectVariant,
  readChainRules,
  readSets,
  readTable,
  type Runner,
  type VariantReport,
} from '../host/index.js';
import type {
  Chain,
  DockerInventory,
  Family,
  HostState,
  IptablesVariant,
  Ruleset,
  Table,
  TableName,
} from '../model/index.js';
import { diag } from '../model/index.js';
import { parseIpsetSave, parseIptablesS, parseIptablesSave } from '../parse/index.js';
import type { CliContext } from './context.js';
import { CliError } from './exit-codes.js';

export interface LiveOptions {
  runner?: Runner;
  /** Read whole tables instead of only the chains dockwall manages (finds every stale dockwall rule). */
  full?: boolean;
  variant?: IptablesVariant;
  /**
   * Chains believed to exist (`family table chain`), e.g. those an apply just wrote: they are read
   * while nft lists the table instead of after.
   */
  likely?: ReadonlySet<string>;
}

let sharedRunner: Runner | undefined;
export function hostRunner(): Runner {
  sharedRunner ??= createRunner({ timeoutMs: 30_000 });
  return sharedRunner;
}

let variantCache: VariantReport | undefined;
/** The iptables variant report, detected once per run (it costs three commands). */
export async function variantReport(runner: Runner): Promise<VariantReport> {
  variantCache ??= await detectVariant(runner);
  return variantCache;
}

/** Which iptables to use: the variant Docker's chains are in, else the `iptables` command's. */
export async function chooseVariant(ctx: CliContext, runner: Runner): Promise<IptablesVariant> {
  const v = await variantReport(runner);
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
  for (const family of desired.families) {
    const wanted = new Map<TableName, Set<string>>();
    const want = (t: TableName, c: string) => wanted.set(t, (wanted.get(t) ?? new Set()).add(c));
    for (const [t, c] of BASE_CHAINS) want(t, c);
    for (const c of desired.chains) if (c.family === family) want(c.table, c.chain);
    const tables: Table[] = [];
    for (const [table, chains] of wanted) {
      if (opts.full || variant === 'legacy') {
        tables.push(await readWholeTable(ctx, runner, family, table, variant));
        continue;
      }
      // Which chains exist, from one cheap listing: asking iptables-nft for a chain that does not
      // exist costs a read of the whole table. Reads take no lock, so chains known to exist are read
      // meanwhile, and the rest side by side once the listing is in.
      const readOne = async (name: string) => ({
        name,
        got: await readChainRules(runner, family, table, name, { variant }),
      });
      const early = [...chains].filter((n) => opts.likely?.has(`${family} ${table} ${n}`)).map(readOne);
      // Failures surface through Promise.all below; until then they must not count as unhandled.
      for (const r of early) r.catch(() => undefined);
      const listed = await listNftChainNames(runner, family, table);
      const existing = listed ?? [];
      if (table === 'filter' && existing.length > 0) {
        dockerChainsPresent[family] = detectDockerLayout(existing).kind === 'iptables';
      }
      const names = new Set([...chains].filter((n) => !opts.likely?.has(`${family} ${table} ${n}`)));
      for (const n of existing) if (n.startsWith(OWNED_CHAIN_PREFIX)) names.add(n);
      // nft answered and the table has no chains (nothing created it yet): there is nothing to read.
      // Without an answer (no nft), every wanted chain is asked for.
      const late =
        listed !== undefined && listed.length === 0
          ? []
          : [...names].filter((name) => listed === undefined || listed.includes(name)).map(readOne);
      const reads = await Promise.all([...early, ...late]);
      const read: Chain[] = [];
      for (const { name, got } of reads) {
        if (!got.exists) continue;
        const res = parseIptablesS(got.text, { file: `iptables -t ${table} -S ${name}`, family, table });
        ctx.collect(res.diagnostics);
        ctx.failOnErrors(`could not read ${family} ${table} ${name}`);
        read.push(...res.value!.chains.filter((c) => c.name === name));
      }
      tables.push({ name: table, chains: read });
    }
    rulesets[family] = { family, tables, variant };
  }
  const sets = { sets: [] as HostState['sets']['sets'] };
  if (desired.sets.length > 0) {
    for (const s of await readSets(
      runner,
      desired.sets.map((x) => x.name),
    )) {
      if (!s.present) continue;
      const res = parseIpsetSave(s.text, { file: `ipset save ${s.name}` });
      ctx.collect(res.diagnostics);
      sets.sets.push(...(res.value?.sets ?? []));
    }
  }
  return { rulesets, sets, dockerChainsPresent };
}

async function readWholeTable(
  ctx: CliContext,
  runner: Runner,
  family: Family,
  table: TableName,
  variant: IptablesVariant,
): Promise<Table> {
  const text = await readTable(runner, family, table, { variant });
  const res = parseIptablesSave(text, {
    file: `${family === 'ipv6' ? 'ip6' : 'ip'}tables-save -t ${table}`,
    family,
  });
  ctx.collect(res.diagnostics);
  ctx.failOnErrors(`could not read the ${family} ${table} table`);
  return res.value!.tables.find((t) => t.name === table) ?? { name: table, chains: [] };
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
  return (await listNftChainNames(runner, family, table)) ?? [];
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

/** The chains nft lists for one table; undefined when nft cannot say (not installed, no rights). */
async function listNftChainNames(
  runner: Runner,
  family: Family,
  table: TableName,
): Promise<string[] | undefined> {
  const res = await runner.run(['nft', 'list', 'chains', family === 'ipv6' ? 'ip6' : 'ip']);
  if (res.code !== 0) return undefined;
  const names: string[] = [];
  let inTable = false;
  for (const line of res.stdout.split('\n')) {
    const t = /^table (ip6?) (\S+) \{/.exec(line);
    if (t) inTable = t[2] === table;
    const c = inTable ? /^\s+chain (\S+) \{/.exec(line) : null;
    if (c?.[1]) names.push(c[1]);
  }
  return names;
}

export async function readLiveInventory(ctx: CliContext): Promise<DockerInventory> {
  try {
    return await readInventory(new DockerEngineClient({}, ctx.env));
  } catch (e) {
    throw new CliError(
      `cannot ask Docker for its containers (needed by containers: rules): ${(e as Error).message}`,
    );
  }
}
