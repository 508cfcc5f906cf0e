import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectVariant } from '../../../src/host/iptables-variant.js';
import {
  commandVariantFromPath,
  legacyTablesMayExist,
  localVariantFacts,
} from '../../../src/host/local-variant.js';
import { fakeRunner } from './fake-runner.js';

const root = mkdtempSync(join(tmpdir(), 'dockwall-variant-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A directory with `iptables` linked (through alternatives-style links) to `target`. */
function binDir(name: string, target: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const real = join(dir, target);
  writeFileSync(real, '#!/bin/sh\n', { mode: 0o755 });
  symlinkSync(real, join(dir, 'alternative'));
  symlinkSync(join(dir, 'alternative'), join(dir, 'iptables'));
  return dir;
}

describe('the iptables variant without a process', () => {
  it('follows `iptables` on PATH to its multi-call binary; anything else is not certain', () => {
    const nft = binDir('nft', 'xtables-nft-multi');
    const legacy = binDir('legacy', 'xtables-legacy-multi');
    const old = binDir('old', 'iptables-1.6');
    expect(commandVariantFromPath(`${join(root, 'none')}:${nft}:${legacy}`)).toBe('nf_tables');
    expect(commandVariantFromPath(`${legacy}:${nft}`)).toBe('legacy');
    // The first iptables found is the one run: an old binary first says nothing certain.
    expect(commandVariantFromPath(`${old}:${nft}`)).toBeUndefined();
    expect(commandVariantFromPath('')).toBeUndefined();
  });

  it('legacy tables: none when the kernel lists none (or has no ip_tables at all)', () => {
    const proc = join(root, 'proc');
    mkdirSync(proc);
    expect(legacyTablesMayExist(proc)).toBe(false);
    writeFileSync(join(proc, 'ip_tables_names'), '');
    expect(legacyTablesMayExist(proc)).toBe(false);
    writeFileSync(join(proc, 'ip_tables_names'), 'filter\n');
    expect(legacyTablesMayExist(proc)).toBe(true);
    expect(localVariantFacts({ PATH: binDir('nft2', 'xtables-nft-multi') }, proc)).toEqual({
      command: 'nf_tables',
    });
    writeFileSync(join(proc, 'ip_tables_names'), '');
    expect(localVariantFacts({ PATH: '' }, proc)).toEqual({ legacyTables: false });
  });

  it('detectVariant given the facts runs only iptables-save, and reports the same', async () => {
    const replies = {
      'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
      'iptables-save': { stdout: '*filter\n:INPUT ACCEPT [0:0]\n:DOCKER - [0:0]\nCOMMIT\n' },
      'iptables-legacy-save': { stdout: '' },
    };
    const asked = fakeRunner(replies);
    const told = fakeRunner(replies);
    const { version, ...full } = await detectVariant(asked);
    expect(version).toBe('1.8.9');
    expect(await detectVariant(told, { command: 'nf_tables', legacyTables: false })).toEqual(full);
    expect(told.calls.map((c) => c.argv.join(' '))).toEqual(['iptables-save']);
  });

  it('a legacy command still reads the nf_tables tables; legacy tables present are still read', async () => {
    const legacy = fakeRunner({
      'iptables-save': { stdout: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' },
      'iptables-nft-save': { stdout: '*filter\n:DOCKER - [0:0]\nCOMMIT\n' },
    });
    expect(await detectVariant(legacy, { command: 'legacy', legacyTables: false })).toMatchObject({
      command: 'legacy',
      docker: 'nf_tables',
      mismatch: true,
    });
    expect(legacy.calls.map((c) => c.argv.join(' '))).toEqual(['iptables-save', 'iptables-nft-save']);
    const both = fakeRunner({
      'iptables-save': {
        stdout: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n',
        stderr: '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n',
      },
      'iptables-legacy-save': { stdout: '*filter\n:DOCKER - [0:0]\nCOMMIT\n' },
    });
    expect(await detectVariant(both, { command: 'nf_tables' })).toMatchObject({
      docker: 'legacy',
      mismatch: true,
    });
    expect(both.calls.map((c) => c.argv.join(' ')).sort()).toEqual(['iptables-legacy-save', 'iptables-save']);
  });
});
