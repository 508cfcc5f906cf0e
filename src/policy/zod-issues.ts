import type * as z from 'zod';
import { isMap } from 'yaml';
import { diag } from '../model/diagnostic.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { describeNode, pathLabel } from './yaml-source.js';
import type { Path, PathSeg, Span, YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

/**
 * Turns zod's issues into positioned diagnostics: each issue's path is looked up in the YAML
 * document, unknown keys are pointed at the key itself, missing keys at the map that lacks them.
 * `schema` is the schema the issue paths are relative to (used to list the keys that are allowed).
 */
export function issuesToDiagnostics(
  issues: readonly Issue[],
  src: YamlSource,
  schema: Schema,
  base: Path = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) out.push(...issueToDiagnostics(issue, src, schema, base));
  return out;
}

function issueToDiagnostics(issue: Issue, src: YamlSource, root: Schema, base: Path): Diagnostic[] {
  const rel = issue.path as PathSeg[];
  const path: Path = [...base, ...rel];
  const label = pathLabel(path);
  const node = src.nodeAt(path);
  const found = node ? `, found ${describeNode(node)}` : '';
  const error = (code: string, message: string, span: Span, hint?: string) =>
    diag('error', code, message, span.pos, hint ? { length: span.length, hint } : { length: span.length });

  // A required key that is absent shows up as a wrong type or value of `undefined`.
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && !node && !hasKey(src, path)) {
    const key = path[path.length - 1];
    const where = path.length > 1 ? ` in \`${pathLabel(path.slice(0, -1))}\`` : '';
    const hint =
      path.length === 1 && key === 'dockwall'
        ? 'a dockwall policy starts with `dockwall: 1`; a pyfw file has `pyfw_wishes:` at the top'
        : undefined;
    return [
      error(
        'policy.missing-key',
        `missing required key \`${String(key)}\`${where}`,
        src.missingSpanAt(path),
        hint,
      ),
    ];
  }

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = objectKeys(schemaAt(root, rel));
      return issue.keys.map((key) => {
        const where = path.length === 0 ? 'at the top level' : `in \`${label}\``;
        const near = allowed ? closest(key, allowed) : undefined;
        const hint = near
          ? `did you mean \`${near}\`?`
          : allowed
            ? `allowed keys here: ${allowed.join(', ')}`
            : undefined;
        return error(
          'policy.unknown-key',
          `unknown key \`${key}\` ${where}`,
          src.keySpanAt([...path, key]),
          hint,
        );
      });
    }
    case 'invalid_type': {
      return [
        error(
          'policy.wrong-type',
          `\`${label}\` must be ${expectedName(issue.expected)}${found}`,
          src.spanAt(path),
        ),
      ];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => (typeof v === 'string' ? v : String(v)));
      if (path.length === 1 && path[0] === 'dockwall') {
        const span = src.spanAt(path);
        const message = `\`dockwall\` must be 1, the format version this dockwall reads${found}`;
        return [error('policy.unsupported-version', message, span)];
      }
      const list =
        values.length === 1 ? `\`${values[0]}\`` : `one of ${values.map((v) => `\`${v}\``).join(', ')}`;
      return [error('policy.bad-value', `\`${label}\` must be ${list}${found}`, src.spanAt(path))];
    }
    case 'invalid_key': {
      const key = path[path.length - 1];
      const inner = issue.issues[0]?.message ?? 'not allowed here';
      return [error('policy.bad-name', `${inner}, found \`${String(key)}\``, src.keySpanAt(path))];
    }
    case 'invalid_union':
      return unionToDiagnostics(issue, src, root, base, rel);
    default:
      // too_small, too_big, invalid_format, custom: the schema gives these their messages.
      return [error('policy.invalid', `\`${label}\`: ${issue.message}${found}`, src.spanAt(path))];
  }
}

/**
 * Reports the branch of a union the input most plausibly meant: branches whose input had the wrong
 * type altogether are set aside; of the rest, the one with the fewest wrong keys, then fewest issues.
 */
