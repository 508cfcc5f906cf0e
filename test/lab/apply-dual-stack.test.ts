import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, labGate, probeTcp, startHostServices, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

/** One policy for both families: SSH from anywhere, port 8080 from host 2 only, the rest refused. */
const family = (name: string, host2: string, extra: string[]) =>
  [
    `${name}:`,
    '  filter:',
    '    INPUT:',
    '      policy: DROP',
    '      rules:',
    '        - loopback: -i lo -j ACCEPT',
    '        - established: -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ...extra,
    '        - ssh: -p tcp --dport 22 -j ACCEPT',
    `        - web_host2: -s ${host2} -p tcp --dport 8080 -j ACCEPT`,
    '        - refuse: -p tcp -j REJECT --reject-with tcp-reset',
  ].join('\n');
const POLICY = [
  'dockwall: 1',
  family('ipv4', '10.77.0.2', []),
  // IPv6 needs neighbour discovery.
  family('ipv6', 'fd77::2', ['        - neighbours: -p ipv6-icmp -j ACCEPT']),
  '',
].join('\n');

describe.skipIf(gate.skip)('apply of a dual-stack policy, with real IPv4 and IPv6 traffic', () => {
  let lab: Lab;
  let fw: LabHost;
  let host2: LabHost;
  let host3: LabHost;
  let policy: string;

  const dockwall = (args: string[]) => lab.runDockwall(fw, args, { timeoutMs: 120_000 });
  const outcomes = async () => {
    const [v4ok, v4no, v4ssh, v6ok, v6no, v6ssh] = await Promise.all([
      probeTcp(lab, host2, '10.77.0.1', 8080),
      probeTcp(lab, host3, '10.77.0.1', 8080),
      probeTcp(lab, host3, '10.77.0.1', 22),
      probeTcp(lab, host2, 'fd77::1', 8080),
      probeTcp(lab, host3, 'fd77::1', 8080),
      probeTcp(lab, host3, 'fd77::1', 22),
    ]);
    return { v4ok, v4no, v4ssh, v6ok, v6no, v6ssh };
  };

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.77.0.1/24', extraAddresses: ['fd77::1/64'] });
    host2 = await lab.addHost('host2', { address: '10.77.0.2/24', extraAddresses: ['fd77::2/64'] });
    host3 = await lab.addHost('host3', { address: '10.77.0.3/24', extraAddresses: ['fd77::3/64'] });
    await startHostServices(lab, fw, [22, 8080]);
    policy = join(lab.dir, 'dual.yaml');
    writeFileSync(policy, POLICY);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('before: every port is open in both families', async () => {
    expect(await outcomes()).toEqual({
      v4ok: 'open',
      v4no: 'open',
      v4ssh: 'open',
      v6ok: 'open',
      v6no: 'open',
      v6ssh: 'open',
    });
  });

  it('apply gives the same outcomes in both families, both policies DROP, and a second plan is empty', async () => {
    const r = await dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')]);
    expect(r.code, r.stderr).toBe(0);
    expect(await outcomes()).toEqual({
      v4ok: 'open',
      v4no: 'refused',
      v4ssh: 'open',
      v6ok: 'open',
      v6no: 'refused',
      v6ssh: 'open',
    });
    expect((await lab.execChecked(fw, ['iptables', '-S', 'INPUT'])).stdout).toMatch(/^-P INPUT DROP$/m);
    expect((await lab.execChecked(fw, ['ip6tables', '-S', 'INPUT'])).stdout).toMatch(/^-P INPUT DROP$/m);
    const again = await dockwall(['plan', '-f', policy]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await dockwall(['status', '-f', policy])).code).toBe(0);
  });

  it('trace on the live host says the same for IPv6, naming the deciding rule', async () => {
    const trace = async (from: string) => {
      const r = await dockwall(['trace', '--from', from, '--to', '[fd77::1]:8080/tcp', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { verdict: string; decidedBy?: { rule?: string } };
    };
    const ok = await trace('fd77::2');
    expect(ok.verdict).toBe('accept');
    expect(JSON.stringify(ok.decidedBy)).toContain('web_host2');
    const no = await trace('fd77::3');
    expect(no.verdict).toBe('reject');
    expect(JSON.stringify(no.decidedBy)).toContain('refuse');
  });

  it('drift in ip6tables only is reported by status (exit 2) and repaired by apply', async () => {
    await lab.execChecked(fw, ['ip6tables', '-P', 'INPUT', 'ACCEPT']);
    const deleted = await lab.execChecked(fw, ['ip6tables', '-S', 'INPUT']);
    const refuse = deleted.stdout.split('\n').find((l) => l.includes('dockwall:refuse'))!;
    await lab.execChecked(fw, ['ip6tables', ...refuse.replace(/^-A /, '-D ').split(' ').map(unquote)]);
    expect((await outcomes()).v6no).toBe('open');
    const status = await dockwall(['status', '-f', policy]);
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/ipv6/);
    const r = await dockwall(['apply', '-f', policy, '--yes', '--state-dir', join(lab.dir, 'state')]);
    expect(r.code, r.stderr).toBe(0);
    expect((await outcomes()).v6no).toBe('refused');
    expect((await dockwall(['status', '-f', policy])).code).toBe(0);
  });
});

function unquote(word: string): string {
  return word.replace(/^"(.*)"$/, '$1');
}
