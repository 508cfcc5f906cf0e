import { describe, expect, it } from 'vitest';
import { chainGraph, renderChainSvg, type ChainGraph } from '../../../src/audit-html/index.js';
import { NODE_HEIGHT } from '../../../src/audit-html/chain-layout.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { fixtureRuleset } from '../../helpers/fixtures.js';

function filterOf(lines: string[]) {
  const text = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...lines,
    'COMMIT',
    '',
  ];
  return parseIptablesSave(text.join('\n'), { file: 't', family: 'ipv4' }).value!;
}

function node(g: ChainGraph, chain: string) {
  const n = g.nodes.find((x) => x.chain === chain);
  if (!n) throw new Error(`no node ${chain}`);
  return n;
}

describe('chain graph', () => {
  it('fixture 02: built-in chains on top, Docker chains below, DOCKER-ISOLATION-STAGE-2 under STAGE-1', () => {
    const g = chainGraph(fixtureRuleset('docker-20.10/02-one-published-port.iptables-save'), 'filter')!;
    expect(g.nodes.filter((n) => n.layer === 0).map((n) => n.chain)).toEqual(['INPUT', 'FORWARD', 'OUTPUT']);
    expect(node(g, 'DOCKER-USER').layer).toBe(1);
    expect(node(g, 'DOCKER-ISOLATION-STAGE-2').layer).toBe(2);
    expect(g.edges.map((e) => `${e.from}>${e.to}:${e.rules.join(',')}`)).toEqual([
      'FORWARD>DOCKER-USER:1',
      'FORWARD>DOCKER-ISOLATION-STAGE-1:2',
      'FORWARD>DOCKER:4',
      'DOCKER-ISOLATION-STAGE-1>DOCKER-ISOLATION-STAGE-2:1',
    ]);
    // Nodes of a layer do not overlap; every arrow starts under its source and ends on its target.
    for (const a of g.nodes)
      for (const b of g.nodes)
        if (a !== b && a.layer === b.layer) expect(a.x + a.width <= b.x || b.x + b.width <= a.x).toBe(true);
    for (const e of g.edges) {
      const [x0, y0] = e.points[0]!;
      const [x1, y1] = e.points[e.points.length - 1]!;
      const a = node(g, e.from);
      const b = node(g, e.to);
      expect([y0, y1]).toEqual([a.y + NODE_HEIGHT, b.y]);
      expect(x0).toBeGreaterThan(a.x);
      expect(x1).toBeLessThan(b.x + b.width);
    }
  });

  it('an edge across layers passes beside the chains in between, and -g is drawn dashed', () => {
    const g = chainGraph(
      filterOf([
        ':A - [0:0]',
        ':B - [0:0]',
        ':C - [0:0]',
        '-A INPUT -j A',
        '-A INPUT -g C',
        '-A A -j B',
        '-A B -j C',
        '-A FORWARD -j B',
      ]),
      'filter',
    )!;
    expect(['A', 'B', 'C'].map((c) => node(g, c).layer)).toEqual([1, 2, 3]);
    const long = g.edges.find((e) => e.from === 'INPUT' && e.to === 'C')!;
    expect(long.kind).toBe('goto');
    // Waypoints in layers 1 and 2 (top and bottom of each), outside the boxes of A and B.
    expect(long.points).toHaveLength(6);
    for (const [x] of long.points.slice(1, 5))
      for (const c of ['A', 'B']) {
        const n = node(g, c);
        expect(x < n.x || x > n.x + n.width).toBe(true);
      }
    const svg = renderChainSvg(g);
    expect(svg).toMatch(/class="edge goto"[^>]*data-from="INPUT" data-to="C" data-kind="goto"/);
    expect(svg).toContain('<title>INPUT -g C (rule 2)</title>');
  });

  it('a jump loop (only possible in a hand-made dump) ends and is drawn as a back edge', () => {
    const g = chainGraph(
      filterOf([':A - [0:0]', ':B - [0:0]', '-A INPUT -j A', '-A A -j B', '-A B -j A']),
      'filter',
    )!;
    expect(g.edges.filter((e) => e.back).map((e) => `${e.from}>${e.to}`)).toHaveLength(1);
    expect(renderChainSvg(g)).toContain('data-from="B" data-to="A"');
  });

  it('no such table: no graph', () => {
    expect(chainGraph(filterOf([]), 'nat')).toBeUndefined();
  });
});
