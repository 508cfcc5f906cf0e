import { describe, expect, it } from 'vitest';
import type { Family } from '../../../src/model/index.js';
import { formatRule, parseRuleText } from '../../../src/parse/index.js';

const at = { file: 'policy.yaml', line: 12, column: 9 };

function parse(text: string, family: Family = 'ipv4') {
  return parseRuleText(text, { family, ...at });
}

function ok(text: string, family: Family = 'ipv4') {
  const r = parse(text, family);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.value!;
}

function fails(text: string) {
  const r = parse(text);
  expect(r.value).toBeUndefined();
  expect(r.diagnostics).toHaveLength(1);
  return r.diagnostics[0]!;
}

describe('parseRuleText', () => {
  it('parses generic options, long spellings and targets into the model', () => {
    const r = ok('--protocol tcp --source 10.0.0.1 --in-interface eth0 --jump ACCEPT');
    expect(r).toEqual({
      generic: [
        { name: '-s', negated: false, args: [{ text: '10.0.0.1', quoted: false }] },
        { name: '-i', negated: false, args: [{ text: 'eth0', quoted: false }] },
        { name: '-p', negated: false, args: [{ text: 'tcp', quoted: false }] },
      ],
      matches: [],
      target: { kind: 'jump', name: 'ACCEPT', options: [] },
      pos: at,
    });
    expect(formatRule(ok('--dst 1.2.3.4 --out-interface docker0 --fragment --goto X'))).toBe(
      '-d 1.2.3.4 -o docker0 -f -g X',
    );
  });

  it('loads the protocol match implicitly where its first option appears', () => {
    expect(formatRule(ok('-p tcp --dport 22 -j ACCEPT'))).toBe('-p tcp -m tcp --dport 22 -j ACCEPT');
    expect(formatRule(ok('-p tcp -m comment --comment x --dport 22'))).toBe(
      '-p tcp -m comment --comment x -m tcp --dport 22',
    );
    expect(
      formatRule(ok('-p udp -m conntrack --ctstate NEW --sport 53 -m comment --comment dns -j ACCEPT')),
    ).toBe('-p udp -m conntrack --ctstate NEW -m udp --sport 53 -m comment --comment dns -j ACCEPT');
    expect(formatRule(ok('-p ipv6-icmp --icmpv6-type 128', 'ipv6'))).toBe(
      '-p ipv6-icmp -m icmp6 --icmpv6-type 128',
    );
    expect(formatRule(ok('-p icmp --icmp-type 8'))).toBe('-p icmp -m icmp --icmp-type 8');
  });

  it('gives each option to the newest loaded module that takes it', () => {
    const r = ok('-p tcp -m tcp --dport 22 -m multiport --dports 80,443 --sport 1000');
    expect(r.matches).toEqual([
      {
        name: 'tcp',
        options: [
          { name: '--dport', negated: false, args: [{ text: '22', quoted: false }] },
          { name: '--sport', negated: false, args: [{ text: '1000', quoted: false }] },
        ],
      },
      {
        name: 'multiport',
        options: [{ name: '--dports', negated: false, args: [{ text: '80,443', quoted: false }] }],
      },
    ]);
    // Target options go to the target even when matches follow it.
    expect(formatRule(ok('-j LOG --log-prefix x -m limit --limit 1/s'))).toBe(
      '-m limit --limit 1/s -j LOG --log-prefix x',
    );
  });

  it('maps aliases and unique prefixes to the spelling iptables-save prints', () => {
    expect(formatRule(ok('-p tcp --destination-port 80 --source-port 1'))).toBe(
      '-p tcp -m tcp --dport 80 --sport 1',
    );
    expect(formatRule(ok('-p tcp --dport 80 -j DNAT --to 10.0.0.2'))).toBe(
      '-p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.2',
    );
    expect(formatRule(ok('-p tcp -j REDIRECT --to-port 8080'))).toBe('-p tcp -j REDIRECT --to-ports 8080');
    expect(formatRule(ok('-p tcp --dport=22'))).toBe('-p tcp -m tcp --dport 22');
    expect(formatRule(ok('-m icmpv6 --icmpv6-type 1', 'ipv6'))).toBe('-m icmp6 --icmpv6-type 1');
  });

  it('handles ! before options and the old "--opt ! value" form', () => {
    const r = ok('! -s 10.0.0.0/8 -p tcp ! --syn -m conntrack ! --ctstate INVALID');
    expect(formatRule(r)).toBe('! -s 10.0.0.0/8 -p tcp -m tcp ! --syn -m conntrack ! --ctstate INVALID');
    const old = parse('-s ! 10.0.0.0/8 -p tcp --dport ! 22');
    expect(formatRule(old.value!)).toBe('! -s 10.0.0.0/8 -p tcp -m tcp ! --dport 22');
    expect(old.diagnostics.map((d) => [d.severity, d.code, d.pos?.column])).toEqual([
      ['warning', 'parse.old-negation', 12],
      ['warning', 'parse.old-negation', 40],
    ]);
  });

  it('keeps unknown modules and targets verbatim with all their options', () => {
    const text =
      '-m hashlimit --hashlimit-upto 50/sec --hashlimit-mode srcip,dstport --hashlimit-name "web x" -j SET --add-set blocked src --exist';
    const r = ok(text);
    expect(r.matches[0]).toEqual({
      name: 'hashlimit',
      options: [
        { name: '--hashlimit-upto', negated: false, args: [{ text: '50/sec', quoted: false }] },
        { name: '--hashlimit-mode', negated: false, args: [{ text: 'srcip,dstport', quoted: false }] },
        { name: '--hashlimit-name', negated: false, args: [{ text: 'web x', quoted: true }] },
      ],
    });
    expect(r.target?.options.map((o) => [o.name, o.args.map((a) => a.text)])).toEqual([
      ['--add-set', ['blocked', 'src']],
      ['--exist', []],
    ]);
    expect(formatRule(r)).toBe(text);
    // An unknown module takes options no known module before it takes; known ones keep theirs.
    expect(formatRule(ok('-p tcp -m tcp -m foo --bar 1 --dport 22 -j DOCKER'))).toBe(
      '-p tcp -m tcp --dport 22 -m foo --bar 1 -j DOCKER',
    );
  });

  it('accepts rules without a target and gotos', () => {
    expect(ok('-i eth0').target).toBeNull();
    expect(ok('-p tcp --dport 22 -g DOCKER-USER').target).toEqual({
      kind: 'goto',
      name: 'DOCKER-USER',
      options: [],
    });
  });

  it('reports a missing option argument at the option, saying what was expected', () => {
    const d = fails('-p tcp --dport');
    expect(d).toMatchObject({
      code: 'parse.missing-argument',
      pos: { file: 'policy.yaml', line: 12, column: 16 },
    });
    expect(d.message).toMatch(/--dport expects an argument \(a port or port range/);
    expect(fails('-s').message).toMatch(/-s expects an argument \(a source address/);
    expect(fails('-m set --match-set allowed').message).toMatch(
      /--match-set expects 2 arguments .* ends here after 1/,
    );
  });

  it('rejects unknown generic short options', () => {
    const d = fails('-p tcp -x 1 -j ACCEPT');
    expect(d).toMatchObject({ code: 'parse.unknown-option', pos: { column: 16 } });
    expect(d.message).toMatch(/unknown option "-x".*expected one of -s -d/);
    expect(fails('-ptcp').code).toBe('parse.unknown-option');
  });

  it('rejects commands inside a rule body', () => {
    for (const cmd of [
      '-A INPUT',
      '-I INPUT 1',
      '-D INPUT',
      '-R INPUT 1',
      '-N X',
      '-X X',
      '-P INPUT DROP',
      '-F',
      '-t nat',
      '--append INPUT',
    ]) {
      const d = fails(`-p tcp ${cmd} -j ACCEPT`);
      expect(d.code).toBe('parse.command-in-rule');
      expect(d.pos?.column).toBe(16);
    }
  });

  it('makes line breaks, carriage returns and NUL impossible', () => {
    for (const text of [
      '-j ACCEPT\nCOMMIT',
      '-j ACCEPT\r\n*filter',
      '-j ACCEPT\0',
      '-m comment --comment "a\nCOMMIT"',
    ]) {
      const d = fails(text);
      expect(d.code).toBe('parse.control-character');
      expect(d.pos?.column).toBe(at.column + text.search(/[\n\r\0]/));
    }
  });

  it('rejects an empty rule', () => {
    expect(fails('').code).toBe('parse.empty-rule');
    expect(fails('   \t ').code).toBe('parse.empty-rule');
  });

  it('reports structural mistakes with positions', () => {
    expect(fails('-p tcp 22').code).toBe('parse.unexpected-token');
    expect(fails('-p tcp ! ! --syn').code).toBe('parse.double-negation');
    expect(fails('-j ACCEPT !').code).toBe('parse.dangling-negation');
    expect(fails('! -j ACCEPT').code).toBe('parse.bad-negation');
    expect(fails('-j ACCEPT -j DROP').code).toBe('parse.multiple-targets');
    expect(fails('-p tcp -p udp').code).toBe('parse.duplicate-option');
    expect(fails('-s 1.2.3.4,5.6.7.8').code).toBe('parse.address-list');
    expect(fails('-c 1 2 -j ACCEPT').code).toBe('parse.unexpected-counters');
    const d = fails('--dport 22 -p tcp');
    expect(d.code).toBe('parse.unknown-option');
    expect(d.pos?.column).toBe(9);
    expect(fails('-m conntrack --dport 22').hint).toMatch(/-m tcp/);
    expect(fails('-p tcp --dport 22 --state NEW').hint).toMatch(/-m state/);
    expect(fails('! -p tcp --dport 22').code).toBe('parse.unknown-option');
  });
});
