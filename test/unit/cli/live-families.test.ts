import { describe, expect, it } from 'vitest';
import { CliContext } from '../../../src/cli/context.js';
import { readLiveState } from '../../../src/cli/live.js';
import { makePaint } from '../../../src/cli/output.js';
import { compileDesired } from '../../../src/compile/index.js';
import type { Runner } from '../../../src/host/runner.js';
import { policyFrom, policyText } from '../../helpers/fixtures.js';

/** A host whose IPv4 tables are empty and whose ip6tables fails (a kernel booted with ipv6.disable=1). */
const noIpv6: Runner = {
  wrap: [],
  run: async (argv) => {
    if (argv[0]!.startsWith('ip6tables') || argv.join(' ') === 'nft list chains ip6')
      return {
        code: 3,
        stdout: '',
        stderr:
          "ip6tables v1.8.9 (nf_tables): can't initialize ip6tables table `filter': Address family not supported by protocol\n",
        durationMs: 1,
      };
    return { code: 0, stdout: '', stderr: '', durationMs: 1 };
  },
};

const context = () => new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });

describe('live host families: an unreadable family is a warning naming what stays unfiltered', () => {
  it('the shared filter on a host whose ip6tables cannot be read: IPv4 is read, IPv6 is named as unfiltered', async () => {
    const ctx = context();
    const desired = compileDesired(policyFrom('examples/firewalling-docker.yaml'));
    expect(desired.families).toEqual(['ipv4', 'ipv6']);
    const state = await readLiveState(ctx, desired, {
      runner: noIpv6,
      variant: 'nf_tables',
      requiredFamilies: ['ipv4'],
    });
    expect(Object.keys(state.rulesets)).toEqual(['ipv4']);
    const w = ctx.diagnostics.filter((d) => d.code === 'host.family-unreadable');
    expect(w).toHaveLength(1);
    expect(w[0]!.severity).toBe('warning');
    expect(w[0]!.message).toMatch(/ipv6 tables could not be read .*Address family not supported/);
    expect(w[0]!.message).toContain(
      'the shared filter is not applied to ipv6, so ipv6 traffic stays unfiltered',
    );
  });

  it('a family the policy names itself (ipv6:) must be read: that is an error, as before', async () => {
    const p = policyText(
      'dockwall: 1\nipv6:\n  filter:\n    INPUT:\n      rules:\n        - ssh: -p tcp --dport 22 -j ACCEPT\n',
    );
    await expect(
      readLiveState(context(), compileDesired(p), {
        runner: noIpv6,
        variant: 'nf_tables',
        requiredFamilies: ['ipv6'],
      }),
    ).rejects.toThrow(/Address family not supported/);
  });
});
