import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, labGate, probeTcp, startHostServices, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

/**
 * Issue 11, item 5: `-j ACCPET`, `-j DOCKWALL-MISSING` and `-m no_such_module_here` pass
 * `iptables-restore --test` and fail only when the transaction commits. dockwall refuses them before
 * anything changes; a jump to another program's chain works once that chain exists; an extension
 * listed under `extensions` is checked with the host's iptables.
 */
const policyWith = (rule: string, extra: string[] = []) =>
  [
    'dockwall: 1',
    ...extra,
    'ipv4:',
    '  filter:',
    '    INPUT:',
    '      rules:',
    `        - web: ${rule}`,
    '',
  ].join('\n');

describe.skipIf(gate.skip)('typos iptables-restore --test lets through are refused before the commit', () => {
  let lab: Lab;
  let fw: LabHost;
  let host2: LabHost;
  let host3: LabHost;
  let n = 0;

  const dockwall = (args: string[]) => lab.runDockwall(fw, args, { timeoutMs: 120_000 });
  const save = async () => (await lab.execChecked(fw, ['iptables-save'])).stdout.replace(/^#.*\n/gm, '');
  const apply = (text: string) => {
    const file = join(lab.dir, `policy-${++n}.yaml`);
    writeFileSync(file, text);
    return dockwall(['apply', '-f', file, '--yes', '--state-dir', join(lab.dir, 'state')]);
  };

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.79.0.1/24' });
    host2 = await lab.addHost('host2', { address: '10.79.0.2/24' });
    host3 = await lab.addHost('host3', { address: '10.79.0.3/24' });
    await startHostServices(lab, fw, [8080]);
    // Tables exist, so iptables-save shows what apply would change.
    await lab.execChecked(fw, ['iptables', '-w', '-P', 'INPUT', 'ACCEPT']);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('iptables-restore --test accepts the misspelt target and the missing chain (the hole)', async () => {
    // (iptables 1.8.9 refuses `-m no_such_module_here` in --test already: it loads match libraries.)
    for (const rule of ['-j ACCPET', '-j DOCKWALL-MISSING']) {
      const r = await lab.exec(fw, ['iptables-restore', '--noflush', '--test'], {
        stdin: `*filter\n-A INPUT -p tcp --dport 8080 ${rule}\nCOMMIT\n`,
      });
      expect(r.code, rule).toBe(0);
    }
  });

  it('dockwall refuses each with its position, and the tables stay as they were', async () => {
    const before = await save();
    const cases: Array<[string, string]> = [
      ['-p tcp --dport 8080 -j ACCPET', 'policy.unknown-target'],
      ['-p tcp --dport 8080 -j DOCKWALL-MISSING', 'policy.unknown-chain'],
      ['-m no_such_module_here -p tcp --dport 8080 -j ACCEPT', 'policy.unknown-match'],
      ['-p tcp --dport 8080 -j lab-block', 'plan.missing-chain'],
    ];
    for (const [rule, code] of cases) {
      const r = await apply(policyWith(rule));
      expect(r.code, rule).toBe(1);
      expect(r.stderr, rule).toContain(`[${code}]`);
      expect(r.stderr, rule).toMatch(/policy-\d+\.yaml:6:\d+/);
    }
    expect(await save()).toBe(before);
    expect(await probeTcp(lab, host2, '10.79.0.1', 8080)).toBe('open');
  });

  it("a jump to another program's chain applies once that chain exists, and the kernel follows it", async () => {
    await lab.execChecked(fw, ['iptables', '-w', '-N', 'lab-block']);
    await lab.execChecked(fw, ['iptables', '-w', '-A', 'lab-block', '-s', '10.79.0.2', '-j', 'REJECT']);
    const r = await apply(policyWith('-p tcp --dport 8080 -j lab-block'));
    expect(r.code).toBe(0);
    expect(await probeTcp(lab, host2, '10.79.0.1', 8080)).toBe('refused');
    expect(await probeTcp(lab, host3, '10.79.0.1', 8080)).toBe('open');
  });

  it('an extension listed under `extensions` is checked with the host’s iptables', async () => {
    const missing = await apply(
      policyWith('-m geoip --src-cc CN -j DROP', ['extensions:', '  matches: [geoip]']),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[host.extension-unavailable]');
    // One iptables has (a module dockwall models, so the rule reads back as written).
    const present = await apply(
      policyWith('-p tcp --dport 8080 -m mark ! --mark 0x1 -j ACCEPT', ['extensions:', '  matches: [mark]']),
    );
    expect(present.stderr).not.toContain('extension-unavailable');
    expect(present.code, present.stderr).toBe(0);
    expect(await probeTcp(lab, host2, '10.79.0.1', 8080)).toBe('open');
  });
});
