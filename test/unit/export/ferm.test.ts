import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import {
  exportFerm,
  fermRule,
  fermWord,
  sourceFromDesired,
  sourceFromState,
} from '../../../src/export/index.js';
import type { Rule } from '../../../src/model/index.js';
import { canonicalRule, commentOf, parseRuleText, ruleKey } from '../../../src/parse/index.js';
import { toolGate } from '../../helpers/tool-gate.js';
import {
  fixtureRuleset,
  fixtureState,
  inputRulesYaml,
  policyFrom,
  policyText,
  repoFile,
} from '../../helpers/fixtures.js';
import { Netns, netnsUnavailable } from './netns.js';
import { desiredKeys, parseSave, policies, rulesetKeys } from './rule-keys.js';

const EXAMPLE = 'examples/firewalling-docker.yaml';
const SEED07 = 'docker-20.10/07-seed003-wishes-applied';
/** The chains a policy's ferm file preserves for Docker 17.06–27, as `table chain`. */
const PRESERVED_17_27 = [
  'filter FORWARD',
  'filter DOCKER',
  'filter DOCKER-ISOLATION-STAGE-1',
  'filter DOCKER-ISOLATION-STAGE-2',
  'nat DOCKER',
  'nat PREROUTING',
  'nat OUTPUT',
  'nat POSTROUTING',
];

function rule(text: string, family: 'ipv4' | 'ipv6' = 'ipv4'): Rule {
  const r = parseRuleText(text, { family, file: 't', line: 1, column: 1 });
  if (!r.value) throw new Error(JSON.stringify(r.diagnostics));
  return canonicalRule(r.value, family);
}

function ferm(text: string): string {
  const r = fermRule(rule(text));
  if ('problem' in r) throw new Error(r.problem);
  return r.text;
}

describe('ferm syntax', () => {
  it('quotes only what ferm would not read as one word', () => {
    expect(fermWord('dockwall:filter/ssh')).toBe('dockwall:filter/ssh');
    expect(fermWord('a b')).toBe("'a b'");
    expect(fermWord('a,b')).toBe("'a,b'");
    expect(fermWord("it's")).toBe('"it\'s"');
    expect(fermWord(`it's $HOME "x"`)).toBe(`@cat('it', "'", 's $HOME "x"')`);
  });

  it('writes generic options, protocol matches, modules and targets in ferm keywords', () => {
    expect(ferm('! -s 10.0.0.0/8 -i eth0 -p tcp --dport 22 -j ACCEPT')).toBe(
      'saddr ! 10.0.0.0/8 interface eth0 proto tcp dport 22 ACCEPT;',
    );
    expect(ferm('-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN')).toBe(
      'mod conntrack ctstate (RELATED ESTABLISHED) RETURN;',
    );
    expect(
      ferm(
        '! -i docker0 -o docker0 -m set ! --match-set allowed_hosts src -j REJECT --reject-with icmp-port-unreachable',
      ),
    ).toBe(
      'interface ! docker0 outerface docker0 mod set match-set ! allowed_hosts src REJECT reject-with icmp-port-unreachable;',
    );
    expect(ferm('-p tcp -m multiport --dports 22,80:90 -j ACCEPT')).toBe(
      'proto tcp mod multiport destination-ports (22 80:90) ACCEPT;',
    );
    expect(ferm('-p tcp --syn -j DROP')).toBe('proto tcp tcp-flags (FIN SYN RST ACK) SYN DROP;');
    expect(ferm('-m comment --comment "a b" -g DOCKWALL-X')).toBe(
      "mod comment comment 'a b' goto DOCKWALL-X;",
    );
    expect(ferm('-s 1.2.3.4')).toBe('saddr 1.2.3.4/32 NOP;');
    expect(ferm('! -f -j DROP')).toBe('! fragment DROP;');
  });

  it('reports what ferm has no keyword for instead of guessing', () => {
    expect(fermRule(rule('-p tcp -m conntrack --ctrepldstport 80 -j ACCEPT'))).toEqual({
      problem: 'ferm has no keyword for --ctrepldstport of -m conntrack',
    });
    expect(fermRule(rule('-m ttl --ttl-lt 5 -j DROP'))).toEqual({ text: 'mod ttl ttl-lt 5 DROP;' });
    expect(fermRule(rule('-m ttl ! --ttl-lt 5 -j DROP'))).toEqual({
      problem: 'ferm cannot negate --ttl-lt of -m ttl',
    });
  });
});

