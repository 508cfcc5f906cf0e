import { describe, expect, it } from 'vitest';
import { errorsOf, yaml } from './helpers.js';

/** Lines 1–4 of a native policy whose filter allow list starts on line 5. */
const ALLOW = ['dockwall: 1', 'filter:', '  interfaces: [eth0]', '  allow:'];

/** Code, line and column of each finding: where a run points the user. */
const positions = (errors: ReturnType<typeof errorsOf>) => errors.map((d) => [d.code, d.line, d.column]);
const where = (text: string) => positions(errorsOf(text));

describe('issue 15 item 5: one run reports every error in the file', () => {
  it('ports: 70000 does not hide 10.0.0.0/33 and 192.168.1.300 (native)', () => {
    const text = yaml(
      ...ALLOW,
      '    - name: web',
      '      ports: 70000',
      '      sources: [10.0.0.0/33]',
      '    - name: admin',
      '      ports: [22]',
      '      sources: [192.168.1.300]',
    );
    expect(where(text)).toEqual([
      ['policy.wrong-type', 6, 14],
      ['policy.bad-address', 7, 17],
      ['policy.bad-address', 10, 17],
    ]);
  });

  it('a port out of range in a list does not hide the addresses either', () => {
    const text = yaml(
      ...ALLOW,
      '    - name: web',
      '      ports: [70000]',
      '      sources: [10.0.0.0/33, 192.168.1.300]',
    );
    const errors = errorsOf(text);
    expect(positions(errors)).toEqual([
      ['policy.invalid', 6, 15],
      ['policy.bad-address', 7, 17],
      ['policy.bad-address', 7, 30],
    ]);
    expect(errors[0]!.message).toContain('70000');
    expect(errors[2]!.message).toContain('192.168.1.300');
  });

  it('policy: REJECT does not hide a --dprot typo (native)', () => {
    const text = yaml(
      'dockwall: 1',
      'ipv4:',
      '  filter:',
      '    INPUT:',
      '      policy: REJECT',
      '      rules:',
      '        - ssh: -p tcp --dprot 22 -j ACCEPT',
    );
    const errors = errorsOf(text);
    expect(positions(errors)).toEqual([
      ['policy.bad-value', 5, 15],
      ['parse.unknown-option', 7, 23],
    ]);
    expect(errors[1]!.message).toContain('--dprot');
  });

  it('default_action: REJECT does not hide a --dprot typo (pyfw)', () => {
    const text = yaml(
      'pyfw_wishes:',
      '  iptables:',
      '    filter:',
      '      INPUT:',
      '        default_action: REJECT',
      '        rules:',
      '          - ssh: -p tcp --dprot 22 -j ACCEPT',
    );
    expect(where(text)).toEqual([
      ['policy.bad-value', 5, 25],
      ['parse.unknown-option', 7, 25],
    ]);
  });

  it('a refused list element keeps the positions of the elements after it', () => {
    const text = yaml(
      ...ALLOW,
      '    - name: a',
      '      ports: [70000, 80]',
      '      sources: [10.0.0.1]',
      '    - ports: [22]',
      '    - name: c',
      '      sources: [10.0.0.0/33]',
      'ipv4:',
      '  filter:',
      '    INPUT:',
      '      rules:',
      '        - 42',
      '        - {name: x, rule: -p tcp --dprot 22 -j ACCEPT}',
    );
    expect(where(text)).toEqual([
      ['policy.invalid', 6, 15],
      ['policy.missing-key', 8, 7],
      ['policy.bad-address', 10, 17],
      ['policy.wrong-type', 15, 11],
      ['parse.unknown-option', 16, 34],
    ]);
  });

  it('reports a problem the schema found once, not again as a consequence', () => {
    const text = yaml(
      'dockwall: 1',
      'ipsets:',
      '  admins: {type: hash:nope, members: [10.0.0.1]}',
      '  v6: {type: hash:ip, family: inet7, members: ["fd00::1"]}',
      'filter:',
      '  interfaces: [eth0]',
      '  allow:',
      '    - {name: ssh, ports: [22], sets: [admins]}',
      'containers:',
      '  - {name: web, container: ""}',
      'ipv4:',
      '  filter:',
      '    INPUT:',
      '      rules:',
      '        - admins: -m set --match-set admins src -j ACCEPT',
    );
    expect(where(text)).toEqual([
      ['policy.bad-value', 3, 18],
      ['policy.bad-value', 4, 31],
      ['policy.invalid', 10, 28],
    ]);
  });
});
