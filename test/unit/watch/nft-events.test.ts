import { describe, expect, it } from 'vitest';
import type { DesiredState } from '../../../src/compile/index.js';
import {
  NftTransactionReader,
  needsReconcile,
  nftWatchScope,
  parseNftMonitorLine,
  touchesScope,
} from '../../../src/watch/nft-events.js';

// Lines as nft 1.0.6's `nft monitor` printed them for iptables-nft 1.8.9 and nft commands.
const MONITOR = [
  'add table ip filter',
  'create chain ip filter DOCKWALL-FILTER',
  '# new generation 2 by process 19312 (iptables)',
  'add rule ip filter DOCKWALL-FILTER ip saddr 1.2.3.4  counter packets 0 bytes 0 accept',
  '# new generation 3 by process 19313 (iptables)',
  'add chain ip filter INPUT { type filter hook input priority filter; policy accept; }',
  'add rule ip filter INPUT counter packets 0 bytes 0 jump DOCKWALL-FILTER',
  '# new generation 4 by process 19314 (iptables)',
  'delete rule ip filter DOCKWALL-FILTER handle 2',
  '# new generation 6 by process 19319 (iptables-restor)',
  'add rule ip filter DOCKER counter packets 0 bytes 0 accept',
  '# new generation 7 by process 30000 (iptables)',
  'delete table ip dockwall',
  '# new generation 8 by process 19345 (nft)',
];

const desired = {
  chains: [
    { family: 'ipv4', table: 'filter', chain: 'DOCKWALL-FILTER', kind: 'owned', rules: [] },
    { family: 'ipv4', table: 'filter', chain: 'INPUT', kind: 'builtin', rules: [] },
    { family: 'ipv6', table: 'filter', chain: 'INPUT', kind: 'builtin', rules: [] },
  ],
  sets: [],
  families: ['ipv4'],
  diagnostics: [],
  nft: { tables: [{ family: 'ipv4', name: 'dockwall', sets: [], chains: [] }], families: ['ipv4'] },
} as unknown as DesiredState;

describe('nft monitor lines as data', () => {
  it('reads a rule change: operation, object, family, table and chain', () => {
    expect(parseNftMonitorLine('delete rule ip filter DOCKWALL-FILTER handle 2')).toEqual({
      kind: 'change',
      change: { op: 'delete', object: 'rule', family: 'ip', table: 'filter', name: 'DOCKWALL-FILTER' },
    });
    expect(parseNftMonitorLine('add table ip filter')).toEqual({
      kind: 'change',
      change: { op: 'add', object: 'table', family: 'ip', table: 'filter' },
    });
    expect(parseNftMonitorLine('add chain ip6 "docker-bridges" filter-FORWARD { type filter; }')).toEqual({
      kind: 'change',
      change: { op: 'add', object: 'chain', family: 'ip6', table: 'docker-bridges', name: 'filter-FORWARD' },
    });
  });

  it('reads the generation line with the pid and name of the process that committed', () => {
    expect(parseNftMonitorLine('# new generation 6 by process 19319 (iptables-restor)')).toEqual({
      kind: 'generation',
      generation: { id: 6, pid: 19319, process: 'iptables-restor' },
    });
  });

  it('ignores what is neither (blank lines, nft messages)', () => {
    expect(parseNftMonitorLine('')).toBeUndefined();
    expect(parseNftMonitorLine('Error: syntax error')).toBeUndefined();
  });

  it('groups changes into transactions ending at their generation line', () => {
    const reader = new NftTransactionReader();
    const txs = MONITOR.map((l) => reader.push(l)).filter((t) => t !== undefined);
    expect(txs.map((t) => [t.generation.id, t.changes.length])).toEqual([
      [2, 2],
      [3, 1],
      [4, 2],
      [6, 1],
      [7, 1],
      [8, 1],
    ]);
  });

  it('a transaction with more changes than it keeps is marked truncated and always counts', () => {
    const reader = new NftTransactionReader(2);
    for (let i = 0; i < 5; i++) reader.push('add rule ip filter DOCKER accept');
    const tx = reader.push('# new generation 9 by process 5 (iptables-restor)')!;
    expect(tx.changes).toHaveLength(2);
    expect(tx.truncated).toBe(true);
    expect(needsReconcile(tx, nftWatchScope(desired), () => false)).toBe(true);
  });
});

describe('which changes ask watch for a reconcile', () => {
  const scope = nftWatchScope(desired);
  const txs = (() => {
    const reader = new NftTransactionReader();
    return MONITOR.map((l) => reader.push(l)).filter((t) => t !== undefined);
  })();

  it('the scope is the chains of the families watch keeps, and dockwall nftables tables', () => {
    expect([...scope.chains].sort()).toEqual(['ip filter DOCKWALL-FILTER', 'ip filter INPUT']);
    expect([...scope.tables]).toEqual(['ip dockwall']);
  });

  it("a rule deleted from dockwall's chain by someone else asks for one", () => {
    expect(needsReconcile(txs[3]!, scope, () => false)).toBe(true);
  });

  it('the same change made by a command dockwall started does not (no loop)', () => {
    expect(needsReconcile(txs[3]!, scope, (pid) => pid === 19319)).toBe(false);
  });

  it("a rule Docker adds to its own chain does not; deleting dockwall's nftables table does", () => {
    expect(needsReconcile(txs[4]!, scope, () => false)).toBe(false);
    expect(needsReconcile(txs[5]!, scope, () => false)).toBe(true);
  });

  it('deleting a table holding a kept chain counts; a chain of an unkept family does not', () => {
    expect(touchesScope({ op: 'delete', object: 'table', family: 'ip', table: 'filter' }, scope)).toBe(true);
    expect(touchesScope({ op: 'delete', object: 'table', family: 'ip', table: 'nat' }, scope)).toBe(false);
    expect(
      touchesScope({ op: 'delete', object: 'rule', family: 'ip6', table: 'filter', name: 'INPUT' }, scope),
    ).toBe(false);
  });
});
