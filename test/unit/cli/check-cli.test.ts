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
    expect(r.code).toBe(1);
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
});
