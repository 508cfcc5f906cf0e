import type { HostModel, HostRoute } from '../model/host.js';
import type { IpSet } from '../model/ipset.js';
import { IPV6_ESSENTIALS } from '../model/policy.js';
import type {
  ContainerAllow,
  Ipv6Essential,
  ContainerSelector,
  Policy,
  PolicyChain,
  PolicyRule,
  PolicyTable,
  ProtoName,
  SharedAllow,
  SharedFilter,
} from '../model/policy.js';
import { isBuiltinChain } from '../model/ruleset.js';
import type { Family, TableName } from '../model/ruleset.js';
import type { BuildContext } from './context.js';
import { isDockerOwnedChain } from './docker-chains.js';
import { readExpectations } from './expectations.js';
import { nativeIpset } from './ipsets.js';
import { readRule, setsOf } from './rule-text.js';
import type { NativeChainInput, NativePolicyInput } from './schema.js';
import { normalizePort, parseNetwork } from './values.js';
import { UniqueNames } from './unique-names.js';
import { closest } from './zod-issues.js';
import type { Path } from './yaml-source.js';

/** Builds the policy from a native file whose shape the schema has already accepted. */
export function buildNative(ctx: BuildContext, input: NativePolicyInput): Policy {
  const ipsets: IpSet[] = [];
  for (const [name, set] of Object.entries(input.ipsets ?? {})) {
    const built = nativeIpset(ctx, name, set, ['ipsets', name]);
    if (built) ipsets.push(built);
  }
  // A set the schema refused was reported already: rules naming it are not told it is undeclared.
  const declared = new Set([...Object.keys(input.ipsets ?? {}), ...ctx.dropped.keysBelow(['ipsets'])]);
  ipsets.forEach((set) => {
    if (set.type !== 'list:set') return;
    set.members.forEach((m, i) => {
      if (!declared.has(m)) {
        ctx.warn(
          'policy.undeclared-set',
          `set \`${m}\` is not declared in this policy: it must exist on the host before \`${set.name}\` can hold it`,
          i < (input.ipsets?.[set.name]?.members?.length ?? 0)
            ? ctx.at(['ipsets', set.name, 'members', i])
            : ctx.at(['ipsets', set.name, 'members_from']),
        );
      }
    });
  });

  const policy: Policy = {
    file: ctx.file,
    format: 'dockwall',
    ipsets,
    families: {},
    containers: [],
    denyUnlistedPublished: input.deny_unlisted_published ?? input.containers !== undefined,
    expectations: [],
  };

  if (input.filter) policy.sharedFilter = readSharedFilter(ctx, input.filter, declared);
  if (input.containers) policy.containers = readContainers(ctx, input.containers, declared);
  for (const family of ['ipv4', 'ipv6'] as const) {
    const tables = input[family];
    if (tables) policy.families[family] = { tables: readTables(ctx, family, tables, declared) };
  }
  if (input.host) policy.host = readHost(ctx, input.host);
  if (input.expect) policy.expectations = readExpectations(ctx, input.expect);
  return policy;
}

type FilterInput = NonNullable<NativePolicyInput['filter']>;
type ContainersInput = NonNullable<NativePolicyInput['containers']>;
type TablesInput = NonNullable<NativePolicyInput['ipv4']>;
type HostInput = NonNullable<NativePolicyInput['host']>;

function readSharedFilter(ctx: BuildContext, input: FilterInput, declared: Set<string>): SharedFilter {
  const names = new UniqueNames(ctx, 'entry', 'the shared filter');
  const allow: SharedAllow[] = [];
  (input.allow ?? []).forEach((a, i) => {
    const path = ['filter', 'allow', i];
    names.add(a.name, [...path, 'name']);
    const ports = readPorts(ctx, a.ports ?? [], [...path, 'ports']);
    const proto: ProtoName = a.proto ?? (ports.length > 0 ? 'tcp' : 'any');
    if (ports.length > 0 && proto !== 'tcp' && proto !== 'udp') {
      ctx.error(
        'policy.ports-need-proto',
        `\`${proto}\` has no ports: with \`ports\`, \`proto\` is tcp or udp`,
        ctx.at([...path, 'proto']),
      );
    }
    const entry: SharedAllow = {
      name: a.name,
      sources: readSources(ctx, a.sources ?? [], [...path, 'sources']),
      sets: readSetRefs(ctx, a.sets ?? [], [...path, 'sets'], declared),
      proto,
      ports,
      pos: ctx.posOf(path),
    };
    allow.push(entry);
  });
  const filter: SharedFilter = {
    interfaces: input.interfaces,
    allow,
    otherwise: input.otherwise ?? 'drop',
    ipv6Essentials: readIpv6Essentials(input.ipv6_essentials),
    pos: ctx.posOfKey(['filter']),
  };
  if (input.families) filter.families = readFamilies(ctx, input.families, ['filter', 'families']);
  return filter;
}

