import type { IpSet } from '../model/ipset.js';
import type { Policy, PolicyChain, PolicyTable } from '../model/policy.js';
import { isBuiltinChain } from '../model/ruleset.js';
import type { Family, TableName } from '../model/ruleset.js';
import { warnUndeclaredSets } from './build-native.js';
import type { BuildContext } from './context.js';
import { isDockerOwnedChain } from './docker-chains.js';
import { pyfwIpset } from './ipsets.js';
import type { PyfwInput } from './pyfw-schema.js';
import { readRule } from './rule-text.js';
import { SET_TYPES } from './schema.js';
import { UniqueNames } from './unique-names.js';
import type { Path } from './yaml-source.js';

type Wishes = PyfwInput['pyfw_wishes'];
type TablesInput = NonNullable<Wishes['iptables']>;
type ChainInput = NonNullable<NonNullable<TablesInput['filter']>[string]>;

const ROOT = 'pyfw_wishes';

/** Builds the policy from a pyfw wishes file whose shape the schema has already accepted. */
export function buildPyfw(ctx: BuildContext, input: PyfwInput): Policy {
  for (const { key, span } of ctx.src.mapKeys([])) {
    if (key === ROOT || key === 'extensions') continue;
    ctx.warn(
      'policy.pyfw-ignored-key',
      `\`${key}\` is outside \`${ROOT}\`: pyfw reads only \`${ROOT}\`, and so does dockwall`,
      span,
    );
  }
  const wishes = input.pyfw_wishes;
  const ipsets: IpSet[] = [];
  for (const [name, set] of Object.entries(wishes.ipsets ?? {})) {
    const path: Path = [ROOT, 'ipsets', name];
    if (!(SET_TYPES as readonly string[]).includes(set.type)) {
      ctx.error('policy.bad-set-type', `\`${set.type}\` is not an ipset type`, ctx.at([...path, 'type']));
      continue;
    }
    ipsets.push(pyfwIpset(ctx, name, set, path));
  }
  const declared = new Set([...Object.keys(wishes.ipsets ?? {}), ...ctx.dropped.keysBelow([ROOT, 'ipsets'])]);

  const policy: Policy = {
    file: ctx.file,
    format: 'pyfw',
    ipsets,
    families: {},
    containers: [],
    denyUnlistedPublished: false,
    expectations: [],
  };
  const sections = [
    ['iptables', 'ipv4'],
    ['ip6tables', 'ipv6'],
  ] as const;
  for (const [key, family] of sections) {
    const tables = wishes[key];
    if (tables) policy.families[family] = { tables: readTables(ctx, key, family, tables, declared) };
  }
  return policy;
}

function readTables(
  ctx: BuildContext,
  key: string,
  family: Family,
  input: TablesInput,
  declared: Set<string>,
): PolicyTable[] {
  const tables: PolicyTable[] = [];
  for (const [tableName, chainsInput] of Object.entries(input) as Array<
    [TableName, Record<string, ChainInput>]
  >) {
    if (!chainsInput) continue;
    const chains: PolicyChain[] = [];
    for (const [chainName, chainInput] of Object.entries(chainsInput)) {
      const path: Path = [ROOT, key, tableName, chainName];
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
  input: ChainInput,
  path: Path,
  declared: Set<string>,
): PolicyChain | undefined {
  if (isDockerOwnedChain(name)) {
    ctx.warn(
      'policy.docker-chain',
      `\`${name}\` is Docker's chain: dockerd flushes it whenever it restarts, and these rules are gone until the next apply`,
      ctx.keyAt(path),
      'DOCKER-USER is the durable place for rules about container traffic; `dockwall import pyfw` converts this file',
    );
  }
  const chain: PolicyChain = { name, rules: [], pos: ctx.posOfKey(path) };
  if (input.default_action !== undefined) {
    if (isBuiltinChain(table, name)) {
      chain.policy = input.default_action;
    } else {
      ctx.error(
        'policy.policy-on-user-chain',
        `\`${name}\` is not a built-in chain of the ${table} table: only built-in chains have a default action`,
        ctx.keyAt([...path, 'default_action']),
      );
    }
  }
  const names = new UniqueNames(ctx, 'rule', `chain ${name}`);
  (input.rules ?? []).forEach((entry, j) => {
    const ruleName = Object.keys(entry)[0]!;
    const entryPath: Path = [...path, 'rules', j, ruleName];
    if (ruleName.startsWith('~')) {
      ctx.error(
        'policy.pyfw-match',
        `\`${ruleName}\` (pyfw's "keep the live rules that match here") is not supported`,
        ctx.keyAt(entryPath),
        'list the rules to keep by name; rules dockwall does not manage are left where they are',
      );
      return;
    }
    if (!names.add(ruleName, entryPath, true)) return;
    // pyfw rules name themselves: the text carries `-m comment --comment NAME`, and the live rule
    // is found by that comment. A rule without a comment keeps this identity too; it can then only
    // be recognised in the live chain by being canonically equal to the rule text.
    const rule = readRule(ctx, {
      name: ruleName,
      textPath: entryPath,
      namePath: entryPath,
      family,
      identity: 'own-comment',
    });
    if (!rule) return;
    warnUndeclaredSets(ctx, rule, entryPath, declared);
    chain.rules.push(rule);
  });
  return chain;
}
