import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { canonicalMember, parseRuleText, ruleKey } from '../../src/parse/index.js';
import { loadPolicy } from '../../src/policy/index.js';

// `name` and `rule` are the explicit form's keys, so they cannot name a rule in the short form.
const name = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,12}$/).filter((n) => n !== 'name' && n !== 'rule');
const v4 = fc.ipV4();
const v6 = fc.ipV6();
const port = fc.integer({ min: 1, max: 65535 });

/** A rule text made of options every iptables accepts, for one family. */
const ruleText = (family: 'ipv4' | 'ipv6') =>
  fc
    .record({
      src: fc.option(family === 'ipv4' ? v4 : v6, { nil: undefined }),
      iface: fc.option(fc.constantFrom('eth0', 'docker0', 'lo', 'br-0123456789ab'), { nil: undefined }),
      negIface: fc.boolean(),
      dport: fc.option(fc.tuple(fc.constantFrom('tcp', 'udp'), port), { nil: undefined }),
      target: fc.constantFrom('ACCEPT', 'DROP', 'RETURN'),
    })
    .map((r) =>
      [
        r.src ? `-s ${r.src}` : '',
        r.iface ? `${r.negIface ? '! ' : ''}-i ${r.iface}` : '',
        r.dport ? `-p ${r.dport[0]} --dport ${r.dport[1]}` : '',
        `-j ${r.target}`,
      ]
        .filter((x) => x !== '')
        .join(' '),
    );

const rules = (family: 'ipv4' | 'ipv6') =>
  fc.uniqueArray(fc.record({ name, text: ruleText(family), explicit: fc.boolean() }), {
    selector: (r) => r.name,
    maxLength: 5,
  });

const ipset = fc.oneof(
  fc.record({
    type: fc.constantFrom('hash:ip', 'hash:net'),
    family: fc.constant('inet' as const),
    members: fc.uniqueArray(v4, { maxLength: 6 }),
  }),
  fc.record({
    type: fc.constant('hash:ip'),
    family: fc.constant('inet6' as const),
    members: fc.uniqueArray(v6, { maxLength: 6 }),
  }),
);

const policyInput = fc.record({
  ipsets: fc.dictionary(name, ipset, { maxKeys: 4 }),
  input: rules('ipv4'),
  user: fc.record({ chain: fc.stringMatching(/^MY-[A-Z]{1,8}$/), rules: rules('ipv4') }),
  ip6: rules('ipv6'),
  allow: fc.uniqueArray(fc.record({ name, ports: fc.array(port, { maxLength: 3 }) }), {
    selector: (a) => a.name,
    maxLength: 4,
  }),
});

type Input = typeof policyInput extends fc.Arbitrary<infer T> ? T : never;

const ruleEntries = (rs: Input['input']) =>
  rs.map((r) => (r.explicit ? { name: r.name, rule: r.text } : { [r.name]: r.text }));

function toDocument(p: Input): Record<string, unknown> {
  return {
    dockwall: 1,
    ipsets: p.ipsets,
    filter: { interfaces: ['eth0'], allow: p.allow },
    ipv4: {
      filter: {
        INPUT: { policy: 'DROP', rules: ruleEntries(p.input) },
        [p.user.chain]: { rules: ruleEntries(p.user.rules) },
      },
    },
    ipv6: { filter: { INPUT: { rules: ruleEntries(p.ip6) } } },
  };
}

const keyOf = (text: string, family: 'ipv4' | 'ipv6') =>
  ruleKey(parseRuleText(text, { family, file: 'x', line: 1, column: 1 }).value!, family);