function readIpv6Essentials(input: FilterInput['ipv6_essentials']): Ipv6Essential[] {
  if (input === undefined || input === true) return [...IPV6_ESSENTIALS];
  if (input === false) return [];
  return IPV6_ESSENTIALS.filter((e) => input.includes(e));
}

/** A `families:` list, each family once. */
function readFamilies(ctx: BuildContext, input: Family[], path: Path): Family[] {
  input.forEach((f, i) => {
    if (input.indexOf(f) !== i)
      ctx.error('policy.duplicate-family', `\`${f}\` is listed twice`, ctx.at([...path, i]));
  });
  return [...new Set(input)].sort();
}

function readContainers(ctx: BuildContext, input: ContainersInput, declared: Set<string>): ContainerAllow[] {
  const names = new UniqueNames(ctx, 'entry', '`containers`');
  const out: ContainerAllow[] = [];
  input.forEach((c, i) => {
    const path = ['containers', i];
    names.add(c.name, [...path, 'name']);
    const selector: ContainerSelector = {};
    if (c.container !== undefined) selector.name = c.container;
    if (c.labels !== undefined && Object.keys(c.labels).length > 0) selector.labels = c.labels;
    if (c.compose?.project !== undefined) selector.composeProject = c.compose.project;
    if (c.compose?.service !== undefined) selector.composeService = c.compose.service;
    if (Object.keys(selector).length === 0) {
      // A selector the schema refused was reported already: the entry is set aside without a word.
      if (['container', 'labels', 'compose'].some((k) => ctx.dropped.has([...path, k]))) return;
      ctx.error(
        'policy.no-selector',
        `container rule \`${c.name}\` selects no container: give \`container\`, \`labels\` or \`compose\``,
        ctx.at(path),
      );
      return;
    }
    const entry: ContainerAllow = {
      name: c.name,
      selector,
      ports: c.ports ?? [],
      sources: readSources(ctx, c.sources ?? [], [...path, 'sources']),
      sets: readSetRefs(ctx, c.sets ?? [], [...path, 'sets'], declared),
      pos: ctx.posOf(path),
    };
    if (c.proto !== undefined) entry.proto = c.proto;
    if (c.families) entry.families = readFamilies(ctx, c.families, [...path, 'families']);
    out.push(entry);
  });
  return out;
}

function readTables(
  ctx: BuildContext,
  family: Family,
  input: TablesInput,
  declared: Set<string>,
): PolicyTable[] {
  const tables: PolicyTable[] = [];
  for (const [tableName, chainsInput] of Object.entries(input) as Array<
    [TableName, Record<string, NativeChainInput>]
  >) {
    if (!chainsInput) continue;
    const chains: PolicyChain[] = [];
    for (const [chainName, chainInput] of Object.entries(chainsInput)) {
      const path: Path = [family, tableName, chainName];
      const chain = readChain(ctx, family, tableName, chainName, chainInput, path, declared);
      if (chain) chains.push(chain);
    }
    tables.push({ name: tableName, chains });
  }
  return tables;
}