describe('export --format ferm', () => {
  it("from a policy: dockwall's chains as ferm rules, Docker's chains and FORWARD/nat preserved", () => {
    const res = exportFerm(sourceFromDesired(compileDesired(policyFrom(EXAMPLE)), EXAMPLE));
    // The shared filter covers IPv6 too, where Docker before 23 writes no jump to DOCKER-USER.
    expect(res.diagnostics.map((d) => d.code)).toEqual(['export.ipv6-docker-user-jump']);
    const text = res.parts![0]!.text;
    expect(text).toContain(
      '        chain (DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 FORWARD) @preserve;',
    );
    expect(text).toContain('        chain (DOCKER PREROUTING OUTPUT POSTROUTING) @preserve;');
    expect(text).toContain("@hook pre 'ipset -exist create allowed_hosts hash:ip family inet';");
    expect(text).toMatch(/chain INPUT \{\n {12}policy DROP;\n/);
  });

  it('--docker-layout 28 preserves the Docker 28 chains and raw PREROUTING', () => {
    const res = exportFerm(sourceFromDesired(compileDesired(policyFrom(EXAMPLE)), EXAMPLE), {
      dockerLayout: '28',
    });
    expect(res.parts![0]!.text).toContain(
      'chain (DOCKER DOCKER-BRIDGE DOCKER-CT DOCKER-FORWARD DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 FORWARD) @preserve;',
    );
    expect(res.parts![0]!.text).toMatch(/table raw \{\n {8}chain \(PREROUTING\) @preserve;/);
  });

  it('a rule that cannot keep its meaning in DOCKER-USER is an error naming it and saying why', () => {
    const p = policyText(
      [
        'pyfw_wishes:',
        '  iptables:',
        '    filter:',
        '      FORWARD:',
        '        rules:',
        '        - back: -s 10.0.0.0/8 -j RETURN',
        '        - ok: -s 10.1.0.0/16 -j DROP',
        '    nat:',
        '      DOCKER:',
        '        rules:',
        '        - map: -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.9:80',
        '',
      ].join('\n'),
    );
    const res = exportFerm(sourceFromDesired(compileDesired(p), 'wishes.yaml'));
    expect(res.parts).toBeUndefined();
    const errors = res.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.message.split(':')[0]])).toEqual([
      ['export.ferm-preserved-chain', 'ipv4 nat DOCKER rule "map"'],
      ['export.ferm-preserved-chain', 'ipv4 filter FORWARD rule "back"'],
    ]);
    expect(errors[1]!.message).toContain(
      "the rule cannot move to DOCKER-USER: the rule ends in -j RETURN, which in FORWARD falls to FORWARD's policy but in DOCKER-USER hands the packet to Docker's rules",
    );
    expect(res.diagnostics.find((d) => d.code === 'export.ferm-moved-to-docker-user')?.message).toMatch(
      /^ipv4 filter FORWARD rule "ok" is written in DOCKER-USER/,
    );
  });

  it('a rule ferm cannot express is an error naming the rule', () => {
    const p = policyText(inputRulesYaml('odd: -p tcp -m conntrack --ctrepldstport 80 -j ACCEPT'));
    const res = exportFerm(sourceFromDesired(compileDesired(p), 'odd.yaml'));
    expect(res.parts).toBeUndefined();
    expect(res.diagnostics[0]!.message).toBe(
      'ipv4 filter INPUT rule "odd" cannot be written for ferm: ferm has no keyword for --ctrepldstport of -m conntrack',
    );
  });
});

const skip = netnsUnavailable(['ferm', 'iptables-legacy-restore', 'ipset']);

