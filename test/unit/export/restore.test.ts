import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import {
  exportFerm,
  exportNft,
  exportRestore,
  sourceFromDesired,
  sourceFromState,
} from '../../../src/export/index.js';
import { fixtureState, policyFrom, policyText, repoFile } from '../../helpers/fixtures.js';
import { cleanSave, netnsUnavailable, suiteNetns } from './netns.js';
import { desiredKeys, parseSave, rulesetKeys } from './rule-keys.js';

const EXAMPLE = 'examples/firewalling-docker.yaml';
const SEED07 = 'docker-20.10/07-seed003-wishes-applied';

function fromPolicy(rel: string, unit = false) {
  const desired = compileDesired(policyFrom(rel));
  return { desired, res: exportRestore(sourceFromDesired(desired, rel), { unit }) };
}

function part(res: ReturnType<typeof exportRestore>, suffix: string): string {
  const p = res.parts?.find((x) => x.path.endsWith(suffix));
  if (!p) throw new Error(`no part ${suffix}: ${JSON.stringify(res)}`);
  return p.text;
}

describe('export --format restore from a policy', () => {
  it("names only dockwall's chains, DOCKER-USER and INPUT, and holds exactly the compiled rules", () => {
    const { desired, res } = fromPolicy(EXAMPLE);
    // The shared filter covers IPv6 too, where Docker before 23 writes no jump to DOCKER-USER.
    expect(res.diagnostics.map((d) => d.code)).toEqual(['export.ipv6-docker-user-jump']);
    const text = part(res, '/iptables.rules');
    const lines = text.split('\n');
    expect(lines).toContain(':DOCKWALL-FILTER - [0:0]');
    expect(lines).toContain(':DOCKER-USER - [0:0]');
    expect(lines.indexOf('-F INPUT')).toBeLessThan(lines.indexOf('-P INPUT DROP'));
    expect(text).not.toMatch(/^(-[AFP] |:)(FORWARD|DOCKER|DOCKER-ISOLATION-STAGE-\d)( |$)/m);
    expect(text).not.toMatch(/^\*nat/m);
    const keys = rulesetKeys(parseSave(text));
    const want = desiredKeys(desired, 'ipv4');
    // The file ends DOCKER-USER with Docker's own RETURN, as dockerd creates it.
    want.set('filter DOCKER-USER', [...want.get('filter DOCKER-USER')!, '-j RETURN']);
    for (const [chain, rules] of want) expect(keys.get(chain), chain).toEqual(rules);
    expect([...keys.keys()].sort()).toEqual([...want.keys()].sort());
    const keys6 = rulesetKeys(parseSave(part(res, 'ip6tables.rules'), 'ipv6'));
    const want6 = desiredKeys(desired, 'ipv6');
    want6.set('filter DOCKER-USER', [...want6.get('filter DOCKER-USER')!, '-j RETURN']);
    for (const [chain, rules] of want6) expect(keys6.get(chain), chain).toEqual(rules);
  });

  it('creates the sets first and swaps their members in; the unit loads sets, then rules, with -n', () => {
    const { res } = fromPolicy(EXAMPLE, true);
    expect(res.parts!.map((p) => p.path)).toEqual([
      '/etc/dockwall/iptables.rules',
      '/etc/dockwall/ip6tables.rules',
      '/etc/dockwall/ipsets.save',
      '/etc/systemd/system/dockwall-restore.service',
    ]);
    const sets = part(res, 'ipsets.save')
      .split('\n')
      .filter((l) => !l.startsWith('#') && l !== '');
    expect(sets[0]).toBe('create allowed_hosts hash:ip family inet');
    expect(sets).toContain('add dwtmp-157q4xg 192.168.122.193');
    expect(sets.at(-2)).toBe('swap dwtmp-157q4xg allowed_hosts');
    const unit = part(res, '.service');
    const exec = unit.split('\n').filter((l) => l.startsWith('ExecStart'));
    expect(exec).toEqual([
      'ExecStartPre=/sbin/ipset -exist -file /etc/dockwall/ipsets.save restore',
      'ExecStart=/sbin/iptables-restore --wait -n /etc/dockwall/iptables.rules',
      'ExecStart=/sbin/ip6tables-restore --wait -n /etc/dockwall/ip6tables.rules',
    ]);
    expect(unit).toMatch(/Before=network-pre.target docker.service/);
  });

  it('an IPv6 family gets its own file, and the unit loads it with ip6tables-restore', () => {
    const p = policyText(
      [
        'dockwall: 1',
        'ipv6:',
        '  filter:',
        '    INPUT:',
        '      rules:',
        '        - ssh: -p tcp --dport 22 -j ACCEPT',
        '',
      ].join('\n'),
    );
    const res = exportRestore(sourceFromDesired(compileDesired(p), 'v6.yaml'), { unit: true });
    expect(res.parts!.map((x) => x.path)).toEqual([
      '/etc/dockwall/ip6tables.rules',
      '/etc/systemd/system/dockwall-restore.service',
    ]);
    expect(part(res, 'ip6tables.rules')).toContain(
      '-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "dockwall:ssh" -j ACCEPT',
    );
    expect(part(res, '.service')).toContain(
      'ExecStart=/sbin/ip6tables-restore --wait -n /etc/dockwall/ip6tables.rules',
    );
  });

  it("refuses rules in Docker's chains and in FORWARD, naming each rule", () => {
    const { res } = fromPolicy('examples/pyfw-wishes-firewalling-docker.yaml');
    expect(res.parts).toBeUndefined();
    const errors = res.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['export.docker-builtin', 'export.docker-chain']);
    expect(errors[0]!.message).toContain('ipv4 filter FORWARD rule "allow_established"');
    expect(errors[1]!.message).toContain('ipv4 filter DOCKER rule "allowed_hosts_only"');
    expect(errors[1]!.pos?.line).toBe(22);
  });
});

