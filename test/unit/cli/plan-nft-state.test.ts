import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  dockwallTablesOfRuleset,
  forNftablesBackend,
  nftTransaction,
  planNft,
} from '../../../src/backend/nftables/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import { policyFrom, repoRoot } from '../../helpers/fixtures.js';
import { netnsUnavailable } from '../export/netns.js';
import { dockwall, tempFile } from './run-cli.js';

/**
 * `plan --state` takes a saved `nft -j list ruleset` as trace, check and audit do: Docker's nftables
 * backend is told from the tables in it, dockwall's own tables in it are what the plan compares
 * with, and the reachability difference walks Docker's tables.
 */

const FIX = 'test/fixtures/docker-29.7.2-nftables/usernet-portmap';
const POLICY = 'examples/firewalling-docker.yaml';
const offline = (ruleset: string) => [
  'plan',
  '-f',
  POLICY,
  '--state',
  ruleset,
  '--host-model',
  `${FIX}/host.json`,
  '--docker-state',
  `${FIX}/docker.json`,
];

describe('plan --state with a saved nftables rule set', () => {
  it("plans dockwall's nftables table on Docker's nftables backend, with who loses access", () => {
    const r = dockwall(offline(`${FIX}/ruleset.json`));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/info\[plan\.nft-backend\]/);
    expect(r.stdout).toContain('nftables table ip dockwall chain DOCKWALL-FILTER');
    expect(r.stdout).toContain('+ create table ip dockwall');
    // Docker's tables are walked: c1's port 8080 is closed by the shared filter (only 22 and 8000 pass).
    expect(r.stdout).toMatch(/0\.0\.0\.0:8080\/tcp published by c1[^\n]*\n\s+- lose access: every source/);
  });

  it('an iptables dump beside it is read as before (one rule set, one dump per family)', () => {
    const r = dockwall([
      ...offline(`${FIX}/ruleset.json`),
      '--state',
      'examples/state/seed-host.iptables-save',
      // Two hosts' dumps: the example's expect: is not about this mix.
      '--no-check',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('nftables table ip dockwall');
    expect(r.stderr).not.toMatch(/iptables-nft's/);
    const two = dockwall([...offline(`${FIX}/ruleset.json`), '--state', `${FIX}/ruleset.json`]);
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/two nftables rule sets given/);
  });

  it('bad JSON is a positioned error; `nft list ruleset` text is named as such', () => {
    const bad = tempFile('ruleset.json', '{"nftables": [\n  {"table": }\n]}\n');
    const r = dockwall(offline(bad));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[parse\.nft-not-json\]/);
    expect(r.stderr).toContain(`--> ${bad}:2:13`);
    const text = dockwall(offline(`${FIX}/ruleset.nft`));
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/error\[parse\.nft-text\]: this is `nft list ruleset` text/);
    expect(text.stdout).toBe('');
  });

  it("reads dockwall's own tables out of the whole rule set; absent ones are null", () => {
    const text = readFileSync(`${repoRoot}/${FIX}/ruleset.json`, 'utf8');
    expect(dockwallTablesOfRuleset(text, 'r.json').value).toEqual({ ipv4: null, ipv6: null });
    const doc = JSON.parse(text) as { nftables: unknown[] };
    doc.nftables.push(
      { table: { family: 'ip', name: 'dockwall', handle: 9 } },
      {
        chain: {
          family: 'ip',
          table: 'dockwall',
          name: 'forward',
          handle: 1,
          type: 'filter',
          hook: 'forward',
          prio: -10,
          policy: 'accept',
        },
      },
      {
        rule: {
          family: 'ip',
          table: 'dockwall',
          chain: 'forward',
          handle: 2,
          comment: 'dockwall:x #00000000',
          expr: [{ drop: null }],
        },
      },
      // Another table's chain of the same name is not dockwall's.
      { chain: { family: 'ip', table: 'other', name: 'forward', handle: 3 } },
    );
    const read = dockwallTablesOfRuleset(JSON.stringify(doc), 'r.json').value!;
    expect(read.ipv6).toBeNull();
    expect(read.ipv4!.chains.map((c) => [c.name, c.rules.map((r) => r.verdict)])).toEqual([
      ['forward', ['drop']],
    ]);
  });
});

const skip = netnsUnavailable(['nft', 'unshare']);

describe.skipIf(skip)('plan --state with a rule set that holds dockwall table as the plan wants it', () => {
  it("has nothing to do in nftables: dockwall's table in the dump is compared, not ignored", () => {
    const { desired } = forNftablesBackend(compileDesired(policyFrom(POLICY), { hostFamilies: ['ipv4'] }));
    const want = { ...desired.nft!, families: ['ipv4' as const] };
    const script = nftTransaction(want, planNft({ ipv4: null }, want));
    const loaded = spawnSync('unshare', ['--net', '--', 'sh', '-c', 'nft -f - && nft -j list ruleset'], {
      input: script,
      encoding: 'utf8',
    });
    expect(loaded.status, loaded.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(`${repoRoot}/${FIX}/ruleset.json`, 'utf8')) as {
      nftables: unknown[];
    };
    const mine = (JSON.parse(loaded.stdout) as { nftables: Array<Record<string, unknown>> }).nftables.filter(
      (o) => !('metainfo' in o),
    );
    doc.nftables.push(...mine);
    const r = dockwall(offline(tempFile('ruleset.json', JSON.stringify(doc))));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).not.toContain('nftables table');
    expect(r.stdout).toContain('ipv4 filter INPUT');
  });
});
