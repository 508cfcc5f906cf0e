/**
 * Layered drawing of a graph whose edges point down: each edge that crosses layers gets a
 * waypoint in every layer it passes, the layers are ordered by barycentre sweeps (fewer
 * crossings), and nodes and waypoints are placed left to right, each layer centred.
 */

export const NODE_HEIGHT = 40;
const LAYER_GAP = 64;
const NODE_GAP = 28;
const WAY_WIDTH = 8;
const WAY_GAP = 10;
export const MARGIN = 24;

export type Point = [number, number];

export interface LayoutInput {
  layers: string[][];
  edges: ReadonlyArray<{ from: string; to: string }>;
  width(name: string): number;
}

export interface Layout {
  x: Map<string, number>;
  y: Map<string, number>;
  /** Per edge: where it leaves, its waypoints (top and bottom of each layer it passes), where it ends. */
  points: Point[][];
  /** Edges that do not point down (only in a dump with a jump loop). */
  back: boolean[];
  width: number;
  height: number;
}

const WAY = '\u0000';

export function layoutLayers(input: LayoutInput): Layout {
  const layers = input.layers.map((l) => l.slice());
  const layerOf = new Map<string, number>();
  layers.forEach((ns, l) => ns.forEach((n) => layerOf.set(n, l)));
  const chains: string[][] = [];
  const segments: Array<[string, string]> = [];
  input.edges.forEach((e, i) => {
    const a = layerOf.get(e.from)!;
    const b = layerOf.get(e.to)!;
    const chain = [e.from];
    for (let l = a + 1; l < b; l++) {
      const w = `${WAY}${i}:${l}`;
      layers[l]!.push(w);
      layerOf.set(w, l);
      chain.push(w);
    }
    chain.push(e.to);
    chains.push(chain);
    for (let k = 0; k + 1 < chain.length; k++) if (b > a) segments.push([chain[k]!, chain[k + 1]!]);
  });
  const isWay = (n: string) => n.startsWith(WAY);
  const widthOf = (n: string) => (isWay(n) ? WAY_WIDTH : input.width(n));
  const order = new Map<string, number>();
  const number = (l: number) => layers[l]!.forEach((n, i) => order.set(n, i));
  layers.forEach((_, l) => number(l));
  const sweep = (l: number, neighbour: (n: string) => string[]) => {
    const keyed = layers[l]!.map((n, i) => {
      const ps = neighbour(n).map((m) => order.get(m)!);
      return { n, i, k: ps.length ? ps.reduce((s, v) => s + v, 0) / ps.length : i };
    });
    keyed.sort((p, q) => p.k - q.k || p.i - q.i);
    layers[l] = keyed.map((k) => k.n);
    number(l);
  };
  const parents = (n: string) => segments.filter(([, b]) => b === n).map(([a]) => a);
  const children = (n: string) => segments.filter(([a]) => a === n).map(([, b]) => b);
  for (let pass = 0; pass < 2; pass++) {
    for (let l = 1; l < layers.length; l++) sweep(l, parents);
    for (let l = layers.length - 2; l > 0; l--) sweep(l, children);
  }
  for (let l = 1; l < layers.length; l++) sweep(l, parents);

  const gapAfter = (ns: string[], i: number) => (isWay(ns[i]!) || isWay(ns[i + 1]!) ? WAY_GAP : NODE_GAP);
  const rowWidth = (ns: string[]) =>
    ns.reduce((w, n, i) => w + widthOf(n) + (i + 1 < ns.length ? gapAfter(ns, i) : 0), 0);
  const inner = Math.max(...layers.map(rowWidth));
  const x = new Map<string, number>();
  const y = new Map<string, number>();
  layers.forEach((ns, l) => {
    let at = MARGIN + (inner - rowWidth(ns)) / 2;
    ns.forEach((n, i) => {
      x.set(n, at);
      y.set(n, MARGIN + l * (NODE_HEIGHT + LAYER_GAP));
      at += widthOf(n) + (i + 1 < ns.length ? gapAfter(ns, i) : 0);
    });
  });
  const centre = (n: string) => x.get(n)! + widthOf(n) / 2;
  const back: boolean[] = [];
  const points = chains.map((chain, i) => {
    const e = input.edges[i]!;
    back.push(layerOf.get(e.to)! <= layerOf.get(e.from)!);
    const pts: Point[] = [[centre(e.from), y.get(e.from)! + NODE_HEIGHT]];
    for (const w of chain.slice(1, -1))
      pts.push([centre(w), y.get(w)!], [centre(w), y.get(w)! + NODE_HEIGHT]);
    pts.push([centre(e.to), y.get(e.to)!]);
    return pts;
  });
  // Arrows into the same chain end side by side (ordered by where they come from), not on one point.
  const into = new Map<string, number[]>();
  input.edges.forEach((e, i) => {
    if (!back[i]) into.set(e.to, [...(into.get(e.to) ?? []), i]);
  });
  for (const [to, list] of into) {
    if (list.length < 2) continue;
    const from = (i: number) => points[i]![points[i]!.length - 2]![0];
    list.sort((p, q) => from(p) - from(q));
    const w = Math.min(widthOf(to), 24 * list.length);
    list.forEach((i, k) => {
      points[i]![points[i]!.length - 1]![0] = centre(to) - w / 2 + (w * (k + 0.5)) / list.length;
    });
  }
  const anyBack = back.some(Boolean);
  for (const w of [...x.keys()].filter(isWay)) {
    x.delete(w);
    y.delete(w);
  }
  return {
    x,
    y,
    points,
    back,
    width: Math.ceil(inner + 2 * MARGIN + (anyBack ? 60 : 0)),
    height: MARGIN * 2 + layers.length * NODE_HEIGHT + (layers.length - 1) * LAYER_GAP,
  };
}