describe('policies written to YAML load back', () => {
  it('with the same set names and members, chain and rule names, and rule keys', () => {
    fc.assert(
      fc.property(policyInput, (p) => {
        const r = loadPolicy(stringify(toDocument(p)), 'p.yaml');
        expect(r.diagnostics).toEqual([]);
        const policy = r.value!;
        expect(policy.ipsets.map((s) => [s.name, s.type, s.family, s.members])).toEqual(
          Object.entries(p.ipsets).map(([n, s]) => [
            n,
            s.type,
            s.family,
            s.members.map((m) => canonicalMember(s.type, m, s.family === 'inet' ? 'ipv4' : 'ipv6')),
          ]),
        );
        const [input, user] = policy.families.ipv4!.tables[0]!.chains;
        expect(input!.policy).toBe('DROP');
        expect(user!.name).toBe(p.user.chain);
        for (const [chain, given, family] of [
          [input!, p.input, 'ipv4'],
          [user!, p.user.rules, 'ipv4'],
          [policy.families.ipv6!.tables[0]!.chains[0]!, p.ip6, 'ipv6'],
        ] as const) {
          expect(chain.rules.map((x) => x.name)).toEqual(given.map((g) => g.name));
          expect(chain.rules.map((x) => ruleKey(x.rule, family))).toEqual(
            given.map((g) => keyOf(g.text, family)),
          );
        }
        expect(policy.sharedFilter!.allow.map((a) => [a.name, a.ports])).toEqual(
          p.allow.map((a) => [a.name, a.ports.map(String)]),
        );
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});

/** Every diagnostic must be positioned inside the file (or just past its end). */
function expectPositioned(text: string, r: ReturnType<typeof loadPolicy>): void {
  const lines = text.split('\n').length;
  for (const d of r.diagnostics) {
    expect(d.pos, d.message).toBeDefined();
    expect(d.pos!.line).toBeGreaterThanOrEqual(1);
    expect(d.pos!.line).toBeLessThanOrEqual(lines + 1);
    expect(d.pos!.column).toBeGreaterThanOrEqual(1);
    expect(typeof d.message).toBe('string');
  }
  if (r.value === undefined) expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  // The loader turns its own bugs into a `policy.internal` diagnostic instead of throwing: none may occur.
  expect(r.diagnostics.filter((d) => d.code === 'policy.internal')).toEqual([]);
}

describe('damaged policies', () => {
  it('never throw when the text is edited at random, and every finding is positioned', () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        text: fc.oneof(
          fc.string({ maxLength: 6 }),
          fc.constantFrom('\n', ': ', '- ', '  ', '"', "'", '!', '&a', '*a', '{', ']', '\t', '#'),
        ),
      }),
      fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(policyInput, fc.array(edit, { minLength: 1, maxLength: 4 }), (p, edits) => {
        let text = stringify(toDocument(p));
        for (const e of edits) {
          const at = text.length === 0 ? 0 : e.at % text.length;
          if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.len);
          else if (e.kind === 'insert') text = text.slice(0, at) + e.text + text.slice(at);
          else {
            const lines = text.split('\n');
            const i = e.at % lines.length;
            lines.splice(i, 0, lines[i]!);
            text = lines.join('\n');
          }
        }
        expectPositioned(text, loadPolicy(text, 'p.yaml'));
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  it('never throw when a value is replaced by anything, and every finding is positioned', () => {
    fc.assert(
      fc.property(
        policyInput,
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.jsonValue(),
        (p, route, value) => {
          const doc = toDocument(p);
          let node: unknown = doc;
          for (const step of route.slice(0, -1)) {
            if (!node || typeof node !== 'object') break;
            const keys = Object.keys(node);
            if (keys.length === 0) break;
            const next = (node as Record<string, unknown>)[keys[step % keys.length]!];
            if (!next || typeof next !== 'object') break;
            node = next;
          }
          if (node && typeof node === 'object') {
            const keys = Object.keys(node);
            if (keys.length > 0)
              (node as Record<string, unknown>)[keys[route[route.length - 1]! % keys.length]!] = value;
          }
          const text = stringify(doc);
          expectPositioned(text, loadPolicy(text, 'p.yaml'));
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);
});
