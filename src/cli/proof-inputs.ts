import { compileDesired, stateFamilies, type CompileContext } from '../compile/index.js';
import { readHostModel } from '../host/host-model.js';
import { listSets, readAllSets, readSets } from '../host/ipset-host.js';
import type { Runner } from '../host/runner.js';
import { readAllTables } from '../host/iptables-host.js';
import type {
  Diagnostic,
  DockerInventory,
  Family,
  HostModel,
  HostState,
  IpSet,
  IpSetState,
  NftRuleset,
  Result,
  Ruleset,
} from '../model/index.js';
import { FAMILIES, diag } from '../model/index.js';
import {
  mergeHostModelParts,
  parseHostModelJson,
  parseIpsetSave,
  parseIptablesSave,
} from '../parse/index.js';
import { forNftablesBackend } from '../backend/nftables/index.js';
import { stateAfterPlan, withNftFamilies } from '../proof/planned-state.js';
import type { CliContext } from './context.js';
import { CliError } from './exit-codes.js';
import type { Planned } from './pipeline.js';
import { readInventoryFile, readPolicy, readStateFiles, readText } from './inputs.js';
import { chooseVariant, hostRunner, readLiveInventory, type LiveReads } from './live.js';
import { readLiveNft, splitStateFiles } from './nft-inputs.js';
import { reportBackend, type BackendReport } from '../proof/backend.js';

export interface ProofOptions {
  state?: string[];
  ipsetState?: string[];
  /** Trace against the state this policy would produce (planned), and use its host: block. */
  file?: string;
  /** Host-model files: `ip -j addr`, `ip -j route`, or dockwall's JSON (see readHostModelFile). */
  hostModel?: string[];
  dockerState?: string;
}

export interface ProofInputs {
  state: HostState;
  host: HostModel;
  docker?: DockerInventory;
  offline: boolean;
  /** The nftables rule set (saved `nft -j list ruleset`, or the live one). */
  nft?: NftRuleset;
  /** Docker's firewall backend and how it was learnt. */
  backend: BackendReport;
}

/**
 * The rule sets, sets, host model and Docker inventory that trace/audit reason about: saved dumps or
 * the whole live host (every table: the walk needs raw, mangle and nat too; and the nftables rule
 * set when there are tables beyond iptables-nft's, as with Docker 29's nftables backend),
 * optionally with a policy's planned changes applied first.
 */
export async function loadProofInputs(ctx: CliContext, opts: ProofOptions): Promise<ProofInputs> {
  const offline = (opts.state?.length ?? 0) > 0;
  let state: HostState;
  let nft: NftRuleset | undefined;
  if (offline) {
    const split = splitStateFiles(ctx, opts.state ?? []);
    nft = split.nft;
    state = readStateFiles(ctx, split.iptables, opts.ipsetState ?? []);
    if (split.nft && split.nftFile) {
      const added = withNftFamilies(state, split.nft, split.nftFile);
      ctx.collect(added.diagnostics);
      state = added.state;
    }
  } else {
    state = await readWholeHost(ctx);
    nft = await readLiveNft(ctx);
  }

  const policy = opts.file ? readPolicy(ctx, opts.file) : undefined;
  let docker: DockerInventory | undefined;
  if (opts.dockerState) docker = readInventoryFile(ctx, opts.dockerState);
  else if (!offline) docker = await readLiveInventory(ctx).catch(() => undefined);

  const backend = reportBackend(state.rulesets, nft, docker);
  if (policy) {
    const compileCtx: CompileContext = { hostFamilies: stateFamilies(state) };
    if (docker) compileCtx.inventory = docker;
    let desired = compileDesired(policy, compileCtx);
    ctx.collect(desired.diagnostics.filter((d) => d.severity !== 'info'));
    // On Docker's nftables backend, forwarded traffic is filtered in dockwall's planned nftables
    // tables (as apply would write them), walked beside Docker's.
    if (backend.report.backend === 'nftables') {
      const split = forNftablesBackend(desired);
      ctx.collect(split.diagnostics.filter((d) => d.severity !== 'info'));
      desired = split.desired;
    }
    const after = stateAfterPlan(state, desired, nft);
    state = after.state;
    if (after.nft) nft = after.nft;
  }

  let host: HostModel | undefined;
  if (opts.hostModel?.length) host = readHostModelFile(ctx, opts.hostModel);
  else if (policy?.host) host = policy.host;
  else if (!offline) host = await readHostModel(hostRunner());
  if (!host)
    throw new CliError(
      'offline, the host is unknown: give -f POLICY with a host: block, or --host-model JSON',
    );
  ctx.collect(backend.diagnostics);
  const out: ProofInputs = { state, host, offline, backend: backend.report };
  if (docker) out.docker = docker;
  if (nft) out.nft = nft;
  return out;
}

