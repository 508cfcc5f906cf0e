import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { parseRuleText, ruleKey } from '../../../src/parse/index.js';
import { brief, errorsOf, yaml } from './helpers.js';

const SEED = 'examples/pyfw-wishes-firewalling-docker.yaml';
const text = readFileSync(SEED, 'utf8');

/** How the rules look live once pyfw has applied the seed's wishes (iptables-save, nf_tables). */
const LIVE = {
  INPUT: [
    '-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment allow_established -j ACCEPT',
    '-p tcp -m tcp --dport 22 -m comment --comment allow_ssh -j ACCEPT',
    '-s 172.17.0.0/24 -i docker0 -m comment --comment allow_inter_docker -j ACCEPT',
  ],
  FORWARD: ['-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment allow_established -j ACCEPT'],
  DOCKER: [
    '! -i docker0 -o docker0 -m set ! --match-set allowed_hosts src -m comment --comment allowed_hosts_only -j REJECT --reject-with icmp-port-unreachable',
  ],
};

describe('the seed pyfw wishes file', () => {
  const r = loadPolicy(text, SEED);
  const policy = r.value!;

  it('loads, with exactly one warning: the DOCKER chain, on its key', () => {
    expect(policy).toBeDefined();
    expect(r.diagnostics.map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'policy.docker-chain',
        message:
          "`DOCKER` is Docker's chain: dockerd flushes it whenever it restarts, and these rules are gone until the next apply",
        line: 20,
        column: 7,
      },
    ]);
    expect(r.diagnostics[0]!.hint).toContain('DOCKER-USER');
    expect(r.diagnostics[0]!.hint).toContain('dockwall import pyfw');
  });

  it('has the ipset with its member', () => {
    expect(policy.format).toBe('pyfw');
    expect(policy.ipsets).toEqual([
      {
        name: 'allowed_hosts',
        type: 'hash:ip',
        family: 'inet',
        options: [],
        members: ['192.168.122.193'],
        pos: { file: SEED, line: 4, column: 5 },
      },
    ]);
  });

  it('has the chains, their default actions and the rules by name, all identified by their own comment', () => {
    expect(Object.keys(policy.families)).toEqual(['ipv4']);
    const tables = policy.families.ipv4!.tables;
    expect(tables.map((t) => t.name)).toEqual(['filter']);
    const chains = tables[0]!.chains;
    expect(chains.map((c) => [c.name, c.policy, c.rules.map((x) => x.name)])).toEqual([
      ['INPUT', 'DROP', ['allow_established', 'allow_ssh', 'allow_inter_docker']],
      ['FORWARD', 'DROP', ['allow_established']],
      ['DOCKER', undefined, ['allowed_hosts_only']],
    ]);
    for (const c of chains) for (const x of c.rules) expect(x.identity).toBe('own-comment');
    expect(chains[2]!.rules[0]!.text).toBe(LIVE.DOCKER[0]);
    expect(chains[0]!.rules[1]!.pos).toEqual({ file: SEED, line: 14, column: 11 });
  });

  it('parses each rule to the same key as the live rule pyfw writes', () => {
    const chains = policy.families.ipv4!.tables[0]!.chains;
    for (const c of chains) {
      const live = LIVE[c.name as keyof typeof LIVE];
      expect(c.rules.map((x) => ruleKey(x.rule, 'ipv4'))).toEqual(
        live.map((t) =>
          ruleKey(parseRuleText(t, { family: 'ipv4', file: 'live', line: 1, column: 1 }).value!, 'ipv4'),
        ),
      );
    }
  });

  it('has no shared filter, containers, host or expectations', () => {
    expect(policy.sharedFilter).toBeUndefined();
    expect(policy.containers).toEqual([]);
    expect(policy.denyUnlistedPublished).toBe(false);
    expect(policy.expectations).toEqual([]);
    expect(policy.host).toBeUndefined();
  });
});

describe('pyfw files', () => {
  it('reads header options and family, ip6tables, and members given as numbers', () => {
    const r = loadPolicy(
      yaml(
        'pyfw_wishes:',
        '  ipsets:',
        '    ports:',
        '      type: bitmap:port',
        '      header: range 0-20000 counters',
        '      members_equal: [1111, 2222]',
        '    v6:',
        '      type: hash:net',
        '      header: family inet6 hashsize 1024',
        '      members_equal:',
        '  ip6tables:',
        '    filter:',
        '      INPUT:',
        '        rules:',
        '        - ssh6: -p tcp --dport 22 -m comment --comment ssh6 -j ACCEPT',
      ),
      'w.yaml',
    );
    expect(r.diagnostics).toEqual([]);
    const [ports, v6] = r.value!.ipsets;
    expect(ports).toMatchObject({
      type: 'bitmap:port',
      options: [
        ['range', '0-20000'],
        ['counters', true],
      ],
      members: ['1111', '2222'],
    });
    expect(ports!.family).toBeUndefined();
    expect(v6).toMatchObject({ family: 'inet6', options: [['hashsize', '1024']], members: [] });
    expect(r.value!.families.ipv6!.tables[0]!.chains[0]!.rules.map((x) => x.name)).toEqual(['ssh6']);
  });

  it('warns when a rule comment differs from its name, on the comment', () => {
    const r = loadPolicy(
      yaml(
        'pyfw_wishes:',
        '  iptables:',
        '    filter:',
        '      INPUT:',
        '        rules:',
        '        - allow_ssh: -p tcp --dport 22 -m comment --comment ssh -j ACCEPT',
      ),
      'w.yaml',
    );
    expect(r.value).toBeDefined();
    expect(r.diagnostics.map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'policy.comment-not-name',
        message:
          'rule `allow_ssh` carries the comment `ssh`, not its name: the live rule is found by its comment',
        line: 6,
        column: 61,
      },
    ]);
  });

  it('rejects pyfw ~match entries and a default action on a user chain', () => {
    expect(
      errorsOf(
        yaml(
          'pyfw_wishes:',
          '  iptables:',
          '    filter:',
          '      MINE:',
          '        default_action: DROP',
          '        rules:',
          "        - '~match': '^-j DOCKER'",
        ),
      ),
    ).toEqual([
      {
        severity: 'error',
        code: 'policy.policy-on-user-chain',
        message:
          '`MINE` is not a built-in chain of the filter table: only built-in chains have a default action',
        line: 5,
        column: 9,
      },
      {
        severity: 'error',
        code: 'policy.pyfw-match',
        message: '`~match` (pyfw\'s "keep the live rules that match here") is not supported',
        line: 7,
        column: 11,
      },
    ]);
  });

  it('reports unknown keys inside pyfw_wishes and warns about keys beside it', () => {
    expect(errorsOf(yaml('pyfw_wishes:', '  iptable: {}'))).toEqual([
      {
        severity: 'error',
        code: 'policy.unknown-key',
        message: 'unknown key `iptable` in `pyfw_wishes`',
        line: 2,
        column: 3,
      },
    ]);
    const r = loadPolicy(yaml('notes: hello', 'pyfw_wishes: {}'), 'w.yaml');
    expect(r.diagnostics.map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'policy.pyfw-ignored-key',
        message: '`notes` is outside `pyfw_wishes`: pyfw reads only `pyfw_wishes`, and so does dockwall',
        line: 1,
        column: 1,
      },
    ]);
  });
});
