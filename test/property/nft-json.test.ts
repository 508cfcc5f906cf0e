import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNftJson } from '../../src/parse/index.js';
import { simulate } from '../../src/sim/index.js';
import { compileNftRuleset } from '../../src/sim/nft-compile.js';

const host = { interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24', 'fd00::1/64'] }] };

/** JSON values shaped somewhat like `nft -j` output, so that generated input gets past the first checks. */
const nftish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      'ip',
      'ip6',
      'inet',
      't',
      'c',
      'filter',
      'forward',
      'accept',
      'drop',
      '@s',
      'docker0',
      '10.0.0.0',
    ),
    fc.integer({ min: -400, max: 70000 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom(
        'family',
        'table',
        'name',
        'chain',
        'expr',
        'hook',
        'prio',
        'type',
        'policy',
        'elem',
        'map',
        'match',
        'op',
        'left',
        'right',
        'payload',
        'meta',
        'key',
        'jump',
        'target',
        'vmap',
        'data',
        'set',
        'prefix',
        'range',
        'concat',
        'dnat',
        'addr',
        'port',
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

const entry = fc.oneof(
  fc.record({
    table: fc.record({
      family: fc.constantFrom('ip', 'ip6', 'inet', 'bridge'),
      name: fc.constantFrom('t', 'u'),
    }),
  }),
  fc.record({
    chain: fc.record(
      {
        family: fc.constantFrom('ip', 'inet'),
        table: fc.constant('t'),
        name: fc.constantFrom('c', 'd'),
        type: fc.constantFrom('filter', 'nat'),
        hook: fc.constantFrom('prerouting', 'forward', 'input', 'postrouting', 'output'),
        prio: fc.integer({ min: -400, max: 400 }),
        policy: fc.constantFrom('accept', 'drop'),
      },
      { requiredKeys: ['family', 'table', 'name'] },
    ),
  }),
  fc.record({
    rule: fc.record({
      family: fc.constantFrom('ip', 'inet'),
      table: fc.constant('t'),
      chain: fc.constantFrom('c', 'd'),
      expr: fc.array(
        fc.dictionary(
          fc.constantFrom(
            'match',
            'accept',
            'drop',
            'jump',
            'goto',
            'vmap',
            'counter',
            'dnat',
            'masquerade',
            'xt',
            'return',
          ),
          nftish,
          { minKeys: 1, maxKeys: 1 },
        ),
        { maxLength: 4 },
      ),
    }),
  }),
  fc.record({
    set: fc.record({
      family: fc.constant('ip'),
      table: fc.constant('t'),
      name: fc.constant('s'),
      type: fc.constantFrom('ipv4_addr', 'ifname'),
      elem: fc.array(nftish, { maxLength: 3 }),
    }),
  }),
  nftish,
);

describe('parseNftJson on arbitrary input', () => {
  it('never throws: a diagnostic or a model, and the simulator walks the model', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.array(entry, { maxLength: 8 }).map((l) => JSON.stringify({ nftables: l })),
        ),
        (text) => {
          const r = parseNftJson(text, { file: 'f' });
          expect(r.value !== undefined || r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
          for (const d of r.diagnostics) expect(d.pos?.file).toBe('f');
          if (!r.value) return;
          for (const f of ['ipv4', 'ipv6'] as const) compileNftRuleset(r.value, f);
          const v4 = {
            family: 'ipv4',
            src: '10.0.0.7',
            dst: '10.0.0.1',
            proto: 'tcp',
            sport: 4000,
            dport: 22,
            in: 'eth0',
          } as const;
          const v6 = { ...v4, family: 'ipv6', src: 'fd00::7', dst: 'fd00::1' } as const;
          for (const p of [v4, v6])
            expect(simulate({ rulesets: {}, nft: r.value, host }, p).verdict).toBeDefined();
        },
      ),
      { numRuns: 400 },
    );
  });
});
