import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { inputRulesYaml } from '../../helpers/fixtures.js';
import { errorsOf, FILE, yaml } from './helpers.js';

const err = (code: string, message: string, line: number, column: number) => ({
  severity: 'error',
  code,
  message,
  line,
  column,
});

/** A native policy with one INPUT rule (line 5). */
const withRule = (rule: string) => inputRulesYaml(rule);

describe('YAML problems', () => {
  it('reports malformed YAML where yaml found it', () => {
    expect(errorsOf(yaml('dockwall: 1', 'ipsets: [a, b', 'filter: {}'))).toEqual([
      err(
        'yaml.bad-indent',
        'YAML: flow sequence in block collection must be sufficiently indented and end with a ]',
        3,
        1,
      ),
    ]);
  });

  it('reports a duplicate key on the second one', () => {
    expect(errorsOf(yaml('dockwall: 1', 'filter:', '  interfaces: [eth0]', '  interfaces: [eth1]'))).toEqual([
      err(
        'yaml.duplicate-key',
        'this key is already defined above in the same map (YAML keys must be unique)',
        4,
        3,
      ),
    ]);
  });

  it('reports an empty file and a file that is not a map', () => {
    expect(errorsOf('')).toEqual([err('policy.empty', 'the policy file is empty', 1, 1)]);
    expect(errorsOf('- dockwall\n')).toEqual([
      err(
        'policy.not-a-map',
        'a policy file is a map of sections (`dockwall: 1`, `ipsets:`, `filter:` ...)',
        1,
        1,
      ),
    ]);
  });
});

describe('shape problems', () => {
  it('reports an unknown key on the key, with a suggestion', () => {
    const r = loadPolicy(yaml('dockwall: 1', 'filter:', '  interfaces: [eth0]', '  otherwize: reject'), FILE);
    expect(
      r.diagnostics.map((d) => [d.code, d.message, d.pos?.line, d.pos?.column, d.length, d.hint]),
    ).toEqual([
      ['policy.unknown-key', 'unknown key `otherwize` in `filter`', 4, 3, 9, 'did you mean `otherwise`?'],
    ]);
  });

  it('reports a wrong type on the value', () => {
    expect(errorsOf(yaml('dockwall: 1', 'filter:', '  interfaces: eth0'))).toEqual([
      err('policy.wrong-type', '`filter.interfaces` must be a list, found the text "eth0"', 3, 15),
    ]);
  });

  it('reports a bad enum value, listing the allowed ones', () => {
    expect(errorsOf(yaml('dockwall: 1', 'filter:', '  interfaces: [eth0]', '  otherwise: deny'))).toEqual([
      err(
        'policy.bad-value',
        '`filter.otherwise` must be one of `drop`, `reject`, found the text "deny"',
        4,
        14,
      ),
    ]);
  });

  it('reports a missing or unsupported format version', () => {
    expect(errorsOf(yaml('filter: {interfaces: [eth0]}'))).toEqual([
      err('policy.missing-key', 'missing required key `dockwall`', 1, 1),
    ]);
    expect(errorsOf(yaml('dockwall: 2'))).toEqual([
      err(
        'policy.unsupported-version',
        '`dockwall` must be 1, the format version this dockwall reads, found the number 2',
        1,
        11,
      ),
    ]);
  });

  it('reports a missing key on the entry that lacks it', () => {
    expect(errorsOf(yaml('dockwall: 1', 'ipsets:', '  allowed_hosts:', '    members: [10.0.0.1]'))).toEqual([
      err('policy.missing-key', 'missing required key `type` in `ipsets.allowed_hosts`', 3, 3),
    ]);
  });

  it('reports a bad port, as a number and as a range', () => {
    expect(
      errorsOf(
        yaml(
          'dockwall: 1',
          'filter:',
          '  interfaces: [eth0]',
          '  allow:',
          '    - name: web',
          '      ports: [80, 70000]',
        ),
      ),
    ).toEqual([
      err(
        'policy.invalid',
        '`filter.allow[0].ports[1]`: a port is a number from 1 to 65535, or a range `LOW:HIGH`, found the number 70000',
        6,
        19,
      ),
    ]);
    expect(
      errorsOf(
        yaml(
          'dockwall: 1',
          'filter:',
          '  interfaces: [eth0]',
          '  allow:',
          '    - name: web',
          '      ports: ["9000:8000"]',
        ),
      ),
    ).toEqual([err('policy.bad-port', 'the range `9000:8000` ends before it starts', 6, 15)]);
  });

  it('reports a rule entry that is neither form', () => {
    expect(errorsOf(withRule('{ a: -j ACCEPT, b: -j DROP }'))).toEqual([
      err(
        'policy.invalid',
        '`ipv4.filter.INPUT.rules[0]`: a rule entry is one `NAME: RULE TEXT` pair, or the explicit form `{name: NAME, rule: RULE TEXT}`, found a map',
        6,
        11,
      ),
    ]);
    expect(errorsOf(withRule('{ name: ssh, rule: -j ACCEPT, note: x }'))).toEqual([
      err('policy.unknown-key', 'unknown key `note` in `ipv4.filter.INPUT.rules[0]`', 6, 41),
    ]);
  });
});

