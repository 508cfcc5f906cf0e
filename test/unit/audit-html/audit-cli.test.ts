import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../../src/sim/index.js';
import { dockwall, tempFile } from '../cli/run-cli.js';
import { FIXTURE_HOST } from './reports.js';

const FIXTURE_02 = 'test/fixtures/docker-20.10/02-one-published-port.iptables-save';
const SEED = ['--state', 'examples/state/seed-host.iptables-save', '-f', 'examples/firewalling-docker.yaml'];

function port8000(report: AuditReport) {
  const d = report.destinations.find((x) => x.destination.hostPort === 8000);
  if (!d) throw new Error('no destination for port 8000');
  return d;
}

describe('dockwall audit (the built CLI)', () => {
  const hostModel = tempFile('host.json', JSON.stringify(FIXTURE_HOST));

  it('fixture 02: port 8000 is open to every source', () => {
    const text = dockwall(['audit', '--state', FIXTURE_02, '--host-model', hostModel]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('0.0.0.0:8000/tcp published -> 172.17.0.2:80  [open to the world]');
    expect(text.stdout).toContain(
      'info: 0.0.0.0:8000/tcp published -> 172.17.0.2:80 is reachable from every source',
    );

    const json = dockwall(['audit', '--state', FIXTURE_02, '--host-model', hostModel, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const d = port8000(JSON.parse(json.stdout) as AuditReport);
    expect(d.worldOpen).toBe(true);
    // Everyone but the martian sources the kernel drops before any rule.
    const groups = d.probes[0]!.groups;
    expect(groups.filter((g) => !g.reachable).every((g) => g.decidedBy?.kind === 'kernel')).toBe(true);
    expect(d.reachableFrom).toContain('1.0.0.0-126.255.255.255');
  });

  it("after the seed's policy, port 8000 is open to 192.168.122.193 only; other sources are rejected", () => {
    const json = dockwall(['audit', ...SEED, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as AuditReport;
    const d = port8000(report);
    expect(d.worldOpen).toBe(false);
    expect(d.reachableFrom).toEqual(['192.168.122.193/32']);
    const verdicts = d.probes[0]!.groups.map((g) => [g.verdict, g.reachable, g.decidedBy?.kind]);
    expect(verdicts).toEqual([
      ['drop', false, 'kernel'],
      ['reject', false, 'rule'],
      ['accept', true, 'rule'],
    ]);
    expect(report.inputPolicy.ipv4).toBe('DROP');
    expect(report.findings).toEqual([]);

    const text = dockwall(['audit', ...SEED]);
    expect(text.stdout).toContain('    reaches it: 192.168.122.193/32 (filter DOCKER rule 1');
    expect(text.stdout).not.toContain('[open to the world]');
  });

  it('--html FILE writes the page and still prints the report', () => {
    const file = join(dirname(hostModel), 'audit.html');
    const r = dockwall(['audit', ...SEED, '--html', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${file}`);
    expect(r.stdout).toContain('0.0.0.0:8000/tcp published');
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(
      'audit of examples/state/seed-host.iptables-save as examples/firewalling-docker.yaml would leave it',
    );
    expect(html).toMatch(/<tr class="dest-row"[^>]*data-port="8000"[^>]*data-world-open="false"/);
    expect(html).toContain('data-chain="DOCKWALL-FILTER"');
  });

  it('--html into a directory that does not exist: exit 1, a message, no file', () => {
    const file = join(dirname(hostModel), 'no-such-dir', 'audit.html');
    const r = dockwall(['audit', '--state', FIXTURE_02, '--host-model', hostModel, '--html', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write ${file}: no such file or directory`);
    expect(existsSync(file)).toBe(false);
  });
});

describe('exit codes: audit --fail-on', () => {
  const hostModel = tempFile('host.json', JSON.stringify(FIXTURE_HOST));

  it('exits 2 with --fail-on open-world when a port is open to every source, 0 without it', () => {
    const plain = dockwall(['audit', '--state', FIXTURE_02, '--host-model', hostModel]);
    expect(plain.code).toBe(0);
    const r = dockwall([
      'audit',
      '--state',
      FIXTURE_02,
      '--host-model',
      hostModel,
      '--fail-on',
      'open-world',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('[open to the world]');
    expect(r.stderr).toContain('audit --fail-on: 1 port(s) reachable from every source');
  });

  it("exits 0 with --fail-on open-world,unknown after the seed's policy (nothing open to the world)", () => {
    const r = dockwall(['audit', ...SEED, '--fail-on', 'open-world,unknown']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses an unknown --fail-on value (exit 1, naming the values)', () => {
    const r = dockwall(['audit', '--state', FIXTURE_02, '--fail-on', 'everything']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('expected open-world, unknown, depends, warning');
  });
});
