import { describe, expect, it } from 'vitest';
import { ipsetRestore, listSets, readAllSets, readSets } from '../../../src/host/ipset-host.js';
import { HostCommandError } from '../../../src/host/runner.js';
import { fakeRunner } from './fake-runner.js';

const ALLOWED =
  'create allowed_hosts hash:ip family inet hashsize 1024 maxelem 65536\nadd allowed_hosts 10.0.0.1\n';

describe('ipset host layer', () => {
  it('reads each named set and reports missing ones as absent', async () => {
    const r = fakeRunner({
      'ipset save allowed_hosts': { stdout: ALLOWED },
      'ipset save nosuch': { code: 1, stderr: 'ipset v7.17: The set with the given name does not exist\n' },
    });
    expect(await readSets(r, ['allowed_hosts', 'nosuch'])).toEqual([
      { name: 'allowed_hosts', present: true, text: ALLOWED },
      { name: 'nosuch', present: false, text: '' },
    ]);
  });

  it('throws on other failures', async () => {
    const r = fakeRunner({
      'ipset save a': { code: 1, stderr: 'ipset v7.17: Kernel error received: Operation not permitted\n' },
    });
    await expect(readSets(r, ['a'])).rejects.toBeInstanceOf(HostCommandError);
    await expect(readSets(fakeRunner({}), ['a'])).rejects.toThrow(/command not found/);
  });

  it('lists set names and saves everything', async () => {
    const r = fakeRunner({ 'ipset list -n': { stdout: 'a\nb\n\n' }, 'ipset save': { stdout: ALLOWED } });
    expect(await listSets(r)).toEqual(['a', 'b']);
    expect(await readAllSets(r)).toBe(ALLOWED);
  });

  it('restores from stdin and reports the failing line', async () => {
    const r = fakeRunner({
      'ipset restore': (_argv, opts) =>
        opts?.stdin?.includes('add b')
          ? { code: 1, stderr: 'ipset v7.17: Error in line 2: The set with the given name does not exist\n' }
          : {},
    });
    expect(await ipsetRestore(r, 'create a hash:ip\n')).toEqual({ ok: true, stderr: '' });
    expect(await ipsetRestore(r, 'create a hash:ip\nadd b 1.2.3.4\n')).toMatchObject({
      ok: false,
      line: 2,
      message: 'ipset v7.17: Error in line 2: The set with the given name does not exist',
    });
  });
});
