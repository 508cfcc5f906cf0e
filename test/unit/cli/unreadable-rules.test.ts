import { describe, expect, it } from 'vitest';
import { parseKernelText, UNREADABLE_RULE_COMMENT } from '../../../src/cli/unreadable-rules.js';
import { formatRule, parseIptablesS } from '../../../src/parse/index.js';

const file = 'iptables -t filter -S FORWARD';
const parse = (text: string) =>
  parseKernelText(text, file, (t) => parseIptablesS(t, { file, family: 'ipv4', table: 'filter' }));

/**
 * Issue 11 item 6: dockerd 20.10 writes a bridge named `q"x` into its FORWARD rules as it is, and
 * iptables prints it raw. A live read must not fail on another program's rule it cannot read back.
 */
describe("a live read keeps another program's unreadable rule in place and goes on", () => {
  it('turns a foreign rule with a raw quote into an inert stand-in at its place, with a warning', () => {
    const res = parse(
      [
        '-P FORWARD DROP',
        '-A FORWARD -j DOCKER-USER',
        '-A FORWARD -o q"x -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A FORWARD -i q"x ! -o q"x -j ACCEPT',
        '-A FORWARD -o docker0 -j DOCKER',
      ].join('\n'),
    );
    expect(res.value).toBeDefined();
    const rules = res.value!.chains.find((c) => c.name === 'FORWARD')!.rules.map(formatRule);
    expect(rules).toEqual([
      '-j DOCKER-USER',
      `-m comment --comment "${UNREADABLE_RULE_COMMENT}"`,
      `-m comment --comment "${UNREADABLE_RULE_COMMENT}"`,
      '-o docker0 -j DOCKER',
    ]);
    expect(res.diagnostics.map((d) => [d.severity, d.code, d.pos?.line])).toEqual([
      ['warning', 'live.unreadable-rule', 3],
      ['warning', 'live.unreadable-rule', 4],
    ]);
    expect(res.diagnostics[0]!.message).toContain('"-A FORWARD -o q\\"x -m conntrack');
  });

  it("still fails on an unreadable rule that carries dockwall's tag, and on anything that is not a rule", () => {
    const tagged = parse('-A DOCKER-USER -i q"x -m comment --comment "dockwall:x" -j RETURN');
    expect(tagged.value).toBeUndefined();
    const policyLine = parse('-P FORWARD "DROP');
    expect(policyLine.value).toBeUndefined();
  });
});
