import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  executePlan,
  planRollback,
  recordNftText,
  rollbackNftScript,
  takeSnapshot,
  type ApplyPorts,
  type Snapshot,
} from '../../src/apply/index.js';
import { readNftTableJson } from '../../src/backend/nftables/index.js';
import type { DesiredState } from '../../src/compile/index.js';
import { nftListTableJson, nftListTableText, nftLoad } from '../../src/host/nft-host.js';
import type { HostState, Operation, Plan } from '../../src/model/index.js';
import { summarize } from '../../src/plan/index.js';
import { DOCKWALL_BUNDLE, createLab, labGate, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

/**
 * dockwall's table with what nft's JSON (1.0.6) does not carry back: an interval set's
 * `auto-merge`; and set options, element options, counters and comments that it does.
 */
const TABLE = `table ip dockwall {
	counter seen {
		packets 5 bytes 300
	}

	set nets {
		type ipv4_addr
		flags interval
		auto-merge
		elements = { 10.0.0.0/8, 192.0.2.0/24 comment "docs" }
	}

	set recent {
		type ipv4_addr
		size 65535
		timeout 1h
		gc-interval 30s
		elements = { 198.51.100.7 timeout 2h }
	}

	set counted {
		type ipv4_addr
		policy memory
		counter
		elements = { 203.0.113.1 }
	}

	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		ip saddr @nets counter packets 3 bytes 180 accept comment "dockwall:nets #12345678"
		ip saddr @recent drop comment "dockwall:recent #9abcdef0"
		ip daddr 192.0.2.9 counter name "seen" reject comment "dockwall:seen #0badf00d"
		iifname "eth0" jump DOCKWALL-FILTER
	}

	chain DOCKWALL-FILTER {
		ip protocol icmp limit rate 10/second accept
		tcp dport 22 ct original proto-dst 8000 meta mark set meta mark | 0x10000000 accept
	}
}
`;

/** An element's remaining time goes down while the test runs; everything else must be equal. */
const withoutExpiry = (t: string) => t.replace(/ expires \w+/g, ' expires …');

/**
 * Rolling back dockwall's own nftables table (Docker 29's nftables backend) through the apply
 * procedure and the host's nft: the table comes back as `nft list table` printed it before,
 * byte for byte, set flags included; a JSON restore (a snapshot of an older version) leaves no
 * file behind.
 */
describe.skipIf(gate.skip)("a rollback gives dockwall's nftables table back exactly", () => {
  let lab: Lab;
  let fw: LabHost;
  let tmp: string;
  const savedTmp = process.env.TMPDIR;

  const read = async (): Promise<HostState> => {
    const json = await nftListTableJson(fw.runner, 'ipv4', 'dockwall');
    const table = json === undefined ? null : readNftTableJson(json, 'ipv4', 'nft -j').value!;
    return { rulesets: {}, sets: { sets: [] }, nft: { ipv4: table } };
  };
  const listing = async () => (await nftListTableText(fw.runner, 'ipv4', 'dockwall')) ?? '(none)';
  const ports = (): ApplyPorts => ({
    readState: read,
    testIptables: () => Promise.reject(new Error('no iptables here')),
    restoreIptables: () => Promise.reject(new Error('no iptables here')),
    restoreIpset: () => Promise.reject(new Error('no ipset here')),
    checkNft: (s) => nftLoad(fw.runner, s, { check: true }),
    loadNft: (s) => nftLoad(fw.runner, s),
    readNftText: (f) => nftListTableText(fw.runner, f, 'dockwall'),
  });
  const none: DesiredState = { chains: [], sets: [], families: ['ipv4'], diagnostics: [] };
  const planOf = (operations: Operation[]): Plan => ({
    formatVersion: 1,
    operations,
    summary: summarize(operations),
    diagnostics: [],
  });
  /** The snapshot an apply that changes the table takes, with the text it records. */
  const snapshot = async (): Promise<Snapshot> => {
    const change: Operation = {
      op: 'nft-add-rule',
      nftFamily: 'ip',
      nftTable: 'dockwall',
      chain: 'forward',
      position: 1,
      rule: 'drop',
    };
    return recordNftText(ports(), takeSnapshot(await read(), none, planOf([change]), 'p.yaml', new Date()));
  };
  /** What the apply might have left: other rules, an element fewer, a set gone, a flag gone. */
  const change = async () => {
    await nftLoad(
      fw.runner,
      [
        'table ip dockwall',
        'delete table ip dockwall',
        'table ip dockwall {',
        '\tset nets { type ipv4_addr; flags interval; elements = { 10.0.0.0/8 }; }',
        '\tchain forward { type filter hook forward priority filter - 10; policy accept; ip saddr @nets drop; }',
        '}',
        '',
      ].join('\n'),
    );
  };
  const rollback = async (snap: Snapshot) => {
    const back = planRollback(await read(), snap);
    expect(back.operations.length).toBeGreaterThan(0);
    await executePlan(ports(), snap, back, () => {}, { nft: rollbackNftScript(snap, back) });
  };

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.99.0.1/24' });
    tmp = mkdtempSync(join(tmpdir(), 'dwl-nft-tmp-'));
  });
  afterAll(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    await lab?.destroy();
  });

  it('restored from the text the snapshot recorded: byte for byte, auto-merge, timeouts and counters included', async () => {
    await nftLoad(fw.runner, TABLE);
    const before = await listing();
    expect(before).toContain('auto-merge');
    const snap = await snapshot();
    expect(withoutExpiry(snap.nft![0]!.text!)).toBe(withoutExpiry(before));
    await change();
    expect(await listing()).not.toContain('auto-merge');
    await rollback(snap);
    expect(withoutExpiry(await listing())).toBe(withoutExpiry(before));
    // Elements added later are merged again, as before the apply.
    await fw.runner.run(['nft', 'add', 'element', 'ip', 'dockwall', 'nets', '{ 192.0.3.0/24 }']);
    expect(await listing()).toContain('192.0.2.0/23');
  });

  it('a snapshot that holds only nft JSON (an older version) is still restored, and leaves no file', async () => {
    await nftLoad(fw.runner, TABLE);
    const before = await listing();
    const { text: _text, ...old } = (await snapshot()).nft![0]!;
    const snap: Snapshot = { ...(await snapshot()), nft: [old] };
    expect(
      rollbackNftScript(snap, planOf([{ op: 'nft-delete-table', nftFamily: 'ip', nftTable: 'dockwall' }])),
    ).toMatch(/^\{"nftables"/);
    await change();
    process.env.TMPDIR = tmp;
    await rollback(snap);
    expect(readdirSync(tmp)).toEqual([]);
    // All but `auto-merge`, which nft's JSON does not carry.
    const plain = (t: string) => withoutExpiry(t).replace(/\n\s*auto-merge/g, '');
    expect(plain(await listing())).toBe(plain(before));
  });

  it('an apply removes what a JSON load killed by an earlier version left in the temporary directory', async () => {
    const left = join(tmp, 'dockwall-nft-Ab12Cd');
    mkdirSync(left);
    writeFileSync(join(left, 'restore.json'), '{"nftables": []}');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(left, hourAgo, hourAgo);
    const policy = join(tmp, 'policy.yaml');
    writeFileSync(
      policy,
      'dockwall: 1\nipv4:\n  filter:\n    DWL-T:\n      rules:\n        - a: -s 10.9.0.1 -j RETURN\n',
    );
    const stateDir = join(lab.dir, 'state');
    const r = await lab.exec(fw, [
      'env',
      `TMPDIR=${tmp}`,
      process.execPath,
      DOCKWALL_BUNDLE,
      'apply',
      '-f',
      policy,
      '--yes',
      '--no-check',
      '--state-dir',
      stateDir,
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readdirSync(tmp).sort()).toEqual(['policy.yaml']);
  });

  it('a table that did not exist is deleted again', async () => {
    await fw.runner.run(['nft', 'delete', 'table', 'ip', 'dockwall']);
    const snap = await snapshot();
    expect(snap.nft).toEqual([{ family: 'ipv4', table: null }]);
    await nftLoad(fw.runner, TABLE);
    await rollback(snap);
    expect(await listing()).toBe('(none)');
  });
});
