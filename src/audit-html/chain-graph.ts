import {
  BUILTIN_CHAINS,
  findTable,
  type ChainPolicy,
  type Family,
  type Ruleset,
  type TableName,
} from '../model/ruleset.js';
import { layoutLayers, type Point } from './chain-layout.js';

/**
 * The jump graph of one table: the built-in chains and every chain reachable from them through
 * `-j CHAIN` / `-g CHAIN`, laid out in layers: built-in chains form the top layer, and a chain
 * sits one layer below the deepest chain that jumps to it, so every arrow points down (the kernel
 * refuses jump loops, so the graph has no cycle).
 */

export interface GraphNode {
  chain: string;
  builtin: boolean;
  policy: ChainPolicy | null;
  rules: number;
  /** Who writes the chain, by its name: Docker (DOCKER*), dockwall (DOCKWALL-*), or someone else. */
  owner: 'builtin' | 'docker' | 'dockwall' | 'other';
  /** How many matrix cells a rule or the policy of this chain decided. */
  decides: number;
  layer: number;
  x: number;
  y: number;
  width: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'jump' | 'goto';
  /** 1-based indices of the rules that jump. */
  rules: number[];
  /** Where the arrow leaves, passes (top and bottom of each layer in between) and ends. */
  points: Point[];
  /** The arrow does not point down (only in a dump with a jump loop). */
  back: boolean;
}

export interface ChainGraph {
  family: Family;
  table: TableName;
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export { NODE_HEIGHT } from './chain-layout.js';
/** Width of one character of the node font (12px monospace). */
const CHAR = 7.3;

function ownerOf(chain: string, builtin: boolean): GraphNode['owner'] {
  if (builtin) return 'builtin';
  if (chain.startsWith('DOCKWALL')) return 'dockwall';
  if (chain.startsWith('DOCKER')) return 'docker';
  return 'other';
}

/**
 * Longest-path layers: moves each chain below all the chains that jump to it. Starts from the
 * breadth-first layers; a loop (only in a hand-made dump) stops the deepening after n rounds.
 */
function deepen(layer: Map<string, number>, edges: GraphEdge[]): void {
  for (let round = 0; round < layer.size; round++) {
    let moved = false;
    for (const e of edges) {
      const want = layer.get(e.from)! + 1;
      if (layer.get(e.to)! < want) {
        layer.set(e.to, want);
        moved = true;
      }
    }
    if (!moved) return;
  }
}

export function nodeSubtitle(n: Pick<GraphNode, 'policy' | 'rules'>): string {
  const rules = `${n.rules} rule${n.rules === 1 ? '' : 's'}`;
  return n.policy ? `policy ${n.policy} · ${rules}` : rules;
}

/** The graph of `table`, or undefined when the rule set has no such table. */
export function chainGraph(
  rs: Ruleset,
  table: TableName,
  decides: ReadonlyMap<string, number> = new Map(),
): ChainGraph | undefined {
  const t = findTable(rs, table);
  if (!t) return undefined;
  const byName = new Map(t.chains.map((c) => [c.name, c]));
  const builtins = BUILTIN_CHAINS[table].filter((n) => byName.has(n));
  const layer = new Map<string, number>(builtins.map((n) => [n, 0]));
  const edges: GraphEdge[] = [];
  const edgeOf = new Map<string, GraphEdge>();
  const queue = [...builtins];
  while (queue.length > 0) {
    const from = queue.shift()!;
    byName.get(from)!.rules.forEach((r, i) => {
      const target = r.target;
      if (!target || !byName.has(target.name) || BUILTIN_CHAINS[table].includes(target.name)) return;
      const key = `${from} ${target.name} ${target.kind}`;
      let e = edgeOf.get(key);
      if (!e) {
        e = { from, to: target.name, kind: target.kind, rules: [], points: [], back: false };
        edgeOf.set(key, e);
        edges.push(e);
      }
      e.rules.push(i + 1);
      if (!layer.has(target.name)) {
        layer.set(target.name, layer.get(from)! + 1);
        queue.push(target.name);
      }
    });
  }
  deepen(layer, edges);
  // A loop leaves layers unused: number the used ones 0, 1, 2, …
  const used = [...new Set(layer.values())].sort((a, b) => a - b);
  for (const [name, l] of layer) layer.set(name, used.indexOf(l));
  const layers: string[][] = [];
  for (const [name, l] of layer) (layers[l] ??= []).push(name);
  const widthOf = (name: string) => {
    const c = byName.get(name)!;
    const sub = nodeSubtitle({ policy: c.policy, rules: c.rules.length });
    return Math.ceil(Math.max(name.length, sub.length * 0.85) * CHAR + 24);
  };
  const lay = layoutLayers({ layers, edges, width: widthOf });
  edges.forEach((e, i) => {
    e.points = lay.points[i]!;
    e.back = lay.back[i]!;
  });
  const nodes: GraphNode[] = [];
  layers.forEach((ns, l) => {
    for (const name of ns) {
      const c = byName.get(name)!;
      const builtin = BUILTIN_CHAINS[table].includes(name);
      nodes.push({
        chain: name,
        builtin,
        policy: c.policy,
        rules: c.rules.length,
        owner: ownerOf(name, builtin),
        decides: decides.get(name) ?? 0,
        layer: l,
        x: lay.x.get(name)!,
        y: lay.y.get(name)!,
        width: widthOf(name),
      });
    }
  });
  nodes.sort((a, b) => a.layer - b.layer || a.x - b.x);
  return {
    family: rs.family,
    table,
    nodes,
    edges,
    width: lay.width,
    height: lay.height,
  };
}
