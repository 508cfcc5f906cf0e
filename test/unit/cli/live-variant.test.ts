import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CliContext } from '../../../src/cli/context.js';
import { readLiveState } from '../../../src/cli/live.js';
import { makePaint } from '../../../src/cli/output.js';
import { compileDesired, dockerChainsIn } from '../../../src/compile/index.js';
import type { RunResult } from '../../../src/host/runner.js';
import { loadPolicy } from '../../../src/policy/index.js';
import { repoRoot } from '../../helpers/fixtures.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test/fixtures/docker-20.10', name), 'utf8');

/**
 * Issue 11, item 11: fixture 09's host runs Docker with iptables-legacy while `iptables` is
 * nf_tables. On a live host dockwall must read (and so plan in) the variant Docker's chains are in.
 */
describe("a live plan reads the iptables variant Docker's chains are in", () => {
  it('reads the legacy tables when only they hold Docker’s chains, and says so', async () => {
    const legacy = fixture('09-legacy-backend.iptables-legacy-save');
    const nft = fixture('09-legacy-backend.iptables-nft-save-with-warning');
    const calls: string[] = [];
    const ok = (stdout: string): RunResult => ({ code: 0, stdout, stderr: '', durationMs: 1 });
    const runner = {
      wrap: [],
      run: async (argv: readonly string[]): Promise<RunResult> => {
        const cmd = argv.join(' ');
        calls.push(cmd);
        if (cmd === 'iptables --version') return ok('iptables v1.8.9 (nf_tables)\n');
        if (cmd === 'iptables-save') return ok(nft);
        if (cmd === 'iptables-legacy-save') return ok(legacy);
        const table = /^ip(6?)tables-legacy-save -t (\w+)$/.exec(cmd);
        if (table) {
          const text = table[1] ? '' : legacy;
          const start = text.indexOf(`*${table[2]}\n`);
          return ok(start < 0 ? '' : text.slice(start, text.indexOf('COMMIT\n', start) + 7));
        }
        if (argv[0] === 'ipset')
          return { code: 1, stdout: '', stderr: 'The set with the given name does not exist', durationMs: 1 };
        return { code: 127, stdout: '', stderr: `${argv[0]}: not found`, durationMs: 1 };
      },
    };
    const err: string[] = [];
    const ctx = new CliContext({
      out: () => {},
      err: (t) => void err.push(t),
      color: false,
      paint: makePaint(false),
    });
    const policy = loadPolicy(
      readFileSync(join(repoRoot, 'examples/firewalling-docker.yaml'), 'utf8'),
      'p.yaml',
    );
    const desired = compileDesired(policy.value!);
    const state = await readLiveState(ctx, desired, { runner });

    expect(calls).toContain('iptables-legacy-save -t filter');
    expect(calls.some((c) => c.startsWith('iptables-nft') || c.startsWith('iptables -w'))).toBe(false);
    expect(state.rulesets.ipv4!.variant).toBe('legacy');
    expect(dockerChainsIn(state, 'ipv4')).toBe(true);
    expect(ctx.diagnostics.map((d) => d.code)).toContain('host.variant-mismatch');
  });

  it('refuses to plan when the legacy tables may hold Docker’s chains but cannot be read', async () => {
    const nft = fixture('09-legacy-backend.iptables-nft-save-with-warning');
    const runner = {
      wrap: [],
      run: async (argv: readonly string[]): Promise<RunResult> => {
        const cmd = argv.join(' ');
        if (cmd === 'iptables --version')
          return { code: 0, stdout: 'iptables v1.8.9 (nf_tables)\n', stderr: '', durationMs: 1 };
        if (cmd === 'iptables-save') {
          // As iptables-nft-save prints it: the warning on standard error.
          const [warning, ...rest] = nft.split('\n');
          return { code: 0, stdout: rest.join('\n'), stderr: `${warning}\n`, durationMs: 1 };
        }
        return { code: 127, stdout: '', stderr: `${argv[0]}: not found`, durationMs: 1 };
      },
    };
    // A fresh module, so the variant detected in the test above is not reused.
    vi.resetModules();
    const live = await import('../../../src/cli/live.js');
    const ctx = new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
    const policy = loadPolicy(
      readFileSync(join(repoRoot, 'examples/firewalling-docker.yaml'), 'utf8'),
      'p.yaml',
    );
    await expect(live.readLiveState(ctx, compileDesired(policy.value!), { runner })).rejects.toThrow(
      /iptables-legacy tables are present .* `iptables-legacy-save` cannot be run here/,
    );
  });
});
