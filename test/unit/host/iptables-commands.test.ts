import { describe, expect, it } from 'vitest';
import { iptablesArgv, iptablesCommand, restoreArgv, saveArgv } from '../../../src/host/iptables-commands.js';

describe('iptables command names', () => {
  it('names every family, tool and variant', () => {
    expect(iptablesCommand('ipv4')).toBe('iptables');
    expect(iptablesCommand('ipv6', 'save')).toBe('ip6tables-save');
    expect(iptablesCommand('ipv4', 'restore', 'legacy')).toBe('iptables-legacy-restore');
    expect(iptablesCommand('ipv6', 'main', 'legacy')).toBe('ip6tables-legacy');
    expect(iptablesCommand('ipv4', 'save', 'nf_tables')).toBe('iptables-nft-save');
    expect(iptablesCommand('ipv6', 'restore', 'nf_tables')).toBe('ip6tables-nft-restore');
  });

  it('always waits for the xtables lock where the tool takes --wait', () => {
    expect(iptablesArgv('ipv4', 'nat', ['-S', 'DOCKER'])).toEqual([
      'iptables',
      '-w',
      '-t',
      'nat',
      '-S',
      'DOCKER',
    ]);
    expect(restoreArgv('ipv6', 'legacy')).toEqual(['ip6tables-legacy-restore', '--noflush', '--wait']);
    expect(restoreArgv('ipv4', undefined, { test: true })).toEqual([
      'iptables-restore',
      '--noflush',
      '--wait',
      '--test',
    ]);
  });

  it('builds save commands without --wait (the save tools reject it)', () => {
    expect(saveArgv('ipv4', 'filter')).toEqual(['iptables-save', '-t', 'filter']);
    expect(saveArgv('ipv6', undefined, 'legacy', { counters: true })).toEqual([
      'ip6tables-legacy-save',
      '-c',
    ]);
  });
});