describe('export --format restore of an IPv6 filter in DOCKER-USER', () => {
  it('warns that Docker before 23 does not jump to ip6tables DOCKER-USER, and only for IPv6', () => {
    const policy = `dockwall: 1
filter:
  interfaces: [eth0]
  allow:
    - name: web
      ports: [8000]
      sources: [192.168.122.193, "fd77::193"]
`;
    const res = exportRestore(sourceFromDesired(compileDesired(policyText(policy)), 'v6.yaml'));
    expect(res.diagnostics.map((d) => [d.severity, d.code])).toEqual([
      ['warning', 'export.ipv6-docker-user-jump'],
    ]);
    expect(part(res, 'ip6tables.rules')).toContain('-A DOCKER-USER -i eth0');
    // ferm writes iptables rules too and says the same; nft puts DOCKER-USER on the forward hook itself.
    const source = sourceFromDesired(compileDesired(policyText(policy)), 'v6.yaml');
    expect(exportFerm(source).diagnostics.map((d) => d.code)).toContain('export.ipv6-docker-user-jump');
    expect(exportNft(source).diagnostics.map((d) => d.code)).not.toContain('export.ipv6-docker-user-jump');
  });
});

describe('export --format restore from a dump', () => {
  it("leaves Docker's chains and FORWARD out, and says which non-Docker rules go with them", () => {
    const state = fixtureState(`${SEED07}.iptables-save`, `${SEED07}.ipset-save`);
    const res = exportRestore(sourceFromState(state, '07'));
    const text = part(res, 'iptables.rules');
    expect(text).not.toMatch(/DOCKER-ISOLATION|^-A DOCKER |^:DOCKER |FORWARD|POSTROUTING|PREROUTING/m);
    expect(text).toContain('-A INPUT -p tcp -m tcp --dport 22 -m comment --comment allow_ssh -j ACCEPT');
    expect(text).toContain('-A DOCKER-USER -j RETURN');
    expect(res.diagnostics.map((d) => [d.severity, d.code, d.message.split(' is ')[0]])).toEqual([
      ['warning', 'export.docker-chain-rule', 'ipv4 filter FORWARD rule #1 (allow_established)'],
      ['warning', 'export.docker-chain-rule', 'ipv4 filter DOCKER rule #1 (allowed_hosts_only)'],
    ]);
  });
});