/**
 * The host model from one or more files: `ip -j addr` output (interfaces), `ip -j route` output
 * (routes; `ip -6 -j route` too), dockwall's own JSON ({interfaces: [{name, addresses}], routes?})
 * or a policy's `host:` block as JSON. Bad files give positioned errors.
 */
export function readHostModelFile(ctx: CliContext, files: readonly string[]): HostModel {
  const parts = files.map((file) =>
    ctx.valueOf(parseHostModelJson(readText(ctx, file), { file }), `${file} is not a host model`),
  );
  const host = mergeHostModelParts(parts);
  if (!host)
    throw new CliError(
      `--host-model ${files.join(', ')}: no interfaces (give \`ip -j addr\` output beside \`ip -j route\`'s)`,
    );
  return host;
}

const wholeHosts = new WeakMap<Planned, Promise<HostState>>();

/**
 * The whole live host a plan's proofs walk (its `expect:` checks and the reachability difference),
 * read once per plan: ipv4 from the dump the plan began with, the sets the plan has not read.
 */
export function liveWholeHost(ctx: CliContext, planned: Planned): Promise<HostState> {
  let got = wholeHosts.get(planned);
  if (!got) {
    const reading = readWholeHost(ctx, {
      ...(planned.ownSave ? { ownSave: planned.ownSave } : {}),
      knownSets: planned.state.sets,
    });
    wholeHosts.set(planned, reading);
    reading.catch(() => {
      if (wholeHosts.get(planned) === reading) wholeHosts.delete(planned);
    });
    got = reading;
  }
  return got;
}

/**
 * Every table of both families (a family whose tables cannot be read is left out with a warning) and
 * every set. `ownSave`: the whole ipv4 dump read already at the start of a live plan (see
 * `startLiveReads`), taken instead of reading ipv4 again when it is of the variant read. `knownSets`:
 * sets this command has just read (the policy's, for its plan): they are taken as they are, and only
 * the others are read (a 100,000-member blocklist is not read twice).
 */
export async function readWholeHost(
  ctx: CliContext,
  opts: { ownSave?: LiveReads['ownSave']; knownSets?: IpSetState } = {},
): Promise<HostState> {
  const runner = hostRunner();
  const variant = await chooseVariant(ctx, runner);
  const rulesets: Partial<Record<Family, Ruleset>> = {};
  const own = opts.ownSave ? await opts.ownSave : undefined;
  // Every read at once; the answers are taken in order, so diagnostics come out the same every time.
  const reads = FAMILIES.map((family) =>
    family === 'ipv4' && own?.variant === variant
      ? Promise.resolve(own.text)
      : readAllTables(runner, family, { variant }),
  );
  for (const r of reads) r.catch(() => undefined);
  const setsRead = opts.knownSets
    ? readOtherSets(runner, opts.knownSets)
    : readAllSets(runner)
        .catch(() => '')
        .then((text) => parseIpsetSave(text, { file: 'ipset save' }));
  setsRead.catch(() => undefined);
  for (const [i, family] of FAMILIES.entries()) {
    let text: string;
    try {
      text = await reads[i]!;
    } catch (e) {
      if (family === 'ipv4') throw e;
      ctx.collect([
        diag(
          'warning',
          'host.family-unreadable',
          `the ${family} tables could not be read (${(e as Error).message}): ${family} traffic is not traced or audited`,
        ),
      ]);
      continue;
    }
    rulesets[family] = ctx.valueOf(
      parseIptablesSave(text, { file: `${family === 'ipv6' ? 'ip6' : 'ip'}tables-save`, family }),
      'could not read the live rules',
    );
  }
  const sets = await setsRead;
  ctx.collect(sets.diagnostics);
  return { rulesets, sets: sets.value ?? { sets: [] } };
}

/** Every set in the kernel's order: those of `known` as they are, the others read (`ipset save NAME`). */
export async function readOtherSets(runner: Runner, known: IpSetState): Promise<Result<IpSetState>> {
  const names = await listSets(runner).catch(() => undefined);
  if (!names) return { value: { sets: [] }, diagnostics: [] };
  const byName = new Map(known.sets.map((s) => [s.name, s]));
  // As a failed `ipset save` of every set reads as none, a failed read of the others does.
  const others = await readSets(
    runner,
    names.filter((n) => !byName.has(n)),
  ).catch(() => []);
  const diagnostics: Diagnostic[] = [];
  for (const o of others) {
    if (!o.present) continue;
    const res = parseIpsetSave(o.text, { file: `ipset save ${o.name}` });
    diagnostics.push(...res.diagnostics);
    for (const set of res.value?.sets ?? []) byName.set(set.name, set);
  }
  const sets = names.map((n) => byName.get(n)).filter((s): s is IpSet => s !== undefined);
  return { value: { sets }, diagnostics };
}
