import type { Path, PathSeg } from './yaml-source.js';

/** What a node of a `BlockTree` is (`BlockTree.kind`). */
export const PLAIN = 0;
export const SINGLE = 1;
export const DOUBLE = 2;
export const MAP = 3;
export const SEQ = 4;
export const FLOW_SEQ = 5;

/**
 * A block YAML text read by `readBlockYaml`: its plain data, and where each node is, in typed arrays
 * rather than one yaml node (and range array) per value. Nodes are numbered in document order, the
 * root is node 0; a key is a node too.
 */
export interface BlockTree {
  /** What yaml's `toJS` makes of the document. The caller may change it: lookups do not read it. */
  readonly data: unknown;
  /** Per node: PLAIN, SINGLE, DOUBLE, MAP, SEQ or FLOW_SEQ. */
  readonly kind: Uint8Array;
  /** Per node: its [start, end) offsets in the text (a collection ends where its next sibling starts). */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Per node: a scalar's value (a collection's is its data). */
  readonly values: readonly unknown[];
  /** Per collection: its children are `kids[first, first + count)`. */
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Child slots: the value node of a map entry, or a list's item. */
  readonly kids: Int32Array;
  /** Per child slot of a map: the key node (-1 in a list) and the key's text. */
  readonly keyNodes: Int32Array;
  readonly names: readonly (string | undefined)[];
}

/** Finds nodes of a `BlockTree` by path, as yaml-source's `nodeAt` finds yaml's nodes. */
export class BlockLookup {
  constructor(readonly tree: BlockTree) {}

  // The nodes along the last path looked up: builders look up many paths that share all but their
  // last segments (every rule of a chain). `fastPath[0, depth)` was looked up, `fastIds[i]` is the
  // node at its first i segments (-1: not there).
  private readonly fastPath: PathSeg[] = [];
  private readonly fastIds: number[] = [0];
  private depth = 0;
  /** Maps with many keys, indexed on first use: key → child slot. */
  private readonly keyIndex = new Map<number, Map<string, number>>();

  /** The node at `path` (its first `length` segments), or -1. */
  idAt(path: Path, length = path.length): number {
    const lp = this.fastPath;
    const ids = this.fastIds;
    let k = 0;
    const common = Math.min(this.depth, length);
    while (k < common && lp[k] === path[k]) k++;
    let id = ids[k]!;
    for (; k < length && id >= 0; k++) {
      const slot = this.slotOf(id, path[k]!);
      id = slot < 0 ? -1 : this.tree.kids[slot]!;
      lp[k] = path[k]!;
      ids[k + 1] = id;
    }
    this.depth = k;
    return k === length ? id : -1;
  }

  /** The child slot of `seg` in collection `id` (as yaml-source's `nodeAt` finds it), or -1. */
  slotOf(id: number, seg: PathSeg): number {
    const t = this.tree;
    const kind = t.kind[id]!;
    const first = t.first[id]!;
    const count = t.count[id]!;
    if (kind === SEQ || kind === FLOW_SEQ) {
      return typeof seg === 'number' && Number.isInteger(seg) && seg >= 0 && seg < count ? first + seg : -1;
    }
    if (kind !== MAP) return -1;
    const name = String(seg);
    if (count <= 16) {
      for (let s = first; s < first + count; s++) if (t.names[s] === name) return s;
      return -1;
    }
    let index = this.keyIndex.get(id);
    if (!index) {
      index = new Map();
      for (let s = first; s < first + count; s++) index.set(t.names[s]!, s);
      this.keyIndex.set(id, index);
    }
    return index.get(name) ?? -1;
  }
}
