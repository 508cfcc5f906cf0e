import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { compileDesired } from '../../src/compile/index.js';
import { readBlockYaml } from '../../src/policy/block-yaml.js';
import { loadPolicy } from '../../src/policy/index.js';
import { YamlSource } from '../../src/policy/yaml-source.js';
import type { Path } from '../../src/policy/yaml-source.js';

/**
 * The fast block reader against yaml's full document path: where it reads a text, its data, and
 * every position the loader can ask for (values, keys, missing values, scalars, map keys, lines),
 * and the loaded policy with its diagnostics and compiled rules are the same; where it does not,
 * the full path reads it (and the result is the full path's by definition).
 */

/** Every path of the document (text and number keys as the loader names them), and some that are not there. */
function pathsOf(node: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (isMap(node)) {
    out.push([...path, 'not-a-key'], [...path, 0]);
    for (const p of node.items) {
      if (isPair(p) && isScalar(p.key)) pathsOf(p.value, [...path, String(p.key.value)], out);
    }
  } else if (isSeq(node)) {
    out.push([...path, node.items.length], [...path, 'x'], [...path, -1]);
    node.items.forEach((item, i) => pathsOf(item, [...path, i], out));
  }
  return out;
}

/** What the loader can observe at `path`: spans of the value, key and missing value, the scalar, the keys. */
function observe(src: YamlSource, path: Path): unknown {
  const scalar = src.scalarAt(path);
  return {
    span: src.spanAt(path),
    keySpan: src.keySpanAt(path),
    missing: path.length > 0 ? src.missingSpanAt(path) : undefined,
    scalar: scalar && {
      value: scalar.value,
      range: scalar.range?.slice(0, 2),
      type: scalar.type,
      tag: scalar.tag,
      start: src.scalarValueStart(scalar),
    },
    keys: src.mapKeys(path),
  };
}

const KEYS = [
  'dockwall',
  'ipv4',
  'filter',
  'INPUT',
  'rules',
  'name',
  'rule',
  'members',
  'a',
  'r1',
  '-x',
  'k:v',
  'a#b',
  '1',
  'true',
  'x y',
  '<<',
  '__proto__',
  // yaml refuses an implicit key longer than 1024 characters.
  'k'.repeat(1024),
  'k'.repeat(1025),
];
const VALUES = [
  '1',
  '2',
  '0x1F',
  '0o17',
  '-3',
  '+4',
  '1.5',
  '1e3',
  '.inf',
  '.NaN',
  '~',
  'null',
  'Null',
  'true',
  'FALSE',
  'yes',
  '-j ACCEPT',
  '-p tcp --dport 22 -j ACCEPT',
  '-p tcp --dport 22 -j ACCPET',
  '-m comment --comment "dockwall:r1" -j ACCEPT',
  '-A INPUT -j DROP',
  '! -s 10.0.0.1 -j DROP',
  "'! -s 10.0.0.1 -j DROP'",
  "'it''s'",
  "''",
  '""',
  '"double"',
  '"with \\n escape"',
  '"unterminated',
  "'unterminated",
  'a: b',
  'a:b',
  'a #comment',
  'a#b',
  'text   ',
  'text # trailing',
  '&anchor x',
  '*alias',
  '[a, b]',
  '{a: 1}',
  '|',
  '>',
  '`x',
  '%x',
  '@x',
  '?',
  '? x',
  '- x',
  ':x',
  '-',
  'a\tb',
  '',
  '"q" extra',
  "'q'# c",
  '192.168.1.0/24',
  '[22]',
  '[fd00::1/64, 10.0.0.0/8]',
  '[a,b]',
  '[ a , b ]',
  '[eth0] # c',
  '[a]#c',
  '[a] b',
  '[]',
  '[a,]',
  '[, a]',
  '[a: b]',
  '[a :b]',
  '[a:b]',
  '[-]',
  '[-a, ?b, :c]',
  "['q']",
  '[a, [b]]',
  '[a, {b: c}]',
  '[a #x]',
  '[a#x]',
  '[a, b',
  '[1, 0x1F, true, ~, null]',
];

type Tree = { map: Array<[string, Tree]> } | { seq: Tree[] } | { scalar: string };

