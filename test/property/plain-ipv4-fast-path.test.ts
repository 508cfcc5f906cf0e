import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalNetwork,
  isPlainIPv4,
  memberKeys,
  parseIpsetSave,
  plainIPv4Key,
} from '../../src/parse/index.js';
import { memberProblem } from '../../src/policy/set-members.js';

/**
 * Large set lists skip the full address parser when a member is already a canonical IPv4 address
 * or network (`isPlainIPv4`), and `ipset save` lines `add NAME MEMBER` skip the lexer. These hold
 * the fast paths to the full ones on spellings near the edges: leading zeros, parts over 255, host
 * bits, prefixes past 32, missing or extra parts.
 */
const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.constantFrom('0', '00', '01', '010', '255', '256', '999', ''),
);
const prefix = fc.oneof(
  fc.constant(''),
  fc.integer({ min: 0, max: 32 }).map((p) => `/${p}`),
  fc.constantFrom('/', '/00', '/08', '/33', '/320', '/x', '/255.255.255.0'),
);
const ipv4ish = fc
  .tuple(fc.array(octet, { minLength: 3, maxLength: 5 }), prefix)
  .map(([parts, p]) => `${parts.join('.')}${p}`);

describe('the plain-IPv4 fast path agrees with the full parser', () => {
  it('a plain spelling is exactly what canonicalNetwork makes of it', () => {
    fc.assert(
      fc.property(ipv4ish, (text) => {
        const net = canonicalNetwork(text, 'ipv4');
        const full = text.includes('/') ? text : `${text}/32`;
        if (isPlainIPv4(text)) expect(net?.text).toBe(full);
        // And it misses no canonical spelling of a network with a prefix length.
        else if (/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(text)) expect(net?.text).not.toBe(full);
      }),
      { numRuns: 3000 },
    );
  });

  it('a plain member is a valid member of hash:ip and hash:net sets', () => {
    fc.assert(
      fc.property(ipv4ish, (text) => {
        if (isPlainIPv4(text)) expect(memberProblem('s', 'hash:net', 'ipv4', text)).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('`add` lines read without the lexer give the same members as with it', () => {
    fc.assert(
      fc.property(fc.array(ipv4ish, { minLength: 1, maxLength: 20 }), (members) => {
        const head = 'create s hash:net family inet hashsize 1024 maxelem 65536\n';
        const fast = parseIpsetSave(head + members.map((m) => `add s ${m}\n`).join(''), { file: 'f' });
        // A trailing blank sends each line through the lexer, which ignores it.
        const lexed = parseIpsetSave(head + members.map((m) => `add s ${m} \n`).join(''), { file: 'f' });
        expect(fast.value).toEqual(lexed.value);
      }),
      { numRuns: 500 },
    );
  });
});

describe('`ipset save` read on its fast paths agrees with the general path', () => {
  const sets = [
    'create a hash:net family inet hashsize 1024 maxelem 65536',
    'create b hash:ip family inet',
    'create c hash:net family inet6',
    'create d hash:net,port family inet',
    'create e hash:net family inet comment',
  ];
  const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'x', 'aa');
  const member = fc.oneof(
    ipv4ish,
    ipv4ish.map((m) => `${m} nomatch`),
    ipv4ish.map((m) => `${m} comment "x y"`),
    ipv4ish.map((m) => `${m} timeout 5`),
    ipv4ish.map((m) => `${m},tcp:80`),
    fc.constantFrom('fe80::/64', '::1', '"1.2.3.4"', '1.2.3.4\t', '1.2.3.4\r', ''),
  );
  const line = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(name, member).map(([s, m]) => `add ${s} ${m}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...sets, '# c', '', 'add', 'add a', 'flush a', ' add a 1.2.3.4'),
    },
  );
  it('same sets, members and diagnostics for any mix of lines', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), fc.boolean(), (lines, crlf) => {
        const text = [...sets, ...lines].join(crlf ? '\r\n' : '\n') + '\n';
        const fast = parseIpsetSave(text, { file: 'f' });
        const general = parseIpsetSave(text, { file: 'f', generalOnly: true });
        expect(fast).toEqual(general);
        // The keys the reader records for the members are theirs.
        for (const set of fast.value?.sets ?? [])
          expect(Array.from(memberKeys(set.members))).toEqual(set.members.map((m) => plainIPv4Key(m)));
      }),
      { numRuns: 1500 },
    );
  });

  it('the keys recorded for the members of a good `ipset save` text are theirs', () => {
    const good = fc
      .tuple(
        fc.constantFrom('a', 'b', 'd', 'e'),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('', '/32', '/24', ' nomatch', ',tcp:80'),
      )
      .map(([s, i, p]) =>
        s === 'd'
          ? `add d 10.0.0.${i},tcp:80`
          : p === '/24'
            ? `add ${s} 10.${i}.0.0/24`
            : `add ${s} 10.0.0.${i}${p === ' nomatch' && s === 'b' ? '' : p === ',tcp:80' ? '' : p}`,
      );
    fc.assert(
      fc.property(fc.array(good, { maxLength: 40 }), (lines) => {
        const text = [...sets, ...lines].join('\n') + '\n';
        const fast = parseIpsetSave(text, { file: 'f' });
        expect(fast).toEqual(parseIpsetSave(text, { file: 'f', generalOnly: true }));
        expect(fast.value).toBeDefined();
        for (const set of fast.value!.sets)
          expect(Array.from(memberKeys(set.members))).toEqual(set.members.map((m) => plainIPv4Key(m)));
      }),
      { numRuns: 500 },
    );
  });
});
