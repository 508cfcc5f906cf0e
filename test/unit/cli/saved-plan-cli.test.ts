import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures.js';
import { dockwall, tempFile } from './run-cli.js';

const POLICY = 'examples/firewalling-docker.yaml';
const DUMP = 'examples/state/seed-host.iptables-save';

describe('dockwall plan -o / apply FILE', () => {
  const out = join(dirname(tempFile('x', '')), 'saved.plan.json');
  const r = dockwall(['plan', '-f', POLICY, '--state', DUMP, '-o', out]);

  it('plan -o writes the plan with the policy path and digest, the state digest, version and time', () => {
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Plan: 12 to add, 1 to change, 0 to remove.');
    expect(r.stdout).toContain(`Saved the plan to ${out} (made against saved dumps`);
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    const json = JSON.parse(dockwall(['plan', '-f', POLICY, '--state', DUMP, '--json']).stdout);
    expect(saved).toMatchObject({
      kind: 'dockwall-saved-plan',
      formatVersion: 1,
      host: 'dumps',
      policy: { file: resolve(repoRoot, POLICY), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      stateSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      dockwallVersion: expect.any(String),
    });
    expect(Date.parse(saved.createdAt)).not.toBeNaN();
    expect(saved.plan.operations).toEqual(json.operations);
  });

  it('apply FILE refuses a plan made from dumps: exit 1, nothing changed', () => {
    const a = dockwall(['apply', out]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(
      `${out} cannot be applied: it was planned against saved dumps, not made against this host`,
    );
    expect(a.stderr).toContain('nothing was changed');
  });

  it('apply refuses a file that is not a saved plan, and both a plan and -f', () => {
    const bad = dockwall(['apply', tempFile('p.json', '{"operations": []}')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not a saved plan/);
    const both = dockwall(['apply', out, '-f', POLICY]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('give either a saved plan or -f POLICY, not both');
    const neither = dockwall(['apply']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain("required option '-f, --file <policy>' not specified");
  });
});
