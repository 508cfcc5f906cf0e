import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  forNftablesBackend,
  nftRuleExprs,
  nftTableOfSpec,
  nftTransaction,
  planNft,
  plannedNftRuleset,
} from '../../../src/backend/nftables/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { NftTable } from '../../../src/model/index.js';
import { parseNftJson } from '../../../src/parse/index.js';
import { policyFrom, repoRoot } from '../../helpers/fixtures.js';
import { netnsUnavailable, suiteNetns } from '../export/netns.js';

/**
 * trace, check and audit walk dockwall's planned nftables tables in the form `nft -j` prints: the
 * writer's rule bodies read back into nft's JSON expressions must be what nft itself prints.
 */

const DIR = join(repoRoot, 'test/fixtures/nft-1.0.6-rule-json');
const POS = { file: 'policy.yaml', line: 7, column: 3 };

/** Rule bodies of tables.nft, per table and chain, in order (the comment left out, as the writer does). */
function bodies(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!/^\S/.test(l) || /^(table|chain|set|type|flags|auto-merge|elements|\})/.test(l)) continue;
    out.push(l.replace(/ comment "[^"]*"$/, ''));
  }
  return out;
}

function families(text: string): Array<'ip' | 'ip6'> {
  const out: Array<'ip' | 'ip6'> = [];
  let fam: 'ip' | 'ip6' = 'ip';
  for (const line of text.split('\n')) {
    const t = /^table (ip6?) /.exec(line);
    if (t) fam = t[1] as 'ip' | 'ip6';
    const l = line.trim();
    if (/^\S/.test(l) && !/^(table|chain|set|type|flags|auto-merge|elements|\})/.test(l)) out.push(fam);
  }
  return out;
}

/** kind → value, as the simulator takes an expression. */
const exprs = (t: NftTable) =>
  t.chains.map((c) => ({
    name: c.name,
    base: c.base,
    rules: c.rules.map((r) => ({ comment: r.comment, expr: r.expr.map((e) => ({ [e.kind]: e.value })) })),
  }));

describe("dockwall's rule bodies as nft -j prints them", () => {
  it('every construct the writer words reads into the expressions nft 1.0.6 printed for it', () => {
    const text = readFileSync(join(DIR, 'tables.nft'), 'utf8');
    const json = JSON.parse(readFileSync(join(DIR, 'tables.json'), 'utf8')) as {
      nftables: Array<{ rule?: { expr: unknown[] } }>;
    };
    const printed = json.nftables.filter((x) => x.rule).map((x) => x.rule!.expr);
    const body = bodies(text);
    const fam = families(text);
    expect(body).toHaveLength(printed.length);
    body.forEach((b, i) => {
      const read = nftRuleExprs(b, fam[i]!, POS).map((e) => ({ [e.kind]: e.value }));
      expect(read, b).toEqual(printed[i]);
    });
  });

  it('what it cannot read becomes one text expression (never a guess), at the policy rule’s position', () => {
    const read = nftRuleExprs('iifname "eth0" osf name "Linux" counter accept', 'ip', POS);
    expect(read).toEqual([
      { kind: 'match', value: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth0' }, pos: POS },
      { kind: 'text', value: 'osf name "Linux" counter accept', pos: POS },
    ]);
    expect(nftRuleExprs('meta mark set meta mark and 0xff or 0x1 accept', 'ip', POS)[0]).toEqual({
      kind: 'mangle',
      value: {
        key: { meta: { key: 'mark' } },
        value: { '|': [{ '&': [{ meta: { key: 'mark' } }, 255] }, 1] },
      },
      pos: POS,
    });
  });
});

const skip = netnsUnavailable(['nft']);

describe.skipIf(skip)('the real nft: planned tables equal what nft -j lists once they are loaded', () => {
  const ns = suiteNetns();

  for (const file of ['examples/firewalling-docker.yaml', 'examples/pyfw-wishes-firewalling-docker.yaml']) {
    it(`${file}: chains, hooks, rules (comments, expressions) and sets`, () => {
      const { desired } = forNftablesBackend(compileDesired(policyFrom(file)));
      const want = desired.nft!;
      ns.run(['nft', '-f', '-'], nftTransaction(want, planNft({ ipv4: null, ipv6: null }, want)));
      const listed = parseNftJson(ns.run(['nft', '-j', 'list', 'ruleset']), { file: 'nft -j' });
      expect(listed.diagnostics).toEqual([]);
      for (const spec of want.tables) {
        const planned = nftTableOfSpec(spec);
        const live = listed.value!.tables.find(
          (t) => t.family === planned.family && t.name === planned.name,
        )!;
        expect(exprs(planned)).toEqual(exprs(live));
        expect(planned.sets.map((s) => [s.name, s.type, s.elements.map((e) => e.key)])).toEqual(
          live.sets.map((s) => [s.name, s.type, s.elements.map((e) => e.key)]),
        );
      }
      ns.run(['nft', 'flush', 'ruleset']);
    });
  }
});

describe('the rule set after the plan', () => {
  const docker = parseNftJson(
    readFileSync(join(repoRoot, 'test/fixtures/docker-29.7.2-nftables/ipv6-portmap/ruleset.json'), 'utf8'),
    { file: 'ruleset.json' },
  ).value!;
  const keys = (r: { tables: NftTable[] }) => r.tables.map((t) => `${t.family} ${t.name}`);

  it("Docker's tables stay as read; dockwall's planned tables take the place of those read, and a managed family without one loses its table", () => {
    const { desired } = forNftablesBackend(compileDesired(policyFrom('examples/firewalling-docker.yaml')));
    const want = desired.nft!;
    const once = plannedNftRuleset(docker, want);
    expect(keys(once)).toEqual(['ip docker-bridges', 'ip6 docker-bridges', 'ip dockwall', 'ip6 dockwall']);
    expect(once.tables.slice(0, 2)).toEqual(docker.tables);
    // Planned again over its own result (dockwall's tables already there): the same tables, once.
    expect(plannedNftRuleset(once, want)).toEqual(once);
    // The policy keeps managing IPv6 but wants no table there: the one read is gone.
    const v4only = { ...want, tables: want.tables.filter((t) => t.family === 'ipv4') };
    expect(keys(plannedNftRuleset(once, v4only))).toEqual([
      'ip docker-bridges',
      'ip6 docker-bridges',
      'ip dockwall',
    ]);
  });
});