function unionToDiagnostics(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  src: YamlSource,
  root: Schema,
  base: Path,
  rel: PathSeg[],
): Diagnostic[] {
  const path: Path = [...base, ...rel];
  const options = unionOptions(schemaAt(root, rel));
  const candidates = issue.errors
    .map((issues, index) => ({ issues, index }))
    .filter(({ issues }) => !issues.some((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (candidates.length > 0) {
    const badKeys = (issues: readonly Issue[]) =>
      issues.reduce(
        (n, i) =>
          n + (i.code === 'unrecognized_keys' ? i.keys.length : 0) + (i.code === 'invalid_key' ? 1 : 0),
        0,
      );
    candidates.sort(
      (a, b) =>
        badKeys(a.issues) - badKeys(b.issues) || a.issues.length - b.issues.length || a.index - b.index,
    );
    const best = candidates[0]!;
    const branch = options?.[best.index];
    if (branch) return issuesToDiagnostics(best.issues, src, branch, path);
  }
  const node = src.nodeAt(path);
  const expected = issue.errors
    .map((issues) => issues.find((i) => i.code === 'invalid_type' && i.path.length === 0))
    .map((i) => (i && i.code === 'invalid_type' ? expectedName(i.expected) : undefined))
    .filter((x): x is string => x !== undefined);
  const unique = [...new Set(expected)];
  const custom = issue.message && issue.message !== 'Invalid input' ? issue.message : undefined;
  const message =
    custom ??
    `\`${pathLabel(path)}\` must be ${unique.length > 0 ? unique.join(' or ') : 'something else'}, found ${describeNode(node)}`;
  const span = src.spanAt(path);
  return [diag('error', 'policy.wrong-type', message, span.pos, { length: span.length })];
}

function hasKey(src: YamlSource, path: Path): boolean {
  if (path.length === 0) return true;
  const parent = src.nodeAt(path.slice(0, -1));
  if (!parent || !isMap(parent)) return false;
  return src.keyNodeAt(path) !== undefined;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return '`true` or `false`';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
    case 'map':
      return 'a map (`key: value`)';
    case 'null':
      return 'empty';
    default:
      return expected;
  }
}

interface Def {
  type: string;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
  innerType?: Schema;
  options?: Schema[];
  in?: Schema;
}

export function defOf(s: Schema | undefined): Def | undefined {
  return s ? (s._zod.def as unknown as Def) : undefined;
}

function unwrap(s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let i = 0; i < 10 && cur; i++) {
    const d = defOf(cur)!;
    if (
      d.innerType &&
      ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(d.type)
    ) {
      cur = d.innerType;
    } else if (d.type === 'pipe' && d.in) {
      cur = d.in;
    } else {
      return cur;
    }
  }
  return cur;
}

/** The schema at a path below `root`, through objects, records and arrays (not through unions). */
export function schemaAt(root: Schema, path: readonly PathSeg[]): Schema | undefined {
  let cur: Schema | undefined = unwrap(root);
  for (const seg of path) {
    const d = defOf(cur);
    if (!d) return undefined;
    if (d.type === 'object' && d.shape) cur = d.shape[String(seg)];
    else if (d.type === 'record') cur = d.valueType;
    else if (d.type === 'array') cur = d.element;
    else return undefined;
    cur = unwrap(cur);
  }
  return cur;
}

/** The keys an object schema allows (for a union: those of its object branches). */
function objectKeys(s: Schema | undefined): string[] | undefined {
  const d = defOf(unwrap(s));
  if (d?.type === 'object' && d.shape) return Object.keys(d.shape);
  if (d?.type === 'union' && d.options) {
    const keys = d.options.flatMap((o) => objectKeys(o) ?? []);
    return keys.length > 0 ? [...new Set(keys)] : undefined;
  }
  return undefined;
}

function unionOptions(s: Schema | undefined): Schema[] | undefined {
  const d = defOf(unwrap(s));
  return d?.type === 'union' ? d.options : undefined;
}

/** The allowed key nearest to a misspelt one (edit distance at most 2), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diagonal + cost);
      diagonal = up;
    }
  }
  return prev[b.length]!;
}
