import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedMark,
  markDifference,
  planRollback,
  recordNftText,
  rollbackNftScript,
  takeSnapshot,
  type ApplyPorts,
} from '../../../src/apply/index.js';
import {
  expectedOf,
  forNftablesBackend,
  nftRestoreScript,
  nftTransaction,
  planNft,
  planNftRestore,
  readNftTableJson,
} from '../../../src/backend/nftables/index.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { HostState, NftLiveTable, Operation, Plan } from '../../../src/model/index.js';
import { summarize } from '../../../src/plan/index.js';
import { policyFrom } from '../../helpers/fixtures.js';
import { netnsUnavailable, suiteNetns } from '../export/netns.js';
import { asRead, dockwallTableJson } from './nft-table-fixtures.js';

const NATIVE = 'examples/firewalling-docker.yaml';
const { desired } = forNftablesBackend(compileDesired(policyFrom(NATIVE)));

/** A small table as `nft -j list table` reads: two rules in forward, one set. */
function table(saddr = '10.1.2.3'): NftLiveTable {
  const json = dockwallTableJson({
    tableHandle: 2,
    set: { name: 'ok', type: 'ipv4_addr', handle: 3, elem: ['192.0.2.1'] },
    rule: {
      handle: 4,
      comment: 'dockwall:no-host3 #0badf00d',
      expr: [
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: saddr } },
        { counter: { packets: 7, bytes: 420 } },
        { drop: null },
      ],
    },
  });
  return readNftTableJson(json, 'ipv4', 'nft -j').value!;
}

/** A table as `nft list table` prints it: an interval set keeps `auto-merge`, which nft's JSON leaves out. */
const LISTING = [
  'table ip dockwall {',
  '\tset ok {',
  '\t\ttype ipv4_addr',
  '\t\tflags interval',
  '\t\tauto-merge',
  '\t\telements = { 192.0.2.0/24 }',
  '\t}',
  '',
  '\tchain forward {',
  '\t\ttype filter hook forward priority filter - 10; policy accept;',
  '\t\tip saddr 10.1.2.3 counter packets 7 bytes 420 drop comment "dockwall:no-host3 #0badf00d"',
  '\t}',
  '}',
  '',
].join('\n');

describe('a rule edited in place is drift', () => {
  it('same comment and verdict, other content: delete and add again, said to be edited in place', () => {
    const live = asRead(desired.nft!.tables[0]!, { expr: true });
    const expected = { ipv4: expectedOf(live) };
    // As written: nothing to do, with or without knowing what nft makes of the rules.
    expect(planNft({ ipv4: live }, desired.nft!, expected)).toEqual([]);
    expect(planNft({ ipv4: live }, desired.nft!)).toEqual([]);
    // `nft replace rule` kept the comment and the verdict of the second rule, and changed its match.
    live.chains[1]!.rules[1]!.expr = 'something else';
    expect(planNft({ ipv4: live }, desired.nft!)).toEqual([]);
    const ops = planNft({ ipv4: live }, desired.nft!, expected);
    expect(ops.map((o) => o.op)).toEqual(['nft-delete-rule', 'nft-add-rule']);
    expect(ops[0]).toMatchObject({ chain: 'DOCKWALL-FILTER', position: 2 });
    expect((ops[0] as { rule: string }).rule).toMatch(/edited in place/);
    expect(ops[1]).toMatchObject({ chain: 'DOCKWALL-FILTER', position: 2 });
  });

  it('counter values are not content: traffic alone is no drift', () => {
    const a = table();
    const b = table();
    (b.objects![3]!.rule as { expr: Array<{ counter?: unknown }> }).expr[1]!.counter = {
      packets: 1,
      bytes: 2,
    };
    expect(a.chains[0]!.rules[0]!.expr).toBe(b.chains[0]!.rules[0]!.expr);
    expect(a.chains[0]!.rules[0]!.expr).not.toContain('420');
    expect(table('10.9.9.9').chains[0]!.rules[0]!.expr).not.toBe(a.chains[0]!.rules[0]!.expr);
  });
});

