import { describe, expect, it } from 'vitest';
import type { Rule } from '../../../src/model/index.js';
import { parseIptablesSave, parseRuleText, ruleKey } from '../../../src/parse/index.js';

function dumpRules(body: string[]): Rule[] {
  const text = ['*filter', ':INPUT ACCEPT [0:0]', ...body.map((b) => `-A INPUT ${b}`), 'COMMIT', ''].join(
    '\n',
  );
  const r = parseIptablesSave(text, { file: 'd', family: 'ipv4' });
  if (!r.value) throw new Error(r.diagnostics[0]?.message);
  return r.value.tables[0]!.chains[0]!.rules;
}

function textRule(text: string): Rule {
  const r = parseRuleText(text, { family: 'ipv4', file: 't', line: 1, column: 1 });
  if (!r.value) throw new Error(r.diagnostics[0]?.message);
  return r.value;
}

describe('ruleKey on dump rules (cached per rule)', () => {
  const bodies = ['-s 10.0.0.1/32 -p tcp -m tcp --dport 22 -j ACCEPT', '-d 10.0.0.0/8 -j DROP'];

  it('gives the same key on repeated calls and matches a freshly parsed rule', () => {
    const [a] = dumpRules(bodies);
    const first = ruleKey(a!, 'ipv4');
    expect(ruleKey(a!, 'ipv4')).toBe(first);
    expect(first).toBe(ruleKey(textRule('-p tcp -s 10.0.0.1 --dport 22 -j ACCEPT'), 'ipv4'));
  });

  it('notices when the rule is given other parts after its key was computed', () => {
    const [a, b] = dumpRules(bodies);
    const before = ruleKey(a!, 'ipv4');
    a!.generic = b!.generic;
    const after = ruleKey(a!, 'ipv4');
    expect(after).not.toBe(before);
    expect(after).toBe('-d 10.0.0.0/8 -m tcp --dport 22 -j ACCEPT');
    a!.generic = [...a!.generic];
    a!.generic[0] = dumpRules(['-d 192.168.0.0/16 -j DROP'])[0]!.generic[0]!;
    expect(ruleKey(a!, 'ipv4')).toBe('-d 192.168.0.0/16 -m tcp --dport 22 -j ACCEPT');
    a!.target = b!.target;
    expect(ruleKey(a!, 'ipv4')).toBe('-d 192.168.0.0/16 -m tcp --dport 22 -j DROP');
  });

  it('keys each family separately', () => {
    const [a] = dumpRules(['-p tcp -j ACCEPT']);
    const v4 = ruleKey(a!, 'ipv4');
    expect(ruleKey(a!, 'ipv6')).toBe(v4);
    expect(ruleKey(a!, 'ipv4')).toBe(v4);
  });

  it('keeps the cache out of sight of equality and JSON', () => {
    const [a] = dumpRules(bodies);
    const copy = structuredClone(a!);
    const keys = Object.keys(a!);
    ruleKey(a!, 'ipv4');
    expect(a).toStrictEqual(copy);
    expect(Object.keys(a!)).toEqual(keys);
    expect(JSON.parse(JSON.stringify(a))).toEqual(copy);
  });

  it('does not cache rules whose options can still change', () => {
    const r = textRule('-s 10.0.0.1 -j ACCEPT');
    expect(ruleKey(r, 'ipv4')).toBe('-s 10.0.0.1/32 -j ACCEPT');
    if (!Object.isFrozen(r.generic[0])) {
      r.generic[0]!.args[0] = { text: '10.0.0.2', quoted: false };
      expect(ruleKey(r, 'ipv4')).toBe('-s 10.0.0.2/32 -j ACCEPT');
    }
  });
});
