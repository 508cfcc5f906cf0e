import type * as z from 'zod';
import type { Diagnostic } from '../model/diagnostic.js';
import type { Path, PathSeg, YamlSource } from './yaml-source.js';
import { defOf, issuesToDiagnostics, schemaAt } from './zod-issues.js';

type Issue = z.core.$ZodIssue;

/** How many times the schema is run again after the values it refused are set aside. */
const MAX_ROUNDS = 16;

/**
 * Where values set aside from the data were in the file. Removing a list element moves the ones
 * after it; `original` takes a path in the data left over back to the path in the file.
 */
export class Dropped {
  /** Removed list indices (file coordinates), per list path (file coordinates). */
  private readonly removed = new Map<string, number[]>();
  /** Every path set aside, in file coordinates. */
  readonly paths: Path[] = [];

  /** The path in the file of the value at `path` in the data left over. */
  original(path: Path): Path {
    // Nothing removed from a list: every path in the data is its path in the file.
    if (this.removed.size === 0) return path;
    const out: PathSeg[] = [];
    for (const seg of path) {
      if (typeof seg === 'number') {
        let index = seg;
        for (const r of this.removed.get(JSON.stringify(out)) ?? []) if (r <= index) index++;
        out.push(index);
      } else {
        out.push(seg);
      }
    }
    return out;
  }

  /** Whether a value at or below `path` (in the data left over) was set aside. */
  has(path: Path): boolean {
    const at = this.original(path);
    return this.paths.some((p) => at.every((seg, i) => p[i] === seg));
  }

  /** The keys set aside directly below the map at `path` (in the data left over). */
  keysBelow(path: Path): string[] {
    const at = this.original(path);
    return this.paths
      .filter((p) => p.length === at.length + 1 && at.every((seg, i) => p[i] === seg))
      .map((p) => String(p[p.length - 1]));
  }

  record(original: Path): void {
    this.paths.push(original);
    const last = original[original.length - 1];
    if (typeof last !== 'number') return;
    const key = JSON.stringify(original.slice(0, -1));
    const list = this.removed.get(key) ?? [];
    list.push(last);
    list.sort((a, b) => a - b);
    this.removed.set(key, list);
  }
}

export type Collected<T> =
  | { ok: true; data: T; diagnostics: Diagnostic[]; dropped: Dropped }
  | { ok: false; diagnostics: Diagnostic[] };

/**
 * Checks `data` against `schema` and reports every value it refuses, then sets those values aside
 * (the list element, map entry or optional key that holds them) and checks again, so the rest of
 * the document can still be built and checked. Fails only when a refused value cannot be set aside
 * (a required key of the top level, such as `dockwall: 2`).
 */
export function parseCollecting<S extends z.ZodType>(
  schema: S,
  data: unknown,
  src: YamlSource,
): Collected<z.infer<S>> {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const dropped = new Dropped();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const parsed = schema.safeParse(data);
    if (parsed.success) return { ok: true, data: parsed.data, diagnostics, dropped };
    for (const issue of parsed.error.issues) {
      const at = { ...issue, path: [...dropped.original(issue.path as PathSeg[])] } as Issue;
      for (const d of issuesToDiagnostics([at], src, schema)) {
        const key = `${d.code}|${d.pos?.line}|${d.pos?.column}|${d.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        diagnostics.push(d);
      }
    }
    const targets = pruneTargets(parsed.error.issues, schema, data);
    if (targets === undefined) return { ok: false, diagnostics };
    const originals = targets.map((t) => dropped.original(t));
    targets.forEach((t) => remove(data, t));
    originals.forEach((o) => dropped.record(o));
  }
  return { ok: false, diagnostics };
}

/** The paths to set aside for these issues, latest first; undefined when one cannot be. */
function pruneTargets(issues: readonly Issue[], schema: z.ZodType, data: unknown): Path[] | undefined {
  const targets: Path[] = [];
  for (const issue of issues) {
    const path = issue.path as PathSeg[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) targets.push([...path, key]);
      continue;
    }
    const target = removable(path, schema, data);
    if (!target) return undefined;
    targets.push(target);
  }
  // Drop targets below another target, and duplicates; remove the latest first so earlier paths hold.
  const unique = targets.filter(
    (t, i) =>
      !targets.some(
        (o, j) => (o.length < t.length || (o.length === t.length && j < i)) && o.every((s, k) => t[k] === s),
      ),
  );
  return unique.sort((a, b) => comparePaths(b, a));
}

/** The nearest path at or above `path` whose value can be taken out: a list element, a map entry, an optional key. */
function removable(path: Path, schema: z.ZodType, data: unknown): Path | undefined {
  for (let n = path.length; n > 0; n--) {
    const parentPath = path.slice(0, n - 1);
    const key = path[n - 1]!;
    const parent = valueAt(data, parentPath);
    if (Array.isArray(parent)) return path.slice(0, n);
    if (parent === null || typeof parent !== 'object') continue;
    const def = defOf(schemaAt(schema, parentPath));
    if (def?.type === 'record') return path.slice(0, n);
    if (def?.type === 'object' && def.shape) {
      const field = def.shape[String(key)];
      if (!field || defOf(field)?.type === 'optional') return path.slice(0, n);
    }
  }
  return undefined;
}

function valueAt(data: unknown, path: Path): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PathSeg, unknown>)[seg];
  }
  return cur;
}

function remove(data: unknown, path: Path): void {
  const parent = valueAt(data, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
  else if (parent !== null && typeof parent === 'object') delete (parent as Record<PathSeg, unknown>)[key];
}

function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}
