import { describe, expect, it } from 'vitest';
import { compileDesired, tagFor } from '../../../src/compile/index.js';
import { findChain } from '../../../src/model/index.js';
import { importPyfw } from '../../../src/migrate/index.js';
import { parseRuleText, ruleKey, withComment } from '../../../src/parse/index.js';
import { applyPlanToState, planChanges } from '../../../src/plan/index.js';
import { loadPolicy } from '../../../src/policy/index.js';
import { fixtureState, repoFile } from '../../helpers/fixtures.js';

const SEED = 'examples/pyfw-wishes-firewalling-docker.yaml';
const SEED07 = 'docker-20.10/07-seed003-wishes-applied';
const CONVERTED =
  '! -i docker0 -o docker0 -m conntrack --ctstate DNAT -m set ! --match-set allowed_hosts src -j REJECT --reject-with icmp-port-unreachable';

function imported(text: string, file = 'wishes.yaml') {
  const res = importPyfw(text, file, 'out.yaml');
  if (!res.value) throw new Error(JSON.stringify(res.diagnostics, null, 1));
  const loaded = loadPolicy(res.value.yaml, 'out.yaml');
  return { yaml: res.value.yaml, diagnostics: res.diagnostics, loaded };
}

function wishes(chains: string): string {
  return ['pyfw_wishes:', '  iptables:', '    filter:', chains, ''].join('\n');
}

