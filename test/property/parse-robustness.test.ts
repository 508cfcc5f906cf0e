import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, Result } from '../../src/model/index.js';
import {
  parseIpsetSave,
  parseIptablesS,
  parseIptablesSave,
  parseRuleText,
  printIptablesSave,
  tokenizeLine,
} from '../../src/parse/index.js';

const dir = new URL('../fixtures/docker-20.10/', import.meta.url);
const dumps = readdirSync(dir)
  .filter((f) => /tables-(legacy-|nft-)?save/.test(f))
  .map((f) => readFileSync(new URL(f, dir), 'utf8'));

function wellFormed(r: Result<unknown>): void {
  const errors = r.diagnostics.filter((d: Diagnostic) => d.severity === 'error');
  if (r.value === undefined) expect(errors.length).toBeGreaterThan(0);
  else expect(errors).toEqual([]);
  for (const d of r.diagnostics) {
    expect(d.message.length).toBeGreaterThan(0);
    if (d.pos) {
      expect(d.pos.line).toBeGreaterThanOrEqual(1);
      expect(d.pos.column).toBeGreaterThanOrEqual(1);
    }
  }
}

/** Random text, biased towards the characters that matter to the parsers. */
const arbText = fc.oneof(
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc
    .array(
      fc.constantFrom(
        '*filter',
        'COMMIT',
        ':INPUT ACCEPT [0:0]',
        '-A',
        'INPUT',
        '-j',
        '"',
        "'",
        '\\',
        '!',
        '[0:0]',
        '\n',
        ' ',
        '\r',
        '\0',
        '#',
        '-m',
        'tcp',
        '--dport',
        '-p',
        'create',
        'add',
        'hash:ip',
        '1.2.3.4',
      ),
      { maxLength: 60 },
    )
    .map((a) => a.join('')),
);

describe('parsers never throw', () => {
  it('on random text', () => {
    fc.assert(
      fc.property(arbText, (text) => {
        wellFormed(parseIptablesSave(text, { file: 'x' }));
        wellFormed(parseIptablesS(text, { file: 'x', family: 'ipv4', table: 'filter' }));
        wellFormed(parseIpsetSave(text, { file: 'x' }));
        wellFormed(parseRuleText(text, { family: 'ipv6', file: 'x', line: 1, column: 1 }));
        tokenizeLine(text, { file: 'x', line: 1 });
      }),
      { numRuns: 1500 },
    );
  }, 60_000);

  it('on real dumps with random edits, and what parses prints back to itself', () => {
    const arbEdit = fc.record({
      at: fc.nat(),
      del: fc.nat({ max: 8 }),
      insert: fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.constantFrom('"', ' ! ', '\n', ' -m ', ' --', '[1:2] ', 'COMMIT\n'),
      ),
    });
    fc.assert(
      fc.property(fc.constantFrom(...dumps), fc.array(arbEdit, { maxLength: 4 }), (dump, edits) => {
        let text = dump;
        for (const e of edits) {
          const i = e.at % (text.length + 1);
          text = text.slice(0, i) + e.insert + text.slice(i + e.del);
        }
        const r = parseIptablesSave(text, { file: 'x' });
        wellFormed(r);
        if (r.value) {
          const printed = printIptablesSave(r.value);
          const again = parseIptablesSave(printed, { file: 'y', family: r.value.family });
          expect(again.value && printIptablesSave(again.value)).toBe(printed);
        }
      }),
      { numRuns: 1500 },
    );
  }, 60_000);
});
