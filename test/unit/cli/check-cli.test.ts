import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures.js';
import { dockwall, tempFile } from './run-cli.js';

const STATE = ['--state', 'examples/state/seed-host.iptables-save'];
const example = readFileSync(`${repoRoot}examples/firewalling-docker.yaml`, 'utf8');

describe('dockwall check', () => {
  it("the bundled example's five expectations (the seed's outcomes) hold on the planned rules", () => {
    const r = dockwall(['check', '-f', 'examples/firewalling-docker.yaml', ...STATE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('5 of 5 expectations hold.');
  });

  it('flipping one rule makes check fail, naming the rule that decided', () => {
    // The shared filter drops instead of rejecting: "another host is refused" no longer holds.
    const flipped = tempFile('flipped.yaml', example.replace('otherwise: reject', 'otherwise: drop'));
    const r = dockwall(['check', '-f', flipped, ...STATE]);
    // exit codes: a failed assertion is 2, an error 1.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /expectation "another host is refused" .* failed: wanted reject, got drop, decided by filter DOCKWALL-FILTER rule \d+.*filter\/otherwise/,
    );
    expect(r.stdout).toContain('✗ "another host is refused"');
    expect(r.stdout).toContain('3 of 5 expectations hold.');
  });

  it('plan refuses to proceed when an expectation fails, unless --no-check', () => {
    const flipped = tempFile(
      'flipped.yaml',
      example.replace('sets: [allowed_hosts]', 'sources: [0.0.0.0/0]'),
    );
    const refused = dockwall(['plan', '-f', flipped, ...STATE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/an expectation failed/);
    expect(refused.stdout).toBe('');
    expect(dockwall(['plan', '-f', flipped, ...STATE, '--no-check']).code).toBe(2);
  });

  it('exit codes: a policy with no expect: is not a failure (0, and it says so); an error is 1', () => {
    const none = tempFile('none.yaml', example.slice(0, example.indexOf('expect:')));
    const r = dockwall(['check', '-f', none, ...STATE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('has no expect: assertions; nothing to check.');
    const json = dockwall(['check', '-f', none, ...STATE, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ passed: true, results: [] });
    expect(dockwall(['check', '-f', 'examples/no-such.yaml', ...STATE]).code).toBe(1);
  });
});

describe('dockwall trace', () => {
  it('exit codes: a bad address is an error (1) with a clear message, not verdict UNKNOWN', () => {
    const base = ['trace', '-f', 'examples/firewalling-docker.yaml', ...STATE];
    const bad = dockwall([...base, '--from', '192.168.122.300', '--to', '192.168.122.190:22/tcp']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--from 192.168.122.300 is not an IPv4 or IPv6 address');
    expect(bad.stdout).not.toMatch(/UNKNOWN/i);
    const badTo = dockwall([...base, '--from', '192.168.122.50', '--to', 'example.org:22/tcp']);
    expect(badTo.code).toBe(1);
    expect(badTo.stderr).toContain('example.org is not an IPv4 or IPv6 address');
    const good = dockwall([...base, '--from', '192.168.122.50', '--to', '192.168.122.190:22/tcp']);
    expect(good.code, good.stderr).toBe(0);
  });
});
