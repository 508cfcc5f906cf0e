import { describe, expect, it } from 'vitest';
import { detectVariant, hasDockerChains, parseVariant } from '../../../src/host/iptables-variant.js';
import { HostCommandError } from '../../../src/host/runner.js';
import { fakeRunner } from './fake-runner.js';

const WITH_DOCKER = '*filter\n:INPUT ACCEPT [0:0]\n:DOCKER - [0:0]\n:DOCKER-USER - [0:0]\nCOMMIT\n';
const PLAIN = '*filter\n:INPUT ACCEPT [0:0]\n:DOCKERISH - [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n';

describe('parseVariant / hasDockerChains', () => {
  it('reads the variant and version', () => {
    expect(parseVariant('iptables v1.8.9 (nf_tables)\n')).toEqual({ variant: 'nf_tables', version: '1.8.9' });
    expect(parseVariant('iptables v1.8.7 (legacy)\n')).toEqual({ variant: 'legacy', version: '1.8.7' });
    expect(parseVariant('iptables v1.6.1\n')).toEqual({ variant: 'legacy', version: '1.6.1' });
  });

  it('finds DOCKER chain declarations only', () => {
    expect(hasDockerChains(WITH_DOCKER)).toBe(true);
    expect(hasDockerChains(':DOCKER-ISOLATION-STAGE-1 - [0:0]\n')).toBe(true);
    expect(hasDockerChains(PLAIN)).toBe(false);
  });
});

describe('detectVariant', () => {
  it('sees Docker in the command’s own variant', async () => {
    const r = fakeRunner({
      'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
      'iptables-save': { stdout: WITH_DOCKER },
      'iptables-legacy-save': { stdout: '' },
    });
    expect(await detectVariant(r)).toEqual({
      command: 'nf_tables',
      version: '1.8.9',
      docker: 'nf_tables',
      mismatch: false,
    });
  });

  it('flags Docker in the other variant as a mismatch, plainly', async () => {
    const r = fakeRunner({
      'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
      'iptables-save': {
        stdout: '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n',
      },
      'iptables-legacy-save': { stdout: WITH_DOCKER },
    });
    const report = await detectVariant(r);
    expect(report).toMatchObject({ command: 'nf_tables', docker: 'legacy', mismatch: true });
    expect(report.message).toContain('invisible to the other');
    expect(report.message).toContain('iptables-legacy');
  });

  it('handles a legacy command with an nft copy of Docker’s chains', async () => {
    const r = fakeRunner({
      'iptables --version': { stdout: 'iptables v1.8.9 (legacy)\n' },
      'iptables-save': { stdout: PLAIN },
      'iptables-nft-save': { stdout: WITH_DOCKER },
    });
    expect(await detectVariant(r)).toMatchObject({ command: 'legacy', docker: 'nf_tables', mismatch: true });
  });

  it('reports none when no variant has DOCKER chains, and treats a missing other tool as empty', async () => {
    const r = fakeRunner({
      'iptables --version': { stdout: 'iptables v1.6.1\n' },
      'iptables-save': { stdout: PLAIN },
    });
    expect(await detectVariant(r)).toEqual({
      command: 'legacy',
      version: '1.6.1',
      docker: 'none',
      mismatch: false,
    });
  });

  it('notes leftovers when both variants hold Docker chains', async () => {
    const r = fakeRunner({
      'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
      'iptables-save': { stdout: WITH_DOCKER },
      'iptables-legacy-save': { stdout: WITH_DOCKER },
    });
    const report = await detectVariant(r);
    expect(report).toMatchObject({ docker: 'nf_tables', mismatch: false });
    expect(report.message).toContain('both');
  });

  it('throws when iptables itself is missing', async () => {
    await expect(detectVariant(fakeRunner({}))).rejects.toBeInstanceOf(HostCommandError);
  });
});