describe('rule text problems', () => {
  it('rejects a rule written as a block scalar over several lines', () => {
    expect(errorsOf(withRule('ssh: |') + '            -p tcp --dport 22\n            -j ACCEPT\n')).toEqual([
      err(
        'policy.rule-multiline',
        'rule `ssh` spans 2 lines: a rule is a single line of iptables options',
        8,
        13,
      ),
    ]);
  });

  it('rejects COMMIT and *filter smuggled onto a second line', () => {
    expect(errorsOf(withRule('ssh: |') + '            -j ACCEPT\n            COMMIT\n')).toEqual([
      err(
        'policy.rule-multiline',
        'rule `ssh` spans 2 lines, and `COMMIT` is iptables-restore input, not part of a rule',
        8,
        13,
      ),
    ]);
    expect(errorsOf(withRule('ssh: "-j ACCEPT\\n*filter"'))).toEqual([
      err(
        'policy.rule-multiline',
        'rule `ssh` spans 2 lines, and `*filter` is iptables-restore input, not part of a rule',
        6,
        28,
      ),
    ]);
  });

  it('rejects a leading ! that YAML would read as a tag', () => {
    expect(errorsOf(withRule('not-lo: ! -i lo -j DROP'))).toEqual([
      err(
        'policy.rule-bang-tag',
        'rule `not-lo`: YAML reads a leading `!` as a tag and drops it, so the negation would be lost',
        6,
        19,
      ),
    ]);
  });

  it('rejects a native rule with its own comment, on the -m comment', () => {
    expect(errorsOf(withRule('ssh: -p tcp --dport 22 -m comment --comment ssh -j ACCEPT'))).toEqual([
      err(
        'policy.rule-own-comment',
        "rule `ssh` has its own `-m comment`: dockwall sets the comment itself, from the rule's name",
        6,
        34,
      ),
    ]);
  });

  it('rejects -A CHAIN in the rule text', () => {
    expect(errorsOf(withRule('ssh: -A INPUT -p tcp --dport 22 -j ACCEPT'))).toEqual([
      err(
        'policy.rule-has-chain',
        "rule `ssh` starts with `-A INPUT`: write only the rule's options, the chain is the key above",
        6,
        16,
      ),
    ]);
  });

  it("places the rule parser's errors on the file's line and column, plain and quoted", () => {
    const at = (rule: string) =>
      loadPolicy(withRule(rule), FILE).diagnostics.map((d) => [
        d.severity,
        d.code,
        d.pos?.line,
        d.pos?.column,
      ]);
    // `--no-such-option` starts in column 34 (35 when the rule text is quoted).
    expect(at('ssh: -p tcp --dport 22 --no-such-option -j ACCEPT')).toEqual([
      ['error', 'parse.unknown-option', 6, 34],
    ]);
    expect(at("ssh: '-p tcp --dport 22 --no-such-option -j ACCEPT'")).toEqual([
      ['error', 'parse.unknown-option', 6, 35],
    ]);
  });

  it('rejects duplicate rule names in a chain, on the second', () => {
    expect(
      errorsOf(
        withRule('ssh: -p tcp --dport 22 -j ACCEPT') + '        - ssh: -p tcp --dport 2222 -j ACCEPT\n',
      ),
    ).toEqual([
      err('policy.duplicate-name', 'rule name `ssh` is used twice in chain INPUT (first on line 6)', 7, 11),
    ]);
  });
});

