import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/policy/index.js';
import { memberProblem } from '../../../src/policy/set-members.js';
import { errorsOf, yaml } from './helpers.js';

describe('set members', () => {
  it('accepts what each type holds', () => {
    expect(memberProblem('s', 'hash:ip', 'ipv4', '10.0.0.1')).toBeUndefined();
    expect(memberProblem('s', 'hash:ip', 'ipv4', '10.0.0.0/30')).toBeUndefined();
    expect(memberProblem('s', 'hash:net', 'ipv6', 'fd00::/64')).toBeUndefined();
    expect(memberProblem('s', 'hash:ip,port', 'ipv4', '10.0.0.1,udp:53')).toBeUndefined();
    expect(memberProblem('s', 'hash:net,iface', 'ipv4', '10.0.0.0/8,eth0')).toBeUndefined();
    expect(memberProblem('s', 'hash:mac', 'ipv4', '52:54:00:12:34:56')).toBeUndefined();
    expect(memberProblem('s', 'bitmap:port', 'ipv4', '1000-2000')).toBeUndefined();
    expect(memberProblem('s', 'list:set', 'ipv4', 'other_set')).toBeUndefined();
  });

  it('says what is wrong with a member', () => {
    expect(memberProblem('s', 'hash:ip', 'ipv4', '10.0.0.256')).toBe(
      '`10.0.0.256` is not an IPv4 address, network or range',
    );
    expect(memberProblem('s', 'hash:ip,port', 'ipv4', '10.0.0.1')).toBe(
      '`10.0.0.1` is not a member of the hash:ip,port set `s`: expected ADDR,PORT',
    );
    expect(memberProblem('s', 'hash:ip,port', 'ipv4', '10.0.0.1,tcp:70000')).toBe(
      '`tcp:70000` is not a port (`[PROTO:]PORT`)',
    );
    expect(memberProblem('s', 'hash:net', 'ipv6', '10.0.0.0/8')).toBe(
      '`10.0.0.0/8` is an IPv4 address, but set `s` is family inet6 (IPv6); declare another set with `family: inet` for it',
    );
    expect(memberProblem('s', 'hash:mac', 'ipv4', '52:54:00')).toBe('`52:54:00` is not a MAC address');
  });

  it('keeps members in canonical spelling and warns about duplicates', () => {
    const r = loadPolicy(
      yaml(
        'dockwall: 1',
        'ipsets:',
        '  v6:',
        '    type: hash:ip',
        '    family: inet6',
        '    members: ["fd00:0::1", "fd00::1/128", "fd00::1"]',
      ),
      'p.yaml',
    );
    expect(r.value!.ipsets[0]!.members).toEqual(['fd00::1']);
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.pos?.line, d.pos?.column])).toEqual([
      ['warning', 'policy.duplicate-member', 6, 28],
      ['warning', 'policy.duplicate-member', 6, 43],
    ]);
  });

  it('keeps nomatch, comments and skb values with a member, in canonical spelling and order', () => {
    const r = loadPolicy(
      yaml(
        'dockwall: 1',
        'ipsets:',
        '  nets:',
        '    type: hash:net',
        '    options: { comment: true, skbinfo: true }',
        '    members:',
        '      - 10.0.0.0/8',
        '      - 10.1.2.3/16 nomatch',
        '      - \'10.2.0.0/16 comment "db hosts" nomatch\'',
        '      - 10.3.0.0/16 skbmark 0x0010/0xffffffff skbprio 1:A',
        '      - 10.1.0.0/16',
      ),
      'p.yaml',
    );
    expect(r.value!.ipsets[0]!.members).toEqual([
      '10.0.0.0/8',
      '10.1.0.0/16 nomatch',
      '10.2.0.0/16 nomatch comment "db hosts"',
      '10.3.0.0/16 skbmark 0x10 skbprio 1:a',
    ]);
    // The same network with and without nomatch is one element to ipset: the second is a duplicate.
    expect(r.diagnostics.map((d) => [d.code, d.pos?.line])).toEqual([['policy.duplicate-member', 11]]);
  });

  it('says which member option does not fit its set', () => {
    const errors = errorsOf(
      yaml(
        'dockwall: 1',
        'ipsets:',
        '  hosts:',
        '    type: hash:ip',
        '    members:',
        '      - 10.0.0.1 nomatch',
        '      - \'10.0.0.2 comment "web"\'',
        '      - 10.0.0.3 skbmark 0x1',
        '      - 10.0.0.4 timeout 60',
        '      - 10.0.0.5 frob',
        '  nets:',
        '    type: hash:net',
        '    options: { comment: true, skbinfo: true }',
        '    members:',
        '      - \'10.0.0.0/8 comment "a\\"b"\'',
        '      - 10.1.0.0/16 skbmark 16',
        '      - \'10.2.0.0/16 comment "-n"\'',
      ),
    );
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [
        6,
        '`nomatch` needs a set type with a network (hash:net, hash:net,port, hash:ip,port,net, …), not hash:ip',
      ],
      [7, 'a member comment needs the set option `comment: true`'],
      [8, '`skbmark` needs the set option `skbinfo: true`'],
      [
        9,
        "a member cannot carry its own timeout or counters: dockwall keeps the members exactly (use the set's `options.timeout`)",
      ],
      [
        10,
        'unknown member option "frob": expected nomatch, comment, skbmark, skbprio, skbqueue, timeout, packets or bytes',
      ],
      [15, 'a member comment cannot hold `"`, a backslash or a control character'],
      [16, '`skbmark 16` is not MARK[/MASK] in hexadecimal (0x10/0xff)'],
      [17, 'a member comment cannot start with `-` (ipset reads it as an option)'],
    ]);
  });

  it('takes pyfw members with options as they are written for ipset', () => {
    const r = loadPolicy(
      yaml(
        'pyfw_wishes:',
        '  ipsets:',
        '    nets:',
        '      type: hash:net',
        '      header: family inet comment',
        '      members_equal: [10.0.0.0/8, 10.9.0.0/16 nomatch, \'10.8.0.0/16 comment "lab"\']',
      ),
      'p.yaml',
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.value!.ipsets[0]!.members).toEqual([
      '10.0.0.0/8',
      '10.9.0.0/16 nomatch',
      '10.8.0.0/16 comment "lab"',
    ]);
  });

  it('asks bitmap sets for their range, and rejects a family on a type without one', () => {
    expect(
      errorsOf(
        yaml(
          'dockwall: 1',
          'ipsets:',
          '  ports:',
          '    type: bitmap:port',
          '  sets:',
          '    type: list:set',
          '    family: inet6',
        ),
      ),
    ).toEqual([
      {
        severity: 'error',
        code: 'policy.set-needs-range',
        message: 'a bitmap:port set needs `options.range` (e.g. `1-1024`)',
        line: 3,
        column: 3,
      },
      {
        severity: 'error',
        code: 'policy.set-family',
        message: 'a list:set set has no address family: remove `family`',
        line: 7,
        column: 5,
      },
    ]);
  });
});

describe('YAML aliases', () => {
  it('reports an alias with no anchor before it, on the alias', () => {
    expect(errorsOf(yaml('dockwall: 1', 'ipsets: *sets'))).toEqual([
      {
        severity: 'error',
        code: 'yaml.alias',
        message: 'YAML: the alias `*sets` refers to no anchor `&sets` defined before it',
        line: 2,
        column: 9,
      },
    ]);
  });

  it('follows aliases that do resolve', () => {
    const r = loadPolicy(
      yaml(
        'dockwall: 1',
        'filter:',
        '  interfaces: [eth0]',
        '  allow:',
        '    - { name: a, sources: &lan [10.0.0.0/8] }',
        '    - { name: b, ports: [22], sources: *lan }',
      ),
      'p.yaml',
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.sharedFilter!.allow[1]!.sources).toEqual(['10.0.0.0/8']);
  });
});
