import { describe, expect, it, vi } from 'vitest';
import type { Runner } from '../../../src/host/runner.js';

/** Every command the proofs' host read runs, on a host with empty tables and no sets. */
const ran: string[] = [];
const runner: Runner = {
  wrap: [],
  run: async (argv) => {
    ran.push(argv.join(' '));
    const stdout = argv[0]!.endsWith('-save') ? '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' : '';
    return { code: 0, stdout, stderr: '', durationMs: 1 };
  },
};

vi.mock('../../../src/cli/live.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src/cli/live.js')>()),
  hostRunner: () => runner,
  chooseVariant: async () => 'nf_tables',
}));

const { liveWholeHost } = await import('../../../src/cli/proof-inputs.js');
const { CliContext } = await import('../../../src/cli/context.js');
const { makePaint } = await import('../../../src/cli/output.js');
type Planned = import('../../../src/cli/pipeline.js').Planned;

const context = () => new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
const planned = () => ({ state: { rulesets: {}, sets: { sets: [] } } }) as unknown as Planned;

describe("a plan's proofs read the whole host once", () => {
  it('its expect: checks and its reachability difference share one read; another plan reads again', async () => {
    ran.length = 0;
    const ctx = context();
    const p = planned();
    const first = liveWholeHost(ctx, p);
    const second = liveWholeHost(ctx, p);
    expect(second).toBe(first);
    const state = await first;
    expect(Object.keys(state.rulesets).sort()).toEqual(['ipv4', 'ipv6']);
    const saves = () => ran.filter((a) => a.includes('-save')).sort();
    expect(saves()).toEqual(['ip6tables-nft-save', 'iptables-nft-save']);
    await liveWholeHost(ctx, planned());
    expect(saves()).toEqual([
      'ip6tables-nft-save',
      'ip6tables-nft-save',
      'iptables-nft-save',
      'iptables-nft-save',
    ]);
  });
});
