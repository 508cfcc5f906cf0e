import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeNftJson, parseJsonWithPositions, parseNftJson } from '../../../src/parse/index.js';

const FIX = join(import.meta.dirname, '../../fixtures/docker-29.7.2-nftables');
const fixture = (name: string) => readFileSync(join(FIX, name, 'ruleset.json'), 'utf8');

describe('parseJsonWithPositions', () => {
  it('reads values and the line and column of every object and array', () => {
    const r = parseJsonWithPositions('{\n  "a": [1, {"b": "x\\u0041"}],\n  "__proto__": null\n}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value as { a: [number, { b: string }] };
    expect(v.a[1].b).toBe('xA');
    expect(r.where(v.a)).toEqual({ line: 2, column: 8 });
    expect(r.where(v.a[1])).toEqual({ line: 2, column: 12 });
    expect(Object.keys(v)).toEqual(['a', '__proto__']);
  });

  it('names line and column of a syntax error', () => {
    expect(parseJsonWithPositions('{\n  "a": 1,\n  "b" 2\n}')).toMatchObject({
      ok: false,
      line: 3,
      column: 7,
      message: "unexpected '2': expected ':'",
    });
    expect(parseJsonWithPositions('table ip filter {')).toMatchObject({ ok: false, line: 1, column: 1 });
    expect(parseJsonWithPositions('[1,')).toMatchObject({ ok: false, line: 1, column: 4 });
  });
});

describe('parseNftJson', () => {
  it('reads Docker 29.7.2 tables, base chains, verdict maps and rules with positions', () => {
    const r = parseNftJson(fixture('usernet-portmap'), { file: 'ruleset.json' });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const t = r.value!.tables[0]!;
    expect([t.family, t.name]).toEqual(['ip', 'docker-bridges']);
    expect(r.value!.version).toBe('1.0.6');
    const fwd = t.chains.find((c) => c.name === 'filter-FORWARD')!;
    expect(fwd.base).toEqual({ type: 'filter', hook: 'forward', prio: 0, policy: 'accept' });
    expect(t.chains.find((c) => c.name === 'raw-PREROUTING')!.base!.prio).toBe(-300);
    expect(fwd.rules[0]!.expr[0]!.kind).toBe('vmap');
    expect(fwd.rules[0]!.expr[0]!.pos.file).toBe('ruleset.json');
    expect(fwd.rules[0]!.expr[0]!.pos.line).toBeGreaterThan(1);
    const map = t.sets.find((s) => s.name === 'filter-forward-in-jumps')!;
    expect(map.kind).toBe('vmap');
    expect(map.type).toEqual(['ifname']);
    expect(map.elements.map((e) => e.key)).toEqual(['docker0', 'bridge1']);
    const dnat = t.chains.find((c) => c.name === 'nat-prerouting-and-output')!.rules[0]!;
    expect(dnat.comment).toBe('DNAT');
  });

  it('reads every recorded scenario without errors', () => {
    for (const name of [
      'new-daemon',
      'usernet-portmap',
      'usernet-portmap-noicc',
      'usernet-portmap-noproxy',
      'usernet-internal',
      'usernet-portmap-lo',
      'ipv6-portmap',
    ]) {
      const r = parseNftJson(fixture(name), { file: name });
      expect(r.value, name).toBeDefined();
      expect(looksLikeNftJson(fixture(name))).toBe(true);
    }
  });

  it('reads set and map elements: prefixes, ranges, concatenations, {elem: {val}} wrappers', () => {
    const text = JSON.stringify({
      nftables: [
        { table: { family: 'inet', name: 'fw', handle: 1 } },
        {
          set: {
            family: 'inet',
            table: 'fw',
            name: 'allowed',
            type: ['ipv4_addr', 'inet_service'],
            flags: ['interval'],
            elem: [
              { concat: [{ prefix: { addr: '10.0.0.0', len: 8 } }, 22] },
              { elem: { val: { concat: ['192.0.2.1', { range: [80, 90] }] }, comment: 'web' } },
            ],
          },
        },
        {
          map: {
            family: 'inet',
            table: 'fw',
            name: 'm',
            type: 'ipv4_addr',
            map: 'ipv4_addr',
            elem: [['1.1.1.1', '2.2.2.2']],
          },
        },
      ],
    });
    const r = parseNftJson(text, { file: 'f' });
    const [set, map] = r.value!.tables[0]!.sets;
    expect(set!.type).toEqual(['ipv4_addr', 'inet_service']);
    expect(set!.flags).toEqual(['interval']);
    expect(set!.elements[1]!.key).toEqual({ concat: ['192.0.2.1', { range: [80, 90] }] });
    expect(map!.kind).toBe('map');
    expect(map!.elements[0]).toMatchObject({ key: '1.1.1.1', data: '2.2.2.2' });
  });

  it('gives a positioned error for a file that is not JSON (nft list ruleset text)', () => {
    const r = parseNftJson('table ip docker-bridges {\n}\n', { file: 'rules.nft' });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'parse.nft-not-json',
        pos: { file: 'rules.nft', line: 1, column: 1 },
      }),
    ]);
  });

  it('gives positioned errors for JSON of the wrong shape', () => {
    const r = parseNftJson(
      '{"nftables": [\n {"table": {"family": "ip", "name": "t"}},\n {"rule": {"family": "ip", "table": "t", "chain": "nope", "expr": []}}\n]}',
      {
        file: 'x.json',
      },
    );
    expect(r.value).toBeUndefined();
    expect(r.diagnostics[0]).toMatchObject({
      code: 'parse.nft-shape',
      pos: { file: 'x.json', line: 3, column: 11 },
    });
    expect(r.diagnostics[0]!.message).toContain('nope');
    const r2 = parseNftJson('[1, 2]', { file: 'y.json' });
    expect(r2.diagnostics[0]).toMatchObject({ code: 'parse.nft-shape', pos: { line: 1, column: 1 } });
    const r3 = parseNftJson('{"nftables": [{"chain": {"family": "ip", "table": "missing", "name": "c"}}]}', {
      file: 'z',
    });
    expect(r3.diagnostics[0]!.message).toContain('ip missing');
  });
});