function readChain(
  ctx: BuildContext,
  family: Family,
  table: TableName,
  name: string,
  input: NativeChainInput,
  path: Path,
  declared: Set<string>,
): PolicyChain | undefined {
  if (isDockerOwnedChain(name)) {
    ctx.error(
      'policy.docker-chain',
      `\`${name}\` is Docker's chain: dockerd flushes it when it restarts, so rules put there do not last`,
      ctx.keyAt(path),
      'put rules for traffic to containers in DOCKER-USER, or describe them under `containers:`',
    );
    return undefined;
  }
  const chain: PolicyChain = { name, rules: [], pos: ctx.posOfKey(path) };
  if (input.policy !== undefined) {
    if (isBuiltinChain(table, name)) {
      chain.policy = input.policy;
    } else {
      ctx.error(
        'policy.policy-on-user-chain',
        `\`${name}\` is not a built-in chain of the ${table} table: only built-in chains have a policy`,
        ctx.keyAt([...path, 'policy']),
        'end a user chain with an explicit rule instead, e.g. `-j DROP`',
      );
    }
  }
  const names = new UniqueNames(ctx, 'rule', `chain ${name}`);
  (input.rules ?? []).forEach((entry, j) => {
    const explicit = 'rule' in entry && typeof entry.rule === 'string' && typeof entry.name === 'string';
    const ruleName = explicit ? (entry.name as string) : Object.keys(entry)[0]!;
    // `NAME: TEXT`: the name is the key of the text (one path for both).
    const namePath = [...path, 'rules', j, explicit ? 'name' : ruleName];
    const textPath = explicit ? [...path, 'rules', j, 'rule'] : namePath;
    if (!names.add(ruleName, namePath, !explicit)) return;
    const rule: PolicyRule | undefined = readRule(ctx, {
      name: ruleName,
      textPath,
      namePath,
      family,
      identity: 'tag',
    });
    if (!rule) return;
    warnUndeclaredSets(ctx, rule, textPath, declared);
    chain.rules.push(rule);
  });
  return chain;
}

/** Sets a rule names but the policy does not declare: they must already exist on the host. */
export function warnUndeclaredSets(
  ctx: BuildContext,
  rule: PolicyRule,
  textPath: Path,
  declared: Set<string>,
): void {
  for (const set of setsOf(rule.rule)) {
    if (declared.has(set)) continue;
    ctx.warn(
      'policy.undeclared-set',
      `rule \`${rule.name}\` uses ipset \`${set}\`, which this policy does not declare: it must exist on the host before apply`,
      ctx.at(textPath),
    );
  }
}

function readHost(ctx: BuildContext, input: HostInput): HostModel {
  const host: HostModel = { interfaces: [] };
  for (const [name, addresses] of Object.entries(input.interfaces)) {
    addresses.forEach((a, i) => {
      const n = parseNetwork(a);
      if (typeof n === 'string' || n.prefix === undefined) {
        const why = typeof n === 'string' ? n : `write \`${a}\` with its prefix length, e.g. \`${a}/24\``;
        ctx.error('policy.bad-address', why, ctx.at(['host', 'interfaces', name, i]));
      }
    });
    host.interfaces.push({ name, addresses });
  }
  if (input.routes) {
    host.routes = [];
    input.routes.forEach((r, i) => {
      const path = ['host', 'routes', i];
      if (r.destination !== 'default') {
        const n = parseNetwork(r.destination);
        if (typeof n === 'string') ctx.error('policy.bad-address', n, ctx.at([...path, 'destination']));
      }
      const route: HostRoute = { destination: r.destination, device: r.device };
      if (r.via !== undefined) {
        const n = parseNetwork(r.via);
        if (typeof n === 'string' || n.prefix !== undefined) {
          ctx.error('policy.bad-address', `\`${r.via}\` is not a gateway address`, ctx.at([...path, 'via']));
        }
        route.via = r.via;
      }
      host.routes!.push(route);
    });
  }
  return host;
}

function readPorts(ctx: BuildContext, ports: ReadonlyArray<string | number>, path: Path): string[] {
  const out: string[] = [];
  ports.forEach((p, i) => {
    const n = normalizePort(p);
    if (typeof n === 'string') ctx.error('policy.bad-port', n, ctx.at([...path, i]));
    else out.push(n.port);
  });
  return out;
}

function readSources(ctx: BuildContext, sources: readonly string[], path: Path): string[] {
  sources.forEach((s, i) => {
    const n = parseNetwork(s);
    if (typeof n === 'string') ctx.error('policy.bad-address', n, ctx.at([...path, i]));
  });
  return [...sources];
}

function readSetRefs(
  ctx: BuildContext,
  sets: readonly string[],
  path: Path,
  declared: Set<string>,
): string[] {
  sets.forEach((s, i) => {
    if (declared.has(s)) return;
    const near = closest(s, [...declared]);
    const hint = near
      ? `did you mean \`${near}\`?`
      : declared.size > 0
        ? `declared sets: ${[...declared].join(', ')}`
        : 'declare it under `ipsets:`';
    ctx.error(
      'policy.unknown-set',
      `set \`${s}\` is not declared under \`ipsets\``,
      ctx.at([...path, i]),
      hint,
    );
  });
  return [...sets];
}
