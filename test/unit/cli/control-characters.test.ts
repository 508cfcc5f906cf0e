import { describe, expect, it } from 'vitest';
import { renderDiagnostics } from '../../../src/cli/render-diagnostics.js';
import { compileDesired } from '../../../src/compile/index.js';
import { diag, terminalSafe } from '../../../src/model/index.js';
import type { HostState } from '../../../src/model/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { NO_PAINT, planChanges, renderPlanText } from '../../../src/plan/index.js';
import { loadPolicy } from '../../../src/policy/index.js';
import { renderTrace, simulate } from '../../../src/sim/trace.js';
import { brief } from '../policy/helpers.js';

/**
 * Issue 11, item 8: ESC sequences in comments and line breaks in names reached the terminal raw in
 * the plan shown before "Apply these changes?", so lines could be hidden or forged.
 */
const ESC = '\u001b';
/** A control character other than a line break or tab. */
const raw = (text: string) =>
  [...text].some((c) => {
    const n = c.charCodeAt(0);
    return (n < 32 && n !== 10 && n !== 9) || (n >= 0x7f && n <= 0x9f);
  });

describe('human output shows control characters escaped', () => {
  const policy = loadPolicy(
    [
      'pyfw_wishes:',
      '  iptables:',
      '    filter:',
      '      INPUT:',
      '        rules:',
      '          - ok: "-p tcp --dport 22 -m comment --comment \\"ok\\e[2K\\e[1A\\" -j ACCEPT"',
      '',
    ].join('\n'),
    'wishes.yaml',
  );
  const live = parseIptablesSave(
    `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "old${ESC}[2Jrule" -j DROP\nCOMMIT\n`,
    { file: 'dump', family: 'ipv4' },
  ).value!;

  it('in the plan: a new rule’s comment and a live rule’s comment', () => {
    expect(policy.value).toBeDefined();
    const state: HostState = { rulesets: { ipv4: live }, sets: { sets: [] } };
    const plan = planChanges(state, compileDesired(policy.value!));
    expect(plan.operations.some((o) => 'rule' in o && o.rule.includes(ESC))).toBe(true);
    const text = renderPlanText(plan, NO_PAINT);
    expect(raw(text)).toBe(false);
    expect(text).toContain('--comment "ok\\u001b[2K\\u001b[1A"');
  });

  it('in diagnostics: message, hint and the source excerpt', () => {
    const d = diag('error', 'x.y', `bad ${ESC}[2J`, { file: 'f', line: 1, column: 1 }, { hint: `h${ESC}` });
    const text = renderDiagnostics([d], new Map([['f', `line${ESC}[8m one`]]), NO_PAINT);
    expect(raw(text)).toBe(false);
    expect(text).toContain('bad \\u001b[2J');
  });

  it('in a trace: the deciding rule’s comment', () => {
    const trace = simulate(
      { rulesets: { ipv4: live }, host: { interfaces: [{ name: 'eth0', addresses: ['10.0.0.2/24'] }] } },
      { family: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', dport: 22, in: 'eth0' },
    );
    expect(JSON.stringify(trace)).toContain('\\u001b[2J');
    const text = renderTrace(trace).join('\n');
    expect(raw(text)).toBe(false);
    expect(text).toContain('old\\u001b[2Jrule');
  });

  it('terminalSafe keeps line breaks, tabs and the CLI’s own colours, and escapes the rest', () => {
    expect(terminalSafe(`${ESC}[31mred${ESC}[39m\t${ESC}[8mhidden\n\u202e`)).toBe(
      `${ESC}[31mred${ESC}[39m\t\\u001b[8mhidden\n\\u202e`,
    );
  });
});

describe('names cannot hold control characters', () => {
  it('a pyfw rule name with a line break, an expectation name with an ESC', () => {
    const pyfw = loadPolicy(
      'pyfw_wishes:\n  iptables:\n    filter:\n      INPUT:\n        rules:\n          - "a\\nb": -j ACCEPT\n',
      'p.yaml',
    );
    expect(pyfw.diagnostics.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'policy.control-character',
        message: 'the key `a\\nb` holds a control character: names are printed in plans and logs',
        line: 6,
        column: 13,
      },
    ]);
    const native = loadPolicy(
      'dockwall: 1\nexpect:\n  - name: "x\\e[2J"\n    from: 10.0.0.1\n    to: 10.0.0.2:22\n    verdict: accept\n',
      'n.yaml',
    );
    expect(native.diagnostics.map((d) => [d.code, d.pos?.line, d.pos?.column])).toEqual([
      ['policy.control-character', 3, 11],
    ]);
  });
});
