import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipsetRestore, listSets, readSets } from '../../src/host/ipset-host.js';
import { checkPrivileges, readChainRules, readTable, restore } from '../../src/host/iptables-host.js';
import { detectVariant } from '../../src/host/iptables-variant.js';
import { createRunner, runChecked } from '../../src/host/runner.js';
import { createLab, findBinary, labGate, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

describe.skipIf(gate.skip)('host layer against the kernel (in a lab namespace)', () => {
  let lab: Lab;
  let fw: LabHost;

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.99.0.1/24' });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('has the privileges as root, and explains their absence as nobody', async () => {
    expect(await checkPrivileges(fw.runner, { ipset: true })).toEqual({ ok: true });
    if (!findBinary('setpriv')) return;
    const nobody = createRunner({
      wrap: [...fw.runner.wrap, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    });
    const check = await checkPrivileges(nobody);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(/CAP_NET_ADMIN/);
  });

  it('reads missing chains as absent in both variants', async () => {
    expect(await readChainRules(fw.runner, 'ipv4', 'filter', 'DWL-NOPE')).toEqual({
      exists: false,
      text: '',
    });
    expect(await readChainRules(fw.runner, 'ipv6', 'nat', 'DWL-NOPE')).toEqual({ exists: false, text: '' });
    expect(await readChainRules(fw.runner, 'ipv4', 'filter', 'DWL-NOPE', { variant: 'legacy' })).toEqual({
      exists: false,
      text: '',
    });
  });

  it('restores without flushing, and reads the result back', async () => {
    const script =
      '*filter\n:DWL-TEST - [0:0]\n-A DWL-TEST -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';
    expect(await restore(fw.runner, 'ipv4', script)).toMatchObject({ ok: true });
    const chain = await readChainRules(fw.runner, 'ipv4', 'filter', 'DWL-TEST');
    expect(chain).toEqual({
      exists: true,
      text: '-N DWL-TEST\n-A DWL-TEST -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\n',
    });
    // --noflush: a second restore appends instead of replacing the table.
    await restore(fw.runner, 'ipv4', '*filter\n-A DWL-TEST -j RETURN\nCOMMIT\n');
    const table = await readTable(fw.runner, 'ipv4', 'filter');
    expect(table).toContain(':DWL-TEST - [0:0]');
    expect(table).toContain('-A DWL-TEST -s 10.0.0.0/8');
    expect(table).toContain('-A DWL-TEST -j RETURN');
  });

  it("returns the kernel's message and line on failure and changes nothing", async () => {
    const bad = '*filter\n-A DWL-TEST -j ACCEPT\n-A DWL-TEST -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n';
    const out = await restore(fw.runner, 'ipv4', bad);
    expect(out.ok).toBe(false);
    expect(out.line).toBe(3);
    expect(out.message).toMatch(/99999/);
    const missing = await restore(fw.runner, 'ipv4', '*filter\n-A DWL-NOPE -j ACCEPT\nCOMMIT\n');
    expect(missing).toMatchObject({ ok: false, line: 2 });
    const chain = await readChainRules(fw.runner, 'ipv4', 'filter', 'DWL-TEST');
    expect(chain.text.split('\n').filter((l) => l.startsWith('-A')).length).toBe(2);
  });

  it('test mode checks a script without applying it', async () => {
    const script = '*filter\n:DWL-DRY - [0:0]\nCOMMIT\n';
    expect(await restore(fw.runner, 'ipv4', script, { test: true })).toMatchObject({ ok: true });
    expect((await readChainRules(fw.runner, 'ipv4', 'filter', 'DWL-DRY')).exists).toBe(false);
  });

  it('writes and reads IPv6 rules with ip6tables', async () => {
    const script = '*filter\n:DWL-SIX - [0:0]\n-A DWL-SIX -s fd00::/8 -j ACCEPT\nCOMMIT\n';
    expect(await restore(fw.runner, 'ipv6', script)).toMatchObject({ ok: true });
    expect((await readChainRules(fw.runner, 'ipv6', 'filter', 'DWL-SIX')).text).toContain('-s fd00::/8');
    expect((await readChainRules(fw.runner, 'ipv4', 'filter', 'DWL-SIX')).exists).toBe(false);
  });

  it('restores, lists and reads ipsets; a missing set is absent', async () => {
    const ok = await ipsetRestore(
      fw.runner,
      'create dwl_allowed hash:ip family inet\nadd dwl_allowed 10.0.0.1\n',
    );
    expect(ok).toMatchObject({ ok: true });
    expect(await listSets(fw.runner)).toContain('dwl_allowed');
    const [present, absent] = await readSets(fw.runner, ['dwl_allowed', 'dwl_nope']);
    expect(present).toMatchObject({ name: 'dwl_allowed', present: true });
    expect(present?.text).toMatch(/^add dwl_allowed 10\.0\.0\.1$/m);
    expect(absent).toEqual({ name: 'dwl_nope', present: false, text: '' });
    const unknown = await ipsetRestore(fw.runner, 'add dwl_allowed 10.0.0.9\nadd dwl_nope 10.0.0.3\n');
    expect(unknown).toMatchObject({ ok: false, line: 2, message: expect.stringContaining('does not exist') });
    const duplicate = await ipsetRestore(fw.runner, 'add dwl_allowed 10.0.0.2\nadd dwl_allowed 10.0.0.1\n');
    expect(duplicate).toMatchObject({
      ok: false,
      line: 2,
      message: expect.stringContaining('already added'),
    });
    // Not atomic: the line the kernel accepted before the error stays.
    expect((await readSets(fw.runner, ['dwl_allowed']))[0]?.text).toContain('add dwl_allowed 10.0.0.2');
  });

  it('detects Docker chains in the other variant as a mismatch', async () => {
    const before = await detectVariant(fw.runner);
    expect(before).toMatchObject({ docker: 'none', mismatch: false });
    const other = before.command === 'nf_tables' ? 'iptables-legacy' : 'iptables-nft';
    await runChecked(fw.runner, [other, '-w', '-N', 'DOCKER']);
    const mismatch = await detectVariant(fw.runner);
    expect(mismatch).toMatchObject({ command: before.command, mismatch: true });
    expect(mismatch.docker).not.toBe(before.command);
    expect(mismatch.message).toContain('invisible to the other');
    await runChecked(fw.runner, ['iptables', '-w', '-N', 'DOCKER']);
    const both = await detectVariant(fw.runner);
    expect(both).toMatchObject({ docker: before.command, mismatch: false });
    expect(both.message).toContain('both');
  });
});