/** Values the fast reader takes (most of a real policy), with the rest now and then. */
const SAFE = VALUES.filter(
  (v) => /^(?:[-+.\w~]|'[^']*'$|"[^"\\]*"$|\[[\w, .:/~]+\]$)/.test(v) && !/: |\t| #|^- |^-$|^\?$/.test(v),
);
const arbScalar = fc.oneof(
  { arbitrary: fc.constantFrom(...SAFE), weight: 12 },
  { arbitrary: fc.constantFrom(...VALUES), weight: 1 },
);
/** Text keys mostly; a number or boolean key (left to yaml) now and then. */
const arbKey = fc.oneof(
  { arbitrary: fc.constantFrom(...KEYS.filter((k) => k !== '1' && k !== 'true')), weight: 20 },
  { arbitrary: fc.constantFrom(...KEYS), weight: 1 },
);
const { tree: arbTree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbScalar.map((v) => ({ scalar: v })),
    fc
      .uniqueArray(fc.tuple(arbKey, tie('tree')), {
        minLength: 1,
        maxLength: 4,
        selector: ([k]) => k,
      })
      .map((items) => ({ map: items })),
    fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((items) => ({ seq: items })),
  ),
}));

/** Renders a tree as block YAML: lists under a key at the key's indentation or deeper, comments between. */
function render(tree: Tree, style: { seqIndent: number; comments: boolean }): string[] {
  const lines: string[] = [];
  const pad = (n: number): string => ' '.repeat(n);
  const comment = (indent: number): void => {
    if (style.comments && lines.length % 3 === 1) lines.push(`${pad(indent)}# a comment`, '');
  };
  const put = (node: Tree, indent: number, lead: string): void => {
    // `lead` is what starts the first line ('- ' of a list entry, or '' at the start of a line).
    if ('scalar' in node) {
      lines.push(`${pad(indent)}${lead}${node.scalar}`);
    } else if ('map' in node) {
      node.map.forEach(([k, v], i) => {
        const first = i === 0 ? lead : ' '.repeat(lead.length);
        comment(indent + first.length);
        if ('scalar' in v)
          lines.push(`${pad(indent)}${first}${k}: ${v.scalar}${style.comments ? ' # c' : ''}`);
        else {
          lines.push(`${pad(indent)}${first}${k}:`);
          const child = indent + first.length + ('seq' in v ? style.seqIndent : 2);
          put(v, child, '');
        }
      });
    } else {
      for (const item of node.seq) {
        if ('seq' in item) {
          lines.push(`${pad(indent)}${lead}-`);
          put(item, indent + lead.length + 2, '');
        } else put(item, indent + lead.length, '- ');
      }
    }
  };
  put(tree, 0, '');
  return lines;
}

const arbTreeText = fc
  .tuple(
    fc.oneof({ arbitrary: arbTree.filter((t) => 'map' in t), weight: 8 }, { arbitrary: arbTree, weight: 1 }),
    fc.constantFrom(0, 2),
    fc.boolean(),
  )
  .map(([tree, seqIndent, comments]) => `${render(tree, { seqIndent, comments }).join('\n')}\n`);

/**
 * A rendered tree with one line changed: shifted, replaced by a raw line, continued on a line below
 * (a multi-line scalar), or the final newline dropped.
 */
const arbMutatedText = fc
  .tuple(
    arbTreeText,
    fc.nat(),
    fc.constantFrom('shift+', 'shift-', 'raw', 'continued', 'no newline'),
    fc.constantFrom(
      '---',
      '...',
      '%YAML 1.2',
      '  ',
      '\t- x',
      'k: v\r',
      '\uFEFFk: v',
      '- ',
      'a:',
      'a :b',
      'a: b: c',
      'a: &x v',
      'b: *x',
      '<<: *x',
      'c: !!str 1',
      'c: !custom v',
      'd: {e: f}',
      'g: |',
      'g: >-',
      'k\u200b: v',
      'name: "a\u202eb"',
      'k: v\u0007',
      '__proto__: v',
      'r1: a#b',
      '    # a comment, oddly indented',
      '# a comment at the margin',
      'x: y # c # d',
      '? complex',
      '[a, b]: c',
      '1: one',
      'r1: dup',
      '- - nested',
    ),
  )
  .map(([text, at, how, raw]) => {
    const lines = text.slice(0, -1).split('\n');
    const i = at % lines.length;
    if (how === 'shift+') lines[i] = ` ${lines[i]}`;
    else if (how === 'shift-') lines[i] = lines[i]!.replace(/^ /, '');
    else if (how === 'raw') lines[i] = raw;
    else if (how === 'continued')
      lines.splice(i + 1, 0, `${' '.repeat(lines[i]!.search(/\S|$/) + 4)}more words`);
    return how === 'no newline' ? lines.join('\n') : `${lines.join('\n')}\n`;
  });

