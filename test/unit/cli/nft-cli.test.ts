import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures.js';
import { dockwall, tempFile } from './run-cli.js';

const FIX = 'test/fixtures/docker-29.7.2-nftables/usernet-portmap';
const OFFLINE = ['--host-model', `${FIX}/host.json`, '--docker-state', `${FIX}/docker.json`];
const TRACE = ['trace', '--from', '192.168.122.193', '--to', '192.168.122.190:8080/tcp', '--in', 'eth0'];

/** The recorded rule set with rules dockwall does not model in the chain that accepts the published port. */
function withUnmodelled(): string {
  const doc = JSON.parse(readFileSync(`${repoRoot}${FIX}/ruleset.json`, 'utf8')) as { nftables: unknown[] };
  const chain = 'filter-forward-in__bridge1';
  const rule = (expr: unknown[]) => ({ rule: { family: 'ip', table: 'docker-bridges', chain, expr } });
  const at = doc.nftables.findIndex(
    (o) => JSON.stringify(o).includes(`"chain":"${chain}"`) && 'rule' in (o as object),
  );
  doc.nftables.splice(
    at,
    0,
    rule([{ match: { op: '==', left: { meta: { key: 'skuid' } }, right: 0 } }, { accept: null }]),
    rule([{ match: { op: '==', left: { osf: { key: 'name' } }, right: 'Linux' } }, { drop: null }]),
  );
  return JSON.stringify(doc, null, 1);
}

describe('trace, check and audit on a saved nft -j ruleset', () => {
  it('trace names the backend and walks Docker 29 nftables rules to the deciding rule', () => {
    const r = dockwall([...TRACE, '--state', `${FIX}/ruleset.json`, ...OFFLINE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Docker firewall backend: nftables (Docker reports firewall backend nftables)',
    );
    expect(r.stdout).toContain('rewrite: dnat 192.168.122.190:8080 -> 192.0.2.2:80');
    expect(r.stdout).toMatch(
      /verdict: ACCEPT \(forwarded out bridge1\) by ip docker-bridges filter-forward-in__bridge1 rule 3/,
    );
  });

  it('without the Engine API the backend is told by the tables; --json carries it', () => {
    const r = dockwall([
      ...TRACE,
      '--state',
      `${FIX}/ruleset.json`,
      '--host-model',
      `${FIX}/host.json`,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { verdict: string; backend: unknown };
    expect(out.verdict).toBe('accept');
    expect(out.backend).toEqual({
      backend: 'nftables',
      source: 'rules',
      detail: 'nftables table ip docker-bridges present',
    });
  });

  it('a saved ruleset with expressions dockwall does not model gives unknown naming them and where they are', () => {
    const file = tempFile('unmodelled.json', withUnmodelled());
    const r = dockwall([...TRACE, '--state', file, ...OFFLINE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('verdict: UNKNOWN');
    expect(r.stdout).toMatch(/meta skuid is not modelled/);
    expect(r.stdout).toMatch(new RegExp(`unmodelled\\.json:\\d+:\\d+: meta skuid`));
    const a = dockwall(['audit', '--state', file, ...OFFLINE, '--json']);
    expect(a.code).toBe(0);
    const report = JSON.parse(a.stdout) as { findings: Array<{ code: string; hint?: string }> };
    const unknown = report.findings.find((f) => f.code === 'audit.unknown');
    expect(unknown?.hint).toMatch(/meta skuid is not modelled/);
  });

  it('a file that is not JSON gives a positioned error, and nothing crashes', () => {
    const broken = tempFile('broken.json', '{"nftables": [\n  {"table": {"family": "ip", "name": "t"}\n]}\n');
    const r = dockwall([...TRACE, '--state', broken, ...OFFLINE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[parse\.nft-not-json\]: not JSON: unexpected '\]'/);
    expect(r.stderr).toMatch(/broken\.json:3:1/);
    expect(r.stderr).not.toMatch(/at .*\.cjs:\d+/);
    const text = dockwall([...TRACE, '--state', `${FIX}/ruleset.nft`, ...OFFLINE]);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/error\[parse\.nft-text\]/);
    expect(text.stderr).toMatch(/ruleset\.nft:1:1/);
  });

  it("check evaluates a policy's expectations with the nftables rules", () => {
    const policy = tempFile(
      'p.yaml',
      [
        'dockwall: 1',
        'host:',
        '  interfaces:',
        '    eth0: [192.168.122.190/24]',
        '    bridge1: [192.0.2.1/24]',
        'expect:',
        '  - name: the published port is open',
        '    from: 192.168.122.193',
        '    to: 192.168.122.190:8080/tcp',
        '    in: eth0',
        '    verdict: accept',
        '  - name: the container address is not routable from outside',
        '    from: 192.168.122.193',
        '    to: 192.0.2.2:80/tcp',
        '    in: eth0',
        '    verdict: drop',
        '',
      ].join('\n'),
    );
    const r = dockwall([
      'check',
      '-f',
      policy,
      '--state',
      `${FIX}/ruleset.json`,
      '--docker-state',
      `${FIX}/docker.json`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Docker firewall backend: nftables');
    expect(r.stdout).toContain('2 of 2 expectations hold.');
    expect(r.code).toBe(0);
  });

  it("an iptables dump alone on a host whose Docker uses nftables warns that Docker's rules are missing", () => {
    const r = dockwall([...TRACE, '--state', 'examples/state/seed-host.iptables-save', ...OFFLINE]);
    expect(r.stderr).toMatch(/warning\[sim\.nft-missing\]/);
  });
});