describe('meaning problems', () => {
  it('rejects an IPv6 member in an inet set, on the member', () => {
    expect(
      errorsOf(
        yaml(
          'dockwall: 1',
          'ipsets:',
          '  allowed_hosts:',
          '    type: hash:ip',
          '    members: [10.0.0.1, "2001:db8::1"]',
        ),
      ),
    ).toEqual([
      err(
        'policy.bad-member',
        '`2001:db8::1` is an IPv6 address, but set `allowed_hosts` is family inet (IPv4); declare another set with `family: inet6` for it',
        5,
        25,
      ),
    ]);
  });

  it('rejects a reference to an undeclared set, suggesting the near one', () => {
    const text = yaml(
      'dockwall: 1',
      'ipsets:',
      '  allowed_hosts: { type: hash:ip }',
      'filter:',
      '  interfaces: [eth0]',
      '  allow:',
      '    - name: web',
      '      sets: [allowed_host]',
    );
    expect(errorsOf(text)).toEqual([
      err('policy.unknown-set', 'set `allowed_host` is not declared under `ipsets`', 8, 14),
    ]);
    expect(loadPolicy(text, FILE).diagnostics[0]!.hint).toBe('did you mean `allowed_hosts`?');
  });

  it('rejects a policy on a user chain, on the policy key', () => {
    expect(
      errorsOf(yaml('dockwall: 1', 'ipv4:', '  filter:', '    MY-CHAIN:', '      policy: DROP')),
    ).toEqual([
      err(
        'policy.policy-on-user-chain',
        '`MY-CHAIN` is not a built-in chain of the filter table: only built-in chains have a policy',
        5,
        7,
      ),
    ]);
  });

  it("rejects native rules in Docker's chains, pointing to DOCKER-USER and containers:", () => {
    const r = loadPolicy(
      yaml(
        'dockwall: 1',
        'ipv4:',
        '  filter:',
        '    DOCKER:',
        '      rules:',
        '        - web: -p tcp --dport 80 -j ACCEPT',
      ),
      FILE,
    );
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.message, d.pos?.line, d.pos?.column, d.hint])).toEqual([
      [
        'policy.docker-chain',
        "`DOCKER` is Docker's chain: dockerd flushes it when it restarts, so rules put there do not last",
        4,
        5,
        'put rules for traffic to containers in DOCKER-USER, or describe them under `containers:`',
      ],
    ]);
    const ok = loadPolicy(
      yaml(
        'dockwall: 1',
        'ipv4:',
        '  filter:',
        '    DOCKER-USER:',
        '      rules:',
        '        - web: -p tcp --dport 80 -j RETURN',
      ),
      FILE,
    );
    expect(ok.diagnostics).toEqual([]);
  });

  it('rejects mixed families in an expectation, and a port with icmp', () => {
    expect(
      errorsOf(
        yaml(
          'dockwall: 1',
          'expect:',
          '  - from: 10.0.0.1',
          '    to: "[fd00::1]:80/tcp"',
          '    verdict: accept',
          '  - from: 10.0.0.1',
          '    to: 10.0.0.2:80/icmp',
          '    verdict: drop',
        ),
      ),
    ).toEqual([
      err(
        'policy.family-mismatch',
        '`from` is an IPv4 address but `to` is IPv6: a packet has one family',
        4,
        9,
      ),
      err('policy.bad-destination', '`10.0.0.2:80/icmp`: icmp has no ports', 7, 9),
    ]);
  });

  it('rejects bad addresses in sources and host interfaces', () => {
    expect(
      errorsOf(
        yaml(
          'dockwall: 1',
          'filter:',
          '  interfaces: [eth0]',
          '  allow:',
          '    - name: lan',
          '      sources: [10.0.0.0/33, 10.0.0]',
          'host:',
          '  interfaces:',
          '    eth0: [192.168.122.190]',
        ),
      ),
    ).toEqual([
      err('policy.bad-address', '`/33` is not a prefix length for an IPv4 address (0 to 32)', 6, 17),
      err('policy.bad-address', '`10.0.0` is not an IPv4 or IPv6 address', 6, 30),
      err(
        'policy.bad-address',
        'write `192.168.122.190` with its prefix length, e.g. `192.168.122.190/24`',
        9,
        12,
      ),
    ]);
  });

  it('rejects a container rule without a selector and duplicate entry names', () => {
    expect(
      errorsOf(
        yaml(
          'dockwall: 1',
          'containers:',
          '  - name: web',
          '    ports: [80]',
          '  - name: web',
          '    container: web',
        ),
      ),
    ).toEqual([
      err(
        'policy.no-selector',
        'container rule `web` selects no container: give `container`, `labels` or `compose`',
        3,
        5,
      ),
      err('policy.duplicate-name', 'entry name `web` is used twice in `containers` (first on line 3)', 5, 11),
    ]);
  });
});