const arbText: fc.Arbitrary<string> = fc.oneof(arbTreeText, arbMutatedText);

/** Policies of both formats, well formed or with one line replaced by another drawn above. */
const arbPolicy: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('native', 'pyfw'),
    fc.array(
      fc.constantFrom(...VALUES.slice(16, 25), '-s 10.0.0.0/8 -j RETURN', '-p udp --dport 53 -j ACCEPT'),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
    fc.option(fc.tuple(fc.nat(), fc.constantFrom(...VALUES), fc.constantFrom(0, 2, 4, 6, 8))),
  )
  .map(([format, rules, fault]) => {
    const lines =
      format === 'native'
        ? [
            'dockwall: 1',
            'ipv4:',
            '  filter:',
            '    INPUT:',
            '      rules:',
            ...rules.map((r, i) => `        - r${i}: ${r}`),
          ]
        : [
            'pyfw_wishes:',
            '  iptables:',
            '    filter:',
            '      INPUT:',
            '        rules:',
            ...rules.map((r, i) => `        - r${i}: ${r}`),
          ];
    if (fault) {
      const [at, value, indent] = fault;
      lines[at % lines.length] = `${' '.repeat(indent)}${at % 2 === 0 ? `r: ${value}` : `- ${value}`}`;
    }
    return `${lines.join('\n')}\n`;
  });

/** Every object's own keys, in order, with the values below them. */
function keyOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keyOrder);
  if (v === null || typeof v !== 'object') return v;
  return Object.getOwnPropertyNames(v).map((k) => [k, keyOrder((v as Record<string, unknown>)[k])]);
}

function compare(text: string): boolean {
  const tree = readBlockYaml(text);
  const full = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (tree) {
    // The fast reader only takes texts yaml reads without a complaint.
    expect(full.errors).toEqual([]);
    expect(full.warnings).toEqual([]);
    // The same data: values, own keys (inherited names too) and key order alike.
    const ref = full.toJS() as unknown;
    expect(tree.data).toStrictEqual(ref);
    expect(JSON.stringify(keyOrder(tree.data))).toBe(JSON.stringify(keyOrder(ref)));
    const a = new YamlSource(text, 'p.yaml', true);
    const b = new YamlSource(text, 'p.yaml', false);
    expect(a.readFast).toBe(true);
    expect(b.readFast).toBe(false);
    expect(a.rootKind()).toBe(b.rootKind());
    expect(a.startSpan()).toEqual(b.startSpan());
    expect(a.yamlDiagnostics()).toEqual(b.yamlDiagnostics());
    for (const path of pathsOf(b.doc.contents))
      expect(observe(a, path), JSON.stringify(path)).toEqual(observe(b, path));
    for (let i = 0; i <= text.length; i += 7) expect(a.posAt(i)).toEqual(b.posAt(i));
  }
  const fast = loadPolicy(text, 'p.yaml');
  const slow = loadPolicy(text, 'p.yaml', { fullYaml: true });
  expect(fast).toEqual(slow);
  // The same policy compiles to the same rules (and so plans the same).
  if (fast.value && slow.value) {
    expect(compileDesired(fast.value, { policyOnly: true })).toEqual(
      compileDesired(slow.value, { policyOnly: true }),
    );
  }
  return tree !== undefined;
}

describe('fast block YAML reader (property)', () => {
  it('reads block YAML texts exactly as yaml does, or leaves them to yaml', () => {
    let fastCount = 0;
    let fallbackCount = 0;
    fc.assert(
      fc.property(arbText, (text) => {
        if (compare(text)) fastCount++;
        else fallbackCount++;
      }),
      { numRuns: 1500 },
    );
    // Both sides are exercised: texts the fast reader takes, and texts it leaves to yaml.
    expect(fastCount).toBeGreaterThan(150);
    expect(fallbackCount).toBeGreaterThan(300);
  });

  it('loads policies, good and bad, to the same policy and diagnostics as the full path', () => {
    let fastCount = 0;
    fc.assert(
      fc.property(arbPolicy, (text) => {
        if (compare(text)) fastCount++;
      }),
      { numRuns: 400 },
    );
    expect(fastCount).toBeGreaterThan(40);
  });
});
