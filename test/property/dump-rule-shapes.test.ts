import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, Family, Rule } from '../../src/model/index.js';
import { parseIptablesSave } from '../../src/parse/index.js';
import { arbBodies } from './rule-words.js';

/**
 * The dump reader validates most rule lines by their shape (a body like one that parsed cleanly
 * before) and builds rules only when a chain is read. These properties hold it to the full parser:
 * a line read in a big dump, after lines of similar shapes, gets exactly the diagnostics and the
 * rule it gets when it is the only line of its dump (where the full parser reads it).
 */

const HEADER = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':X - [0:0]'];
const FOOTER = ['COMMIT'];

const arbLines = fc
  .tuple(
    fc.constantFrom('INPUT', 'FORWARD', 'X', 'OUTPUT', 'Y'),
    arbBodies,
    fc.constantFrom('', '', '', '[1:2] ', '[x:1] '),
    fc.constantFrom(' ', ' ', ' ', '  ', '\t'),
    fc.constantFrom('-A', '-A', '-A', '--append', '-I'),
  )
  .map(([chain, bodies, counters, sep, cmd]) =>
    bodies
      // `-I CHAIN N` inserts at a position, which depends on the lines before: not a per-line property.
      .filter((body) => cmd !== '-I' || !/^\d+$/.test(body[0] ?? ''))
      .map((body) => `${counters}${cmd} ${chain}${body.length ? ' ' : ''}${body.join(sep)}`),
  );

const arbDumpLines = fc.array(arbLines, { minLength: 1, maxLength: 15 }).map((groups) => groups.flat());

function dumpOf(lines: string[]): string {
  return [...HEADER, ...lines, ...FOOTER].join('\n') + '\n';
}

function brief(d: Diagnostic): string {
  return `${d.severity} ${d.code} ${d.pos?.column ?? 0} ${d.message}`;
}

/** What the full parser says about one line alone: its diagnostics and its rule. */
function alone(line: string, family: Family): { diagnostics: string[]; rule?: Rule; chain?: string } {
  const res = parseIptablesSave(dumpOf([line]), { file: 'd', family });
  const diagnostics = res.diagnostics.map(brief);
  if (!res.value) return { diagnostics };
  const table = res.value.tables[0]!;
  for (const c of table.chains) {
    if (c.rules.length > 0) return { diagnostics, rule: stripPos(c.rules[0]!), chain: c.name };
  }
  return { diagnostics };
}

function stripPos(rule: Rule): Rule {
  const { pos: _pos, ...rest } = rule;
  return JSON.parse(JSON.stringify(rest)) as Rule;
}

describe.each(['ipv4', 'ipv6'] as const)(
  'dump reader (%s): shape-validated lines agree with the full parser',
  (family) => {
    it('gives every line the diagnostics it gets alone', () => {
      fc.assert(
        fc.property(arbDumpLines, (lines) => {
          const res = parseIptablesSave(dumpOf(lines), { file: 'd', family });
          const got = res.diagnostics.map((d) => `${d.pos!.line - HEADER.length} ${brief(d)}`);
          const want = lines.flatMap((l, i) => alone(l, family).diagnostics.map((d) => `${i + 1} ${d}`));
          expect(got).toEqual(want);
        }),
        { numRuns: 300 },
      );
    }, 60_000);

    it('builds, when a chain is read, the rules the full parser builds', () => {
      fc.assert(
        fc.property(arbDumpLines, (lines) => {
          const clean = lines.filter((l) => {
            const a = alone(l, family);
            return a.rule && !a.diagnostics.some((d) => d.startsWith('error'));
          });
          const res = parseIptablesSave(dumpOf(clean), { file: 'd', family });
          expect(res.value).toBeDefined();
          const byChain = new Map<string, Rule[]>();
          for (const l of clean) {
            const a = alone(l, family);
            const list = byChain.get(a.chain!) ?? [];
            // -I without a position inserts at the top, as iptables-restore does.
            if (/^(\[\d+:\d+\] )?-I /.test(l)) list.unshift(a.rule!);
            else list.push(a.rule!);
            byChain.set(a.chain!, list);
          }
          for (const c of res.value!.tables[0]!.chains) {
            expect(c.rules.map(stripPos), c.name).toEqual(byChain.get(c.name) ?? []);
          }
        }),
        { numRuns: 300 },
      );
    }, 60_000);
  },
);