describe('dockwall import pyfw', () => {
  it("converts the seed's wishes file into a native policy that loads without errors or warnings", () => {
    const { yaml, loaded } = imported(repoFile(SEED), SEED);
    expect(loaded.diagnostics).toEqual([]);
    const policy = loaded.value!;
    expect(policy.format).toBe('dockwall');
    expect(policy.ipsets.map((s) => [s.name, s.type, s.members])).toEqual([
      ['allowed_hosts', 'hash:ip', ['192.168.122.193']],
    ]);
    const filter = policy.families.ipv4!.tables.find((t) => t.name === 'filter')!;
    expect(filter.chains.map((c) => [c.name, c.policy, c.rules.map((r) => r.name)])).toEqual([
      ['INPUT', 'DROP', ['allow_established', 'allow_ssh', 'allow_inter_docker']],
      ['FORWARD', 'DROP', ['allow_established']],
      ['DOCKER-USER', undefined, ['allowed_hosts_only']],
    ]);
    expect(filter.chains[2]!.rules[0]!.text).toBe(CONVERTED);
    expect(filter.chains[0]!.rules[1]!.text).toBe('-p tcp -m tcp --dport 22 -j ACCEPT');
    expect(yaml).not.toMatch(/^\s+DOCKER:/m);
    expect(yaml).not.toMatch(/^\s+- \w+: .*--comment/m);
  });

  it('explains each change: in comments of the YAML and as info diagnostics at the pyfw rule', () => {
    const { yaml, diagnostics } = imported(repoFile(SEED), SEED);
    expect(diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    const moved = diagnostics.find((d) => d.code === 'import.moved-to-docker-user')!;
    expect(moved.pos).toMatchObject({ file: SEED, line: 22 });
    expect(moved.message).toContain('`-m conntrack --ctstate DNAT` limits the rule to connections');
    expect(moved.message).toContain(
      'Packets routed straight to a container address, without DNAT, were matched in DOCKER and are not now.',
    );
    expect(diagnostics.filter((d) => d.code === 'import.comment-dropped').map((d) => d.pos?.line)).toEqual([
      13, 14, 15, 19, 22,
    ]);
    expect(yaml).toMatch(
      / {8}# Moved from DOCKER, which dockerd flushes whenever it restarts, to DOCKER-USER\. In DOCKER\n/,
    );
    expect(yaml).toContain(
      '#   iptables -t filter -D DOCKER ! -i docker0 -o docker0 -m set ! --match-set allowed_hosts src -m comment --comment allowed_hosts_only -j REJECT --reject-with icmp-port-unreachable',
    );
  });

  it('planned against fixture 07, the result has the converted rule, tagged, at the top of DOCKER-USER', () => {
    const { loaded } = imported(repoFile(SEED), SEED);
    const state = fixtureState(`${SEED07}.iptables-save`, `${SEED07}.ipset-save`);
    const desired = compileDesired(loaded.value!);
    const plan = planChanges(state, desired);
    const after = applyPlanToState(state, plan);
    expect(after.diagnostics).toEqual([]);
    const user = findChain(after.state.rulesets.ipv4!, 'filter', 'DOCKER-USER')!;
    const want = ruleKey(
      withComment(
        parseRuleText(CONVERTED, { family: 'ipv4', file: 't', line: 1, column: 1 }).value!,
        tagFor('allowed_hosts_only'),
      ),
      'ipv4',
    );
    expect(user.rules.map((r) => ruleKey(r, 'ipv4'))).toEqual([want, '-j RETURN']);
    // Planning again on the result changes nothing.
    expect(planChanges(after.state, desired).operations).toEqual([]);
  });

  it("a DOCKER rule without -o also gets --ctdir ORIGINAL, so the containers' answers are not matched", () => {
    const { loaded, diagnostics } = imported(
      wishes('      DOCKER:\n        rules:\n        - only_lan: -m set ! --match-set lan src -j DROP'),
    );
    expect(loaded.value!.families.ipv4!.tables[0]!.chains[0]!.rules[0]!.text).toBe(
      '-m conntrack --ctstate DNAT --ctdir ORIGINAL -m set ! --match-set lan src -j DROP',
    );
    const moved = diagnostics.find((d) => d.code === 'import.moved-to-docker-user')!;
    expect(moved.message).toContain(
      "`--ctdir ORIGINAL` keeps it to packets from the client, not the container's answers",
    );
  });

  it('leaves out what cannot keep its meaning in DOCKER-USER, with a warning: RETURN, jumps, nat DOCKER, isolation chains', () => {
    const text = [
      'pyfw_wishes:',
      '  iptables:',
      '    filter:',
      '      DOCKER:',
      '        rules:',
      '        - skip: -s 10.0.0.1 -j RETURN',
      '      DOCKER-ISOLATION-STAGE-1:',
      '        rules:',
      '        - iso: -i docker0 -j DROP',
      '      INPUT:',
      '        rules:',
      '        - ssh: -p tcp --dport 22 -j ACCEPT',
      '    nat:',
      '      DOCKER:',
      '        rules:',
      '        - map: -p tcp --dport 81 -j DNAT --to-destination 172.17.0.9:80',
      '',
    ].join('\n');
    const { loaded, diagnostics } = imported(text);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(diagnostics.filter((d) => d.severity === 'warning').map((d) => [d.code, d.pos?.line])).toEqual([
      ['import.left-out', 6],
      ['import.left-out', 9],
      ['import.left-out', 16],
    ]);
    const tables = loaded.value!.families.ipv4!.tables;
    expect(tables.map((t) => [t.name, t.chains.map((c) => c.name)])).toEqual([['filter', ['INPUT']]]);
  });

  it('a moved rule whose name DOCKER-USER already has gets another name, and says so', () => {
    const { loaded, yaml } = imported(
      wishes(
        '      DOCKER-USER:\n        rules:\n        - block: -s 10.0.0.1 -j DROP\n      DOCKER:\n        rules:\n        - block: -s 10.0.0.2 -o docker0 -j DROP',
      ),
    );
    const user = loaded.value!.families.ipv4!.tables[0]!.chains.find((c) => c.name === 'DOCKER-USER')!;
    expect(user.rules.map((r) => [r.name, r.text])).toEqual([
      ['block', '-s 10.0.0.1 -j DROP'],
      ['block-2', '-s 10.0.0.2 -o docker0 -m conntrack --ctstate DNAT -j DROP'],
    ]);
    expect(yaml).toContain('# Named "block" in the pyfw file.');
  });

  it('ipv6 rules, set headers and set families carry over', () => {
    const text = [
      'pyfw_wishes:',
      '  ipsets:',
      '    v6hosts:',
      '      type: hash:net',
      '      header: family inet6 hashsize 1024 maxelem 65536',
      '      members_equal: ["fd00::/64", "2001:db8::1"]',
      '  ip6tables:',
      '    filter:',
      '      INPUT:',
      '        default_action: DROP',
      '        rules:',
      '        - from_v6hosts: -m set --match-set v6hosts src -m comment --comment from_v6hosts -j ACCEPT',
      '',
    ].join('\n');
    const { loaded, yaml } = imported(text);
    expect(loaded.diagnostics).toEqual([]);
    const set = loaded.value!.ipsets[0]!;
    expect([set.family, set.options, set.members]).toEqual([
      'inet6',
      [
        ['hashsize', '1024'],
        ['maxelem', '65536'],
      ],
      ['fd00::/64', '2001:db8::1'],
    ]);
    expect(loaded.value!.families.ipv6!.tables[0]!.chains[0]!.rules[0]!.text).toBe(
      '-m set --match-set v6hosts src -j ACCEPT',
    );
    expect(yaml).toContain('ip6tables -t filter -D INPUT');
  });

  it('refuses a file that is not a pyfw wishes file, and passes on load errors', () => {
    const native = importPyfw('dockwall: 1\n', 'native.yaml');
    expect(native.value).toBeUndefined();
    expect(native.diagnostics.map((d) => d.code)).toEqual(['import.not-pyfw']);
    const broken = importPyfw(wishes('      INPUT:\n        default_action: MAYBE'), 'bad.yaml');
    expect(broken.value).toBeUndefined();
    expect(broken.diagnostics.some((d) => d.severity === 'error' && d.pos?.file === 'bad.yaml')).toBe(true);
  });
});