const skip = netnsUnavailable(['iptables-restore', 'iptables-legacy-restore', 'ipset']);

describe.skipIf(skip)('the restore file loaded with the real iptables-restore -n', () => {
  const ns = suiteNetns();

  for (const variant of ['nft', 'legacy'] as const) {
    it(`(${variant}) replaces INPUT, DOCKER-USER and DOCKWALL-FILTER, keeps every Docker rule, and loads twice to the same result`, () => {
      const save = `iptables-${variant}-save`;
      const restore = `iptables-${variant}-restore`;
      ns.run(['ipset', '-exist', 'restore'], repoFile(`test/fixtures/${SEED07}.ipset-save`));
      ns.run([restore], repoFile(`test/fixtures/${SEED07}.iptables-save`));
      const before = parseSave(cleanSave(ns.run([save])));
      const { desired, res } = fromPolicy(EXAMPLE);
      ns.run(['ipset', '-exist', 'restore'], part(res, 'ipsets.save'));
      ns.run([restore, '-n'], part(res, 'iptables.rules'));
      const once = cleanSave(ns.run([save]));
      ns.run(['ipset', '-exist', 'restore'], part(res, 'ipsets.save'));
      ns.run([restore, '-n'], part(res, 'iptables.rules'));
      expect(cleanSave(ns.run([save]))).toBe(once);

      const after = rulesetKeys(parseSave(once));
      const was = rulesetKeys(before);
      for (const [chain, rules] of was) {
        if (/^filter (INPUT|DOCKER-USER)$/.test(chain)) continue;
        expect(after.get(chain), chain).toEqual(rules);
      }
      const want = desiredKeys(desired, 'ipv4');
      expect(after.get('filter INPUT')).toEqual(want.get('filter INPUT'));
      expect(after.get('filter DOCKWALL-FILTER')).toEqual(want.get('filter DOCKWALL-FILTER'));
      expect(after.get('filter DOCKER-USER')).toEqual([...want.get('filter DOCKER-USER')!, '-j RETURN']);
      expect(ns.run(['ipset', 'list', '-n']).split('\n').filter(Boolean)).toEqual(['allowed_hosts']);
      ns.run([`iptables-${variant}`, '-F']);
      ns.run([`iptables-${variant}`, '-X']);
      ns.run([`iptables-${variant}`, '-t', 'nat', '-F']);
      ns.run([`iptables-${variant}`, '-t', 'nat', '-X']);
    });
  }

  it("the systemd unit's own commands load the files (stdin empty, as under systemd)", () => {
    const { res } = fromPolicy(EXAMPLE, true);
    const dir = mkdtempSync(join(tmpdir(), 'dockwall-unit-'));
    for (const p of res.parts!) writeFileSync(join(dir, basename(p.path)), p.text);
    const commands = part(res, '.service')
      .split('\n')
      .filter((l) => /^ExecStart(Pre)?=/.test(l))
      .map((l) =>
        l
          .replace(/^[^=]+=/, '')
          .replaceAll('/etc/dockwall/', `${dir}/`)
          .split(' '),
      );
    for (const argv of commands) ns.run(argv, '');
    expect(ns.run(['iptables', '-S', 'INPUT'])).toMatch(/^-P INPUT DROP\n(-A INPUT .*\n){5}$/);
    expect(
      ns
        .run(['iptables', '-S', 'DOCKWALL-FILTER'])
        .split('\n')
        .filter((l) => l.startsWith('-A')),
    ).toHaveLength(4);
  });
});
