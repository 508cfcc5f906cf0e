import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, Family, Rule } from '../../src/model/index.js';
import { parseIptablesSave } from '../../src/parse/index.js';

/**
 * The dump reader validates most rule lines by their shape (a body like one that parsed cleanly
 * before) and builds rules only when a chain is read. These properties hold it to the full parser:
 * a line read in a big dump, after lines of similar shapes, gets exactly the diagnostics and the
 * rule it gets when it is the only line of its dump (where the full parser reads it).
 */

const HEADER = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':X - [0:0]'];
const FOOTER = ['COMMIT'];

/** Words that steer the parser, and values of every class the shapes tell apart. */
const STRUCTURE = [
  '-s',
  '-d',
  '-i',
  '-o',
  '-p',
  '-f',
  '-m',
  '-j',
  '-g',
  '-c',
  '!',
  '--source',
  '--src',
  '--dst',
  '--prot',
  '--proto',
  '--protocol',
  '--ma',
  '--match',
  '--match=tcp',
  '--ju',
  '--jump',
  '--go',
  '--goto',
  '--',
  '-',
  '-x',
  '-A',
  '-D',
  '--append',
  '--dport',
  '--dports',
  '--sport',
  '--ctstate',
  '--comment',
  '--log-prefix',
  '--match-set',
  '--set-xmark',
  '--to-destination',
  '--reject-with',
  '--tcp-flags',
  '--state',
  '--foo',
  '--icmp-type',
  '-ptcp',
  '--mac-source',
  '--mac',
  '--m',
  '--s',
  '--sou',
  '--d',
  '--destination',
  '--src=1.2.3.4',
  '--dst=10.0.1.15-10.0.1.17',
];
const NAMES = [
  'tcp',
  'udp',
  'icmp',
  'TCP',
  'all',
  'comment',
  'conntrack',
  'multiport',
  'set',
  'state',
  'mark',
  'addrtype',
  'frobnicate',
  'ACCEPT',
  'DROP',
  'REJECT',
  'LOG',
  'DNAT',
  'MARK',
  'X',
  'RETURN',
  'DOCKER',
  'NOPE',
  'mac',
];
const VALUES = [
  '22',
  '80',
  '0',
  '65535',
  '80:90',
  '1.2.3.4',
  '10.0.0.0/8',
  '1.2.3.4,5.6.7.8',
  'NEW,ESTABLISHED',
  'RELATED',
  'eth0',
  'docker0',
  '0x1/0x1',
  'src',
  'dst,dst',
  'icmp-port-unreachable',
  'x',
  '!x',
  '"a b"',
  '"-x"',
  "'q r'",
  '"\\"',
  'SYN,ACK',
  '12',
  '007',
  // Addresses and MACs: the parser judges these after -s, -d and --mac-source (issue 11, item 12).
  '10.0.1.15-10.0.1.17',
  '10.1',
  '1.2.3.4/33',
  '1..2',
  '1.2.3.4.5',
  '1.2.3.4/',
  '/8',
  '01.2.3.4/08',
  '1.2.3.4/0032',
  '1.2.3.4/255.255.0.0',
  '1.2.3.256',
  'fd00::1',
  '2001:db8::/32',
  '2001:db8::/ffff::',
  'host.example',
  '00:11:22:33:44:55',
  'XX:XX:XX:XX:XX:XX',
  '00-11-22-33-44-55',
  '"00:11:22:33:44:55"',
];

const arbWord = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRUCTURE) },
  { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
);

/** Likely-valid bodies, so that shapes repeat with different values. */
const TEMPLATES = [
  ['-s', 'A', '-p', 'tcp', '-m', 'tcp', '--dport', 'P', '-j', 'ACCEPT'],
  ['-p', 'tcp', '--dport', 'P', '-j', 'ACCEPT'],
  ['-s', 'A', '-j', 'X'],
  ['-c', 'P', 'P', '-s', 'A', '-j', 'DROP'],
  ['-m', 'conntrack', '--ctstate', 'V', '-j', 'ACCEPT'],
  ['-p', 'udp', '-m', 'multiport', '--dports', 'V', '-j', 'REJECT'],
  ['-m', 'frobnicate', '--foo', 'V', 'V', '-j', 'LOG', '--log-prefix', 'V'],
  ['!', '-s', 'A', '-p', 'tcp', '-m', 'tcp', '!', '--dport', 'P'],
  ['-p', 'tcp', '--dport', '!', 'P', '-j', 'ACCEPT'],
  ['-p', 'N', '--dport', 'P', '-j', 'N'],
  ['-m', 'N', '--ctstate', 'V', '-g', 'N'],
  ['--prot', 'N', '--ma', 'N', '--sport', 'P', '--ju', 'N', '--reject-with', 'V'],
  ['-d', 'A', '-j', 'N', '--to-destination', 'V'],
  ['-m', 'mac', '--mac-source', 'V', '-j', 'DROP'],
  ['-m', 'mac', '!', '--mac-source', 'V', '-s', 'V', '-j', 'DROP'],
  ['-s', '!', 'V', '-d', 'A', '-j', 'ACCEPT'],
];

const arbFill = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.constantFrom('22', '1.2.3.4', '8080', '10.9.8.7/32', 'fd00::2', 'aa:bb:cc:dd:ee:ff'),
);

const arbTemplateBody = fc
  .tuple(
    fc.constantFrom(...TEMPLATES),
    fc.array(arbFill, { minLength: 6, maxLength: 6 }),
    fc.array(fc.constantFrom(...NAMES), { minLength: 3, maxLength: 3 }),
  )
  .map(([t, fills, names]) => {
    let k = 0;
    let n = 0;
    return t.map((w) =>
      w === 'N'
        ? names[n++ % names.length]!
        : w === 'A' || w === 'P' || w === 'V'
          ? fills[k++ % fills.length]!
          : w,
    );
  });

const arbBody = fc.oneof(arbTemplateBody, fc.array(arbWord, { maxLength: 9 }));

/** A body and siblings that differ from it in one word each: the same shape, or nearly. */
const arbBodies = fc
  .tuple(
    arbBody,
    fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...VALUES), fc.constantFrom(...NAMES))), {
      maxLength: 3,
    }),
  )
  .map(([body, changes]) => [
    body,
    ...changes.map(([at, word]) =>
      body.map((w, i) => (body.length > 0 && i === at % body.length ? word : w)),
    ),
  ]);

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
