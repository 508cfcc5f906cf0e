import { describe, expect, it } from 'vitest';
import { CliContext } from '../../../src/cli/context.js';
import { readLiveState } from '../../../src/cli/live.js';
import { makePaint } from '../../../src/cli/output.js';
import { compileDesired } from '../../../src/compile/index.js';
import { nftChainListing } from '../../../src/host/nft-host.js';
import { detectVariant } from '../../../src/host/iptables-variant.js';
import { policyText } from '../../helpers/fixtures.js';
import { fakeRunner } from '../host/fake-runner.js';

const LISTING = [
  'table ip filter {',
  '\tchain INPUT {',
  '\t}',
  '\tchain DOCKWALL-OLD {',
  '\t}',
  '}',
  'table ip6 filter {',
  '\tchain INPUT {',
  '\t}',
  '}',
  '',
].join('\n');
const byFamily = (family: 'ip' | 'ip6') =>
  LISTING.split(/(?=^table )/m)
    .filter((t) => t.startsWith(`table ${family} `))
    .join('');

const host = () =>
  fakeRunner({
    'nft list chains': { stdout: LISTING },
    'nft list chains ip': { stdout: byFamily('ip') },
    'nft list chains ip6': { stdout: byFamily('ip6') },
    'iptables-nft -w -t filter -S INPUT': {
      stdout: '-P INPUT ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n',
    },
    'iptables-nft -w -t filter -S DOCKWALL-OLD': { stdout: '-N DOCKWALL-OLD\n-A DOCKWALL-OLD -j DROP\n' },
    'ip6tables-nft -w -t filter -S INPUT': { stdout: '-P INPUT ACCEPT\n' },
  });

const context = () => new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
const desired = () =>
  compileDesired(
    policyText(
      'dockwall: 1\nipv4:\n  filter:\n    INPUT:\n      rules:\n        - ssh: -p tcp --dport 22 -j ACCEPT\nipv6:\n  filter:\n    INPUT:\n      rules:\n        - ssh: -p tcp --dport 22 -j ACCEPT\n',
    ),
  );

describe('live reads: what every live plan reads first is read once', () => {
  it('readLiveState given the listing of every family lists no family again and reads the same chains', async () => {
    const perFamily = host();
    const alone = await readLiveState(context(), desired(), { runner: perFamily, variant: 'nf_tables' });
    const shared = host();
    const given = await readLiveState(context(), desired(), {
      runner: shared,
      variant: 'nf_tables',
      chainListing: nftChainListing(shared),
    });
    expect(given).toEqual(alone);
    expect(alone.rulesets.ipv4?.tables[0]?.chains.map((c) => c.name).sort()).toEqual([
      'DOCKWALL-OLD',
      'INPUT',
    ]);
    const listings = (r: typeof shared) =>
      r.calls.map((c) => c.argv.join(' ')).filter((a) => a.startsWith('nft list chains'));
    expect(listings(perFamily).sort()).toEqual(['nft list chains ip', 'nft list chains ip6']);
    expect(listings(shared)).toEqual(['nft list chains']);
  });

  it('detectVariant reads the legacy tables beside the nf_tables ones, and nf_tables only when iptables is legacy', async () => {
    const nft = fakeRunner({
      'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
      'iptables-save': { stdout: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' },
    });
    expect(await detectVariant(nft)).toMatchObject({ command: 'nf_tables', docker: 'none' });
    expect(nft.calls.map((c) => c.argv.join(' ')).sort()).toEqual([
      'iptables --version',
      'iptables-legacy-save',
      'iptables-save',
    ]);
    const legacy = fakeRunner({
      'iptables --version': { stdout: 'iptables v1.8.9 (legacy)\n' },
      'iptables-save': { stdout: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' },
      'iptables-nft-save': { stdout: '*filter\n:DOCKER - [0:0]\nCOMMIT\n' },
    });
    expect(await detectVariant(legacy)).toMatchObject({
      command: 'legacy',
      docker: 'nf_tables',
      mismatch: true,
    });
    expect(legacy.calls.map((c) => c.argv.join(' ')).at(-1)).toBe('iptables-nft-save');
  });
});
