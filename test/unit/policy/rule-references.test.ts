import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { checkExtensions } from '../../../src/host/index.js';
import type { HostState } from '../../../src/model/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { missingChainReferences } from '../../../src/plan/index.js';
import { loadPolicy } from '../../../src/policy/index.js';
import { inputRulesYaml } from '../../helpers/fixtures.js';
import { fakeRunner } from '../host/fake-runner.js';
import { brief, FILE, yaml } from './helpers.js';

/**
 * Issue 11, item 5: `-j ACCPET`, `-j DOCKWALL-MISSING` and `-m no_such_module_here` passed validate
 * and plan, and `iptables-nft-restore --test` accepts all three: they failed only at commit.
 */
const native = inputRulesYaml;
const pyfw = (...rules: string[]) =>
  yaml(
    'pyfw_wishes:',
    '  iptables:',
    '    filter:',
    '      INPUT:',
    '        rules:',
    ...rules.map((r) => `          - ${r}`),
  );
const findings = (text: string) =>
  loadPolicy(text, FILE).diagnostics.map((d) => [d.severity, d.code, d.pos?.line, d.pos?.column, d.length]);

describe('validate: unknown targets and modules, and chains that will not exist', () => {
  it('a misspelt target, on its name, with the target it resembles', () => {
    const r = loadPolicy(native('a: -p tcp --dport 22 -j ACCPET'), FILE);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'policy.unknown-target',
        message: 'rule `a`: `-j ACCPET` is neither a target iptables ships nor a chain this policy declares',
        line: 6,
        column: 35,
      },
    ]);
    expect(r.diagnostics[0]!.hint).toBe('did you mean `ACCEPT`?');
  });

  it('a DOCKWALL-* chain the policy does not declare', () => {
    expect(findings(native('b: -j DOCKWALL-MISSING'))).toEqual([
      ['error', 'policy.unknown-chain', 6, 17, 16],
    ]);
    const declared = native('b: -j DOCKWALL-EXTRA') + '    DOCKWALL-EXTRA:\n      rules: []\n';
    expect(findings(declared)).toEqual([]);
  });

  it('a match module iptables does not ship, and one it ships but dockwall does not know', () => {
    expect(findings(native('c: -m no_such_module_here -j ACCEPT'))).toEqual([
      ['error', 'policy.unknown-match', 6, 17, 19],
    ]);
    expect(findings(native('h: -m hashlimit --hashlimit-upto 5/sec --hashlimit-name h -j ACCEPT'))).toEqual(
      [],
    );
    expect(findings(native('i: -p icmp -m icmp --icmp-type 8 -j ACCEPT'))).toEqual([]);
  });

  it('a jump to a built-in chain, a goto to a target', () => {
    expect(findings(native('f: -j INPUT', 'g: -g ACCEPT'))).toEqual([
      ['error', 'policy.jump-to-builtin', 6, 17, 5],
      ['error', 'policy.goto-target', 7, 17, 6],
    ]);
  });

  it("Docker's chains pass; other programs' chains warn; both are left to the plan", () => {
    const r = loadPolicy(native('d: -j DOCKER-USER', 'e: -j f2b-sshd'), FILE);
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.pos?.line])).toEqual([
      ['warning', 'policy.external-chain', 7],
    ]);
    expect(
      r.value!.chainReferences!.map((c) => [c.chain, c.rule, c.target, c.pos?.line, c.pos?.column]),
    ).toEqual([
      ['INPUT', 'd', 'DOCKER-USER', 6, 17],
      ['INPUT', 'e', 'f2b-sshd', 7, 17],
    ]);
  });

  it('pyfw files alike, with `extensions` beside `pyfw_wishes`', () => {
    expect(findings(pyfw('a: -j ACCPET', 'c: -m no_such_module_here -j ACCEPT'))).toEqual([
      ['error', 'policy.unknown-target', 6, 19, 6],
      ['error', 'policy.unknown-match', 7, 19, 19],
    ]);
    const listed = `extensions:\n  matches: [geoip]\n  targets: [TARPIT]\n${pyfw('g: -m geoip --src-cc CN -j TARPIT')}`;
    const r = loadPolicy(listed, FILE);
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.extensions).toMatchObject({ matches: ['geoip'], targets: ['TARPIT'] });
  });

  it('a native policy lists extensions the same way; names are checked', () => {
    const listed = `${native('g: -m geoip --src-cc CN -j DROP')}extensions:\n  matches: [geoip]\n`;
    expect(findings(listed)).toEqual([]);
    expect(findings(`${native('g: -j ACCEPT')}extensions:\n  matches: ["a b"]\n`).map((f) => f[1])).toEqual([
      'policy.invalid',
    ]);
  });
});

describe('plan: a jump to a chain neither declared nor on the host is an error', () => {
  const policy = loadPolicy(native('d: -j DOCKER', 'e: -j f2b-sshd'), FILE).value!;
  const desired = compileDesired(policy);
  const state = (chains: string[]): HostState => ({
    rulesets: {
      ipv4: parseIptablesSave(
        `*filter\n:INPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]\n`).join('')}COMMIT\n`,
        { file: 'dump', family: 'ipv4' },
      ).value!,
    },
    sets: { sets: [] },
  });

  it('names each missing chain at the rule', () => {
    expect(
      missingChainReferences(state(['DOCKER']), desired).map((d) => [
        d.code,
        d.pos?.line,
        d.pos?.column,
        d.message,
      ]),
    ).toEqual([
      [
        'plan.missing-chain',
        7,
        17,
        "rule `e` in INPUT: `-j f2b-sshd` goes to a chain the host's ipv4 filter table does not have and this policy does not make: the transaction would fail when it commits",
      ],
    ]);
    expect(missingChainReferences(state(['DOCKER', 'f2b-sshd']), desired)).toEqual([]);
  });

  it('says nothing about a family the state does not hold', () => {
    expect(missingChainReferences({ rulesets: {}, sets: { sets: [] } }, desired)).toEqual([]);
  });
});

describe('extensions are checked with the host’s iptables', () => {
  it('a match iptables cannot load, a target it does not know, one the kernel lacks', async () => {
    const runner = fakeRunner({
      'iptables -m geoip -h': { code: 2, stderr: "Couldn't load match `geoip':No such file or directory" },
      'iptables -m hashlimit -h': { stdout: 'hashlimit match options:\n' },
      'iptables -j TARPIT -h': {
        stdout: 'iptables v1.8.9\n\nUsage: iptables -[ACD] chain rule-specification\n',
      },
      'iptables -j LED -h': {
        stdout: 'LED target options:\n',
        stderr: 'Warning: Extension LED revision 0 not supported, missing kernel module?\n',
      },
      'iptables -j TRACE -h': { stdout: 'TRACE does not take any options\n' },
    });
    const problems = await checkExtensions(runner, 'ipv4', {
      matches: ['geoip', 'hashlimit'],
      targets: ['TARPIT', 'LED', 'TRACE'],
    });
    expect(problems.map((p) => [p.kind, p.name, p.problem])).toEqual([
      ['match', 'geoip', 'missing'],
      ['target', 'TARPIT', 'missing'],
      ['target', 'LED', 'no-kernel-module'],
    ]);
  });
});