describe.skipIf(skip)("Debian's ferm reads the exported files", () => {
  let ns: Netns;
  let dir: string;
  beforeAll(() => {
    ns = new Netns();
    dir = mkdtempSync(join(tmpdir(), 'dockwall-ferm-'));
    // Docker's rules as dockerd left them (fixture 07), in the legacy tables ferm works on.
    ns.run(['ipset', 'restore'], repoFile(`test/fixtures/${SEED07}.ipset-save`));
    ns.run(['iptables-legacy-restore'], repoFile(`test/fixtures/${SEED07}.iptables-save`));
  });
  afterAll(() => ns?.destroy());

  /** What ferm would load: its iptables-restore input, parsed (ipset hook lines dropped). */
  function fermLines(name: string, text: string, extra: string[] = []): { out: string; hooks: string[] } {
    const file = join(dir, name);
    writeFileSync(file, text);
    const out = ns.run(['ferm', '--noexec', '--lines', ...extra, file]);
    return {
      out: out
        .split('\n')
        .filter((l) => !l.startsWith('ipset '))
        .join('\n'),
      hooks: out.split('\n').filter((l) => l.startsWith('ipset ')),
    };
  }

  it("the policy's file: ferm would load exactly dockwall's rules, and Docker's as they are", () => {
    const desired = compileDesired(policyFrom(EXAMPLE));
    const res = exportFerm(sourceFromDesired(desired, EXAMPLE));
    const { out: both, hooks } = fermLines('policy.ferm', res.parts![0]!.text);
    expect(hooks[0]).toBe('ipset -exist create allowed_hosts hash:ip family inet');
    // ferm prints one save file per domain: ip, then ip6 (the shared filter covers both).
    const [out = '', out6 = ''] = both.split(/^(?=# Generated by ferm)/m).filter((x) => x.trim() !== '');
    const loaded = rulesetKeys(parseSave(out));
    const want = desiredKeys(desired, 'ipv4');
    want.set('filter DOCKER-USER', [...want.get('filter DOCKER-USER')!, '-j RETURN']);
    for (const [chain, rules] of want) expect(loaded.get(chain), chain).toEqual(rules);
    const loaded6 = rulesetKeys(parseSave(out6, 'ipv6'));
    for (const [chain, rules] of desiredKeys(desired, 'ipv6')) {
      if (chain !== 'filter DOCKER-USER') expect(loaded6.get(chain), chain).toEqual(rules);
    }
    const docker = rulesetKeys(fixtureRuleset(`${SEED07}.iptables-save`));
    for (const chain of PRESERVED_17_27) {
      expect(loaded.get(chain), chain).toEqual(docker.get(chain));
    }
    expect(policies(parseSave(out)).get('filter INPUT')).toBe('DROP');
  });

  it('fixture 07 as a dump: what ferm would load is the dump itself, chain by chain', () => {
    const res = exportFerm(
      sourceFromState(fixtureState(`${SEED07}.iptables-save`, `${SEED07}.ipset-save`), '07'),
    );
    const { out } = fermLines('dump.ferm', res.parts![0]!.text);
    const loaded = parseSave(out);
    const dump = fixtureRuleset(`${SEED07}.iptables-save`);
    expect(rulesetKeys(loaded)).toEqual(rulesetKeys(dump));
    expect(policies(loaded)).toEqual(policies(dump));
  });

  it('loading it for real keeps every Docker rule', () => {
    const res = exportFerm(sourceFromDesired(compileDesired(policyFrom(EXAMPLE)), EXAMPLE));
    const file = join(dir, 'load.ferm');
    writeFileSync(file, res.parts![0]!.text);
    const before = rulesetKeys(parseSave(ns.run(['iptables-legacy-save'])));
    ns.run(['ferm', file]);
    const after = rulesetKeys(parseSave(ns.run(['iptables-legacy-save'])));
    for (const chain of ['filter FORWARD', 'filter DOCKER', 'nat DOCKER', 'nat POSTROUTING'])
      expect(after.get(chain)).toEqual(before.get(chain));
    expect(after.get('filter DOCKWALL-FILTER')).toHaveLength(4);
    expect(ns.run(['ipset', 'list', 'allowed_hosts'])).toContain('192.168.122.193');
  });

  it("@preserve needs ferm's fast mode: --slow refuses the file", () => {
    const res = exportFerm(sourceFromDesired(compileDesired(policyFrom(EXAMPLE)), EXAMPLE));
    const file = join(dir, 'slow.ferm');
    writeFileSync(file, res.parts![0]!.text);
    const r = ns.exec(['ferm', '--noexec', '--lines', '--slow', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('@preserve not implemented for --slow mode');
  });
});

const FIXTURES = [
  '01-idle.iptables-save',
  '02-one-published-port.iptables-save',
  '03-custom-network-multi-ports.iptables-save',
  '04-internal-network.iptables-save',
  '05-port-range-with-counters.iptables-save',
  '06-icc-false-no-userland-proxy-ipv6.iptables-save',
  '06-icc-false-no-userland-proxy-ipv6.ip6tables-save',
  '08-seed003-after-docker-restart.iptables-save',
];

describe.skipIf(skip)("Docker's fixtures as dumps: ferm would load each one exactly", () => {
  for (const name of FIXTURES) {
    it(name, () => {
      const ns = new Netns();
      try {
        const v6 = name.endsWith('ip6tables-save');
        const rs = fixtureRuleset(`docker-20.10/${name}`);
        const sets = name.startsWith('08') ? repoFile(`test/fixtures/${SEED07}.ipset-save`) : '';
        if (sets) ns.run(['ipset', 'restore'], sets);
        ns.run(
          [v6 ? 'ip6tables-legacy-restore' : 'iptables-legacy-restore'],
          repoFile(`test/fixtures/docker-20.10/${name}`),
        );
        const state = {
          rulesets: { [rs.family]: rs },
          sets: sets ? fixtureState(`${SEED07}.iptables-save`, `${SEED07}.ipset-save`).sets : { sets: [] },
        };
        const res = exportFerm(sourceFromState(state, name));
        expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        const dir = mkdtempSync(join(tmpdir(), 'dockwall-ferm-'));
        writeFileSync(join(dir, 'f.ferm'), res.parts![0]!.text);
        const out = ns.run(['ferm', '--noexec', '--lines', join(dir, 'f.ferm')]);
        const loaded = parseSave(
          out
            .split('\n')
            .filter((l) => !l.startsWith('ipset '))
            .join('\n'),
          rs.family,
        );
        expect(rulesetKeys(loaded)).toEqual(rulesetKeys(rs));
        expect(policies(loaded)).toEqual(policies(rs));
        expect(res.parts![0]!.text).toContain('@preserve;');
      } finally {
        ns.destroy();
      }
    });
  }
});

const fermGate = toolGate('ferm', 'ferm');
const nsSkip = netnsUnavailable(['iptables-legacy-restore']);
const PURE_DOCKER = 'docker-20.10/02-one-published-port.iptables-save';

describe.skipIf(fermGate.skip || nsSkip !== undefined)(
  "Debian's ferm reads the seed's pyfw wishes exported for it",
  () => {
    let ns: Netns;
    beforeAll(() => {
      fermGate.assertAvailable();
      ns = new Netns();
      // Docker's rules alone, as dockerd writes them, in the legacy tables ferm works on.
      ns.run(['iptables-legacy-restore'], repoFile(`test/fixtures/${PURE_DOCKER}`));
    });
    afterAll(() => ns?.destroy());

    it("ferm --noexec --lines loads the four named rules and INPUT's DROP policy, Docker's chains preserved", () => {
      const seed = 'examples/pyfw-wishes-firewalling-docker.yaml';
      const res = exportFerm(sourceFromDesired(compileDesired(policyFrom(seed)), seed));
      const text = res.parts![0]!.text;
      expect(text).toContain(
        'chain (DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 FORWARD) @preserve;',
      );
      expect(text).toContain('chain (DOCKER PREROUTING OUTPUT POSTROUTING) @preserve;');
      const file = join(mkdtempSync(join(tmpdir(), 'dockwall-ferm-')), 'seed.ferm');
      writeFileSync(file, text);
      const out = ns.run(['ferm', '--noexec', '--lines', file]);
      const loaded = parseSave(
        out
          .split('\n')
          .filter((l) => !l.startsWith('ipset '))
          .join('\n'),
      );
      const chain = (table: string, name: string) =>
        loaded.tables.find((t) => t.name === table)?.chains.find((c) => c.name === name);
      const named = (table: string, name: string) =>
        chain(table, name)!.rules.map((r) => commentOf(r) ?? ruleKey(r, 'ipv4'));
      expect(chain('filter', 'INPUT')!.policy).toBe('DROP');
      expect(named('filter', 'INPUT')).toEqual(['allow_established', 'allow_ssh', 'allow_inter_docker']);
      expect(named('filter', 'DOCKER-USER')).toEqual([
        'allow_established',
        'allowed_hosts_only',
        '-j RETURN',
      ]);
      expect(ruleKey(chain('filter', 'DOCKER-USER')!.rules[1]!, 'ipv4')).toContain('--ctstate DNAT');
      const docker = rulesetKeys(fixtureRuleset(PURE_DOCKER));
      const got = rulesetKeys(loaded);
      for (const c of PRESERVED_17_27) expect(got.get(c), c).toEqual(docker.get(c));
      expect(policies(loaded).get('filter FORWARD')).toBe('DROP');
    });
  },
);
