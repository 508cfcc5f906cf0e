import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostState, IpSetState, Policy, Ruleset } from '../../src/model/index.js';
import { parseIpsetSave, parseIptablesSave } from '../../src/parse/index.js';
import { loadPolicy } from '../../src/policy/index.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function repoFile(rel: string): string {
  return readFileSync(repoRoot + rel, 'utf8');
}

export function fixtureRuleset(rel: string): Ruleset {
  const res = parseIptablesSave(repoFile(`test/fixtures/${rel}`), { file: rel });
  if (!res.value || res.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(`fixture ${rel} does not parse: ${JSON.stringify(res.diagnostics)}`);
  }
  return res.value;
}

export function fixtureSets(rel: string): IpSetState {
  const res = parseIpsetSave(repoFile(`test/fixtures/${rel}`), { file: rel });
  if (!res.value) throw new Error(`fixture ${rel} does not parse`);
  return res.value;
}

export function fixtureState(v4: string, ipset?: string): HostState {
  return { rulesets: { ipv4: fixtureRuleset(v4) }, sets: ipset ? fixtureSets(ipset) : { sets: [] } };
}

export function policyFrom(rel: string): Policy {
  const res = loadPolicy(repoFile(rel), rel);
  if (!res.value || res.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(`policy ${rel} does not load: ${JSON.stringify(res.diagnostics)}`);
  }
  return res.value;
}

export function policyText(text: string, file = 'test.yaml'): Policy {
  const res = loadPolicy(text, file);
  if (!res.value || res.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(`policy does not load: ${JSON.stringify(res.diagnostics, null, 1)}`);
  }
  return res.value;
}

/** The text of a native policy holding only `rules` in ipv4 filter INPUT: the first is on line 6. */
export function inputRulesYaml(...rules: string[]): string {
  const lines = [
    'dockwall: 1',
    'ipv4:',
    '  filter:',
    '    INPUT:',
    '      rules:',
    ...rules.map((r) => `        - ${r}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Docker 29.7.2's nftables rule sets (test/fixtures/docker-29.7.2-nftables/README.md). */
export const NFT_FIXTURE_DIR = 'test/fixtures/docker-29.7.2-nftables';
export const NFT_SCENARIOS = [
  'new-daemon',
  'usernet-portmap',
  'usernet-portmap-noicc',
  'usernet-portmap-noproxy',
  'usernet-internal',
  'usernet-portmap-lo',
  'usernet-portmap-fwmark',
  'ipv6-portmap',
] as const;