describe("snapshots hold dockwall's nftables tables", () => {
  const empty: HostState = { rulesets: {}, sets: { sets: [] } };
  const firstPlan = planNft({ ipv4: null }, desired.nft!);
  const planOf = (operations: Operation[]): Plan => ({
    formatVersion: 1,
    operations,
    summary: summarize(operations),
    diagnostics: [],
  });

  it('an apply that creates the table: the snapshot says it did not exist, and rollback deletes it', () => {
    const before: HostState = { ...empty, nft: { ipv4: null } };
    const snap = takeSnapshot(before, desired, planOf(firstPlan), 'p.yaml', new Date(0));
    expect(snap.nft).toEqual([{ family: 'ipv4', table: null }]);
    const now: HostState = { ...empty, nft: { ipv4: table() } };
    const back = planRollback(now, snap);
    expect(back.operations).toEqual([{ op: 'nft-delete-table', nftFamily: 'ip', nftTable: 'dockwall' }]);
    expect(rollbackNftScript(snap, back)).toBe('table ip dockwall\ndelete table ip dockwall\n');
    // Already gone: nothing to do.
    expect(planRollback({ ...empty, nft: { ipv4: null } }, snap).operations).toEqual([]);
  });

  it('an apply that changes the table: rollback puts every object back (an edit in place included), in one transaction', () => {
    const was = table();
    const before: HostState = { ...empty, nft: { ipv4: was } };
    const ops = planNft({ ipv4: was }, desired.nft!);
    const snap = takeSnapshot(before, desired, planOf(ops), 'p.yaml', new Date(0));
    expect(snap.nft![0]!.table).toBe(was);
    // The same table again: nothing to restore; the same rule with another address: restored.
    expect(planNftRestore({ ipv4: table() }, snap.nft!)).toEqual([]);
    const edited = planNftRestore({ ipv4: table('10.9.9.9') }, snap.nft!);
    expect(edited.map((o) => o.op)).toEqual(['nft-delete-rule', 'nft-add-rule']);
    const script = JSON.parse(nftRestoreScript(snap.nft!, edited)) as {
      nftables: Array<Record<string, unknown>>;
    };
    expect(
      script.nftables.map((c) => `${Object.keys(c)[0]} ${Object.keys(Object.values(c)[0] as object)[0]}`),
    ).toEqual(['add table', 'delete table', 'add table', 'add set', 'add chain', 'add rule']);
    expect(JSON.stringify(script)).toContain('"10.1.2.3"');
    // The table gone meanwhile: created again whole.
    expect(planNftRestore({ ipv4: null }, snap.nft!)[0]).toMatchObject({ op: 'nft-create-table' });
    // No nftables operation in a plan: no transaction.
    expect(nftRestoreScript(snap.nft!, [])).toBe('');
  });

  it('a table recorded as `nft list table` printed it is loaded back from that text, auto-merge and all', async () => {
    const was = table();
    const text = LISTING;
    const snap = takeSnapshot(
      { ...empty, nft: { ipv4: was, ipv6: null } },
      { ...desired, families: ['ipv4', 'ipv6'] },
      planOf([
        ...planNft({ ipv4: was }, desired.nft!),
        { op: 'nft-create-table', nftFamily: 'ip6', nftTable: 'dockwall' },
      ]),
      'p.yaml',
      new Date(0),
    );
    const asked: string[] = [];
    const ports = {
      readNftText: (family: 'ipv4' | 'ipv6') => {
        asked.push(family);
        return Promise.resolve(family === 'ipv4' ? text : undefined);
      },
    } as unknown as ApplyPorts;
    const recorded = await recordNftText(ports, snap);
    // Only a table that existed is listed; the snapshot given is not changed.
    expect(asked).toEqual(['ipv4']);
    expect(snap.nft![0]!.text).toBeUndefined();
    expect(recorded.nft).toEqual([
      { family: 'ipv4', table: was, text },
      { family: 'ipv6', table: null },
    ]);
    const edited = planNftRestore({ ipv4: table('10.9.9.9'), ipv6: table() }, recorded.nft!);
    expect(nftRestoreScript(recorded.nft!, edited)).toBe(
      `table ip dockwall\ndelete table ip dockwall\n${text.trimEnd()}\ntable ip6 dockwall\ndelete table ip6 dockwall\n`,
    );
    // nft checks the text before it is kept (`nft -c`); what it refuses is not kept.
    const checked: string[] = [];
    const checking = (ok: boolean) =>
      ({
        readNftText: () => Promise.resolve(text),
        checkNft: (s: string) => (
          checked.push(s),
          ok ? Promise.resolve() : Promise.reject(new Error('refused'))
        ),
      }) as unknown as ApplyPorts;
    expect((await recordNftText(checking(true), snap)).nft![0]!.text).toBe(text);
    expect(checked).toEqual([`table ip dockwall\ndelete table ip dockwall\n${text.trimEnd()}\n`]);
    expect((await recordNftText(checking(false), snap)).nft![0]!.text).toBeUndefined();
    // A listing that is not one table of that name is not kept: nft's JSON is loaded instead.
    for (const bad of [
      '',
      'table ip6 dockwall {\n}\n',
      `${text}table ip other {\n}\n`,
      'table ip dockwall {\n',
    ]) {
      const kept = await recordNftText(
        { readNftText: () => Promise.resolve(bad) } as unknown as ApplyPorts,
        snap,
      );
      expect(kept.nft![0]!.text, bad).toBeUndefined();
      expect(nftRestoreScript(kept.nft!, edited)).toMatch(/^\{"nftables"/);
    }
  });

  it("rollback's check: the kernel must still hold the table the apply left", () => {
    const left = table();
    const snap = takeSnapshot(
      { ...empty, nft: { ipv4: null } },
      desired,
      planOf(firstPlan),
      'p.yaml',
      new Date(0),
    );
    const after = appliedMark({ ...empty, nft: { ipv4: left } }, snap);
    expect(markDifference(after, appliedMark({ ...empty, nft: { ipv4: table() } }, snap))).toBeUndefined();
    expect(markDifference(after, appliedMark({ ...empty, nft: { ipv4: table('10.9.9.9') } }, snap))).toBe(
      'nftables table ip dockwall differs from what the apply left',
    );
    expect(markDifference(after, appliedMark({ ...empty, nft: { ipv4: null } }, snap))).toBe(
      'nftables table ip dockwall no longer exists',
    );
  });
});

const skip = netnsUnavailable(['nft', 'unshare']);

describe.skipIf(skip)('the real nft: a snapshot restores the table exactly; an edit in place is seen', () => {
  const ns = suiteNetns();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockwall-nft-restore-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = () =>
    readNftTableJson(ns.run(['nft', '-j', 'list', 'table', 'ip', 'dockwall']), 'ipv4', 'nft -j').value!;

  it('load, snapshot, replace a rule in place, restore: the listing is byte for byte as before', () => {
    const script = nftTransaction(desired.nft!, planNft({ ipv4: null }, desired.nft!));
    ns.run(['nft', '-f', '-'], script);
    const loaded = read();
    const expected = { ipv4: expectedOf(loaded) };
    const listing = ns.run(['nft', 'list', 'table', 'ip', 'dockwall']);
    const chain = loaded.chains.find((c) => c.name === 'DOCKWALL-FILTER')!;
    const victim = chain.rules.filter((r) => r.verdict === 'return')[1]!;
    ns.run([
      'nft',
      'replace',
      'rule',
      'ip',
      'dockwall',
      'DOCKWALL-FILTER',
      'handle',
      String(victim.handle),
      'ip',
      'saddr',
      '10.9.9.9',
      'return',
      'comment',
      `"${victim.comment!}"`,
    ]);
    const edited = read();
    expect(planNft({ ipv4: edited }, desired.nft!)).toEqual([]);
    expect(planNft({ ipv4: edited }, desired.nft!, expected).map((o) => o.op)).toEqual([
      'nft-delete-rule',
      'nft-add-rule',
    ]);
    const snaps = [{ family: 'ipv4' as const, table: loaded, text: listing }];
    const back = planNftRestore({ ipv4: edited }, snaps);
    expect(back.map((o) => o.op)).toEqual(['nft-delete-rule', 'nft-add-rule']);
    const restore = nftRestoreScript(snaps, back);
    ns.run(['nft', '-c', '-f', '-'], restore);
    ns.run(['nft', '-f', '-'], restore);
    // Byte for byte as nft listed it (test/lab/nft-snapshot-restore.test.ts: set flags and all).
    expect(ns.run(['nft', 'list', 'table', 'ip', 'dockwall'])).toBe(listing);
    expect(planNftRestore({ ipv4: read() }, snaps)).toEqual([]);
    expect(planNft({ ipv4: read() }, desired.nft!, expected)).toEqual([]);
    // A snapshot of an older version holds nft's JSON only, which loads back all but `auto-merge`.
    const old = [{ family: 'ipv4' as const, table: loaded }];
    const file = join(dir, 'restore.json');
    writeFileSync(file, nftRestoreScript(old, back));
    ns.run(['nft', '-j', '-c', '-f', file]);
    ns.run(['nft', '-j', '-f', file]);
    const plain = (t: string) => t.replace(/\n\s*auto-merge/g, '');
    expect(plain(ns.run(['nft', 'list', 'table', 'ip', 'dockwall']))).toBe(plain(listing));
    // "Absent": the table is deleted.
    const gone = nftRestoreScript(
      [{ family: 'ipv4', table: null }],
      [{ op: 'nft-delete-table', nftFamily: 'ip', nftTable: 'dockwall' }],
    );
    writeFileSync(file, gone);
    ns.run(['nft', '-j', '-f', file]);
    expect(ns.run(['nft', 'list', 'tables']).trim()).toBe('');
  });
});
