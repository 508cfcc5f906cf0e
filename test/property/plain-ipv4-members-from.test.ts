import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalMember, memberKeys, plainIPv4Key, sortedMemberKeys } from '../../src/parse/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import { memberProblem } from '../../src/policy/set-members.js';

const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.constantFrom('00', '01', '256', '1x'),
);
const line = fc
  .tuple(
    octet,
    octet,
    octet,
    octet,
    fc.option(fc.oneof(fc.integer({ min: 0, max: 33 }).map(String), fc.constantFrom('08', ''))),
  )
  .map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}${p === null ? '' : `/${p}`}`);

/**
 * Members of a large IPv4 hash:net or hash:ip set are read in one pass when they are plain IPv4
 * addresses or networks; every line must come out as the general path reads it: the same member
 * in the same canonical spelling, or an error at the same line and column.
 */
describe('members_from: the one-pass reading of plain IPv4 members agrees with the general path', () => {
  it('same members, same errors, for any mix of lines', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('hash:net', 'hash:ip'),
        fc.array(line, { maxLength: 30 }),
        (type, lines) => {
          const text = `dockwall: 1\nipsets:\n  s:\n    type: ${type}\n    members_from: list\n`;
          const r = loadPolicy(text, 'p.yaml', {
            readMemberFile: () => ({ file: 'list', text: lines.join('\n') }),
          });
          const want: string[] = [];
          const errors: number[] = [];
          const seen = new Set<string>();
          lines.forEach((l, i) => {
            if (memberProblem('s', type, 'ipv4', l) !== undefined) return errors.push(i + 1);
            const c = canonicalMember(type, l, 'ipv4');
            if (!seen.has(c)) want.push(c);
            seen.add(c);
          });
          const bad = r.diagnostics.filter((d) => d.code === 'policy.bad-member').map((d) => d.pos?.line);
          expect(bad).toEqual(errors);
          if (errors.length === 0) expect(r.value!.ipsets[0]!.members).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a file of plain members only (read without line strings): same members, same duplicate warnings', () => {
    const plain = fc
      .tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('', '/32', '/24', '/31', '/0', ' ', ' # note', '\r'),
      )
      .map(([a, b, p]) =>
        p === '/24' ? `10.${a}.${b}.0/24` : p === '/0' ? '0.0.0.0/0' : `10.${a}.0.${b}${p}`,
      );
    const filler = fc.constantFrom('', '# FireHOL header', '   ', '\t10.9.9.9/32  ');
    fc.assert(
      fc.property(
        fc.constantFrom('hash:net', 'hash:ip'),
        fc.array(fc.oneof({ weight: 6, arbitrary: plain }, { weight: 1, arbitrary: filler }), {
          maxLength: 40,
        }),
        (type, lines) => {
          const text = `dockwall: 1\nipsets:\n  s:\n    type: ${type}\n    members_from: list\n`;
          const r = loadPolicy(text, 'p.yaml', {
            readMemberFile: () => ({ file: 'list', text: lines.join('\n') }),
          });
          const want: string[] = [];
          const dups: number[] = [];
          const seen = new Set<string>();
          lines.forEach((l, i) => {
            const m = l.replace(/#.*/, '').trim();
            if (m === '') return;
            const c = canonicalMember(type, m, 'ipv4');
            if (seen.has(c)) dups.push(i + 1);
            else want.push(c);
            seen.add(c);
          });
          expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          const warned = r.diagnostics
            .filter((d) => d.code === 'policy.duplicate-member')
            .map((d) => d.pos?.line);
          expect(warned).toEqual(dups);
          const members = r.value!.ipsets[0]!.members;
          expect(members).toEqual(want);
          expect(Array.from(memberKeys(members))).toEqual(members.map((m) => plainIPv4Key(m)));
          expect(Array.from(sortedMemberKeys(members))).toEqual(
            members.map((m) => plainIPv4Key(m)).sort((a, b) => a - b),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
