import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliContext } from '../../src/cli/context.js';
import { listeningPorts, ssSockets } from '../../src/cli/listening.js';
import { readLiveChains, readLiveState } from '../../src/cli/live.js';
import { chainsFromSave } from '../../src/cli/save-chains.js';
import { readAllTables } from '../../src/host/iptables-host.js';
import { commandVariantFromPath } from '../../src/host/local-variant.js';
import { parseVariant } from '../../src/host/iptables-variant.js';
import { procListening } from '../../src/host/proc-sockets.js';
import { commandEnv } from '../../src/host/runner.js';
import { makePaint } from '../../src/cli/output.js';
import { compileDesired } from '../../src/compile/index.js';
import { isBuiltinChain, type HostState } from '../../src/model/index.js';
import { formatRule } from '../../src/parse/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import { createLab, labGate, type Lab, type LabHost } from './helpers/index.js';

const gate = await labGate();

const POLICY = `dockwall: 1
ipv4:
  filter:
    INPUT:
      rules:
        - ssh: -p tcp --dport 22 -j ACCEPT
    DOCKWALL-EXTRA:
      rules:
        - web: -p tcp --dport 80 -j ACCEPT
`;

/**
 * Each chain as `NAME POLICY: rule | rule`, sorted. A built-in chain with policy ACCEPT and no rules
 * is left out: nft may not have it yet (iptables-nft creates them when first used), and the planner
 * takes a missing built-in chain as exactly that.
 */
function chains(s: HostState): string[] {
  for (const t of s.rulesets.ipv4!.tables) {
    const names = t.chains.map((c) => c.name);
    expect(new Set(names).size, `a chain read twice: ${names.join(' ')}`).toBe(names.length);
  }
  return s.rulesets
    .ipv4!.tables.flatMap((t) =>
      t.chains
        .filter((c) => !(isBuiltinChain(t.name, c.name) && c.policy === 'ACCEPT' && c.rules.length === 0))
        .map((c) => `${t.name} ${c.name} ${c.policy}: ${c.rules.map(formatRule).join(' | ')}`),
    )
    .sort();
}

describe.skipIf(gate.skip)('reading the live state (nf_tables, in a lab namespace)', () => {
  let lab: Lab;
  let fw: LabHost;
  const ctx = new CliContext({ out: () => {}, err: () => {}, color: false, paint: makePaint(false) });
  const desired = compileDesired(loadPolicy(POLICY, 'p.yaml').value!);
  const read = () => readLiveState(ctx, desired, { runner: fw.runner, variant: 'nf_tables' });

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.98.0.1/24' });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('a table nothing created yet reads as empty', async () => {
    expect(chains(await read())).toEqual([]);
  });

  it('the same chains whether the tables are read or just the chains asked for', async () => {
    await lab.execChecked(fw, ['iptables-restore', '--noflush'], {
      stdin: [
        '*filter',
        ':DOCKWALL-EXTRA - [0:0]',
        ':DOCKWALL-OLD - [0:0]',
        '-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "dockwall:ssh" -j ACCEPT',
        '-A INPUT -s 10.0.0.1/32 -j DROP',
        '-A DOCKWALL-EXTRA -p tcp -m tcp --dport 80 -j ACCEPT',
        '-A DOCKWALL-OLD -j RETURN',
        'COMMIT',
        '',
      ].join('\n'),
    });
    const byChain = chains(await read());
    expect(byChain).toContain('filter DOCKWALL-OLD null: -j RETURN');
    expect(byChain).toContain(
      'filter INPUT ACCEPT: -p tcp -m tcp --dport 22 -m comment --comment "dockwall:ssh" -j ACCEPT | -s 10.0.0.1/32 -j DROP',
    );
    // What apply reads back: only the chains asked for; one that does not exist is left out.
    const asked = await readLiveChains(
      ctx,
      fw.runner,
      'nf_tables',
      ['INPUT', 'DOCKWALL-OLD', 'DOCKWALL-NOPE'].map((chain) => ({ family: 'ipv4', table: 'filter', chain })),
      [],
    );
    expect(chains(asked)).toEqual(byChain.filter((c) => / (INPUT|DOCKWALL-OLD) /.test(c)));
  });

  it("a DOCKWALL chain that appeared since is read (nft lists it), another program's chain is not", async () => {
    await lab.execChecked(fw, ['iptables', '-N', 'DOCKWALL-NEW']);
    await lab.execChecked(fw, ['iptables', '-N', 'SOMEONE-ELSE']);
    const now = chains(await read());
    expect(now).toContain('filter DOCKWALL-NEW null: ');
    expect(now.some((c) => c.includes('SOMEONE-ELSE'))).toBe(false);
  });

  it('each chain taken out of one iptables-save is what `iptables -S CHAIN` prints, and plans the same', async () => {
    await lab.execChecked(fw, ['iptables-restore', '--noflush'], {
      stdin: [
        '*filter',
        ':DOCKWALL-ODD - [0:0]',
        '-A DOCKWALL-ODD -s 10.1.0.0/16 ! -d 10.2.0.0/16 -p udp -m udp --dport 53 -m comment --comment "a \\"quoted\\" comment" -j RETURN',
        '-A DOCKWALL-ODD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A DOCKWALL-ODD -p tcp -m multiport --dports 80,443 -m limit --limit 5/sec -j LOG --log-prefix "x y "',
        '-A DOCKWALL-ODD -j REJECT --reject-with icmp-port-unreachable',
        '-A FORWARD -i eth0 -o eth1 -j DOCKWALL-ODD',
        '-A DOCKWALL-ODD',
        'COMMIT',
        '*nat',
        ':POSTROUTING ACCEPT [0:0]',
        '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
        'COMMIT',
        '',
      ].join('\n'),
    });
    const save = await readAllTables(fw.runner, 'ipv4', { variant: 'nf_tables' });
    for (const table of ['filter', 'nat'] as const) {
      const byName = chainsFromSave(save, table)!;
      expect(byName.size).toBeGreaterThan(2);
      for (const [name, text] of byName) {
        const s = await lab.execChecked(fw, ['iptables-nft', '-w', '-t', table, '-S', name]);
        expect(text, `${table} ${name}`).toBe(s.stdout);
      }
    }
    const natDesired = compileDesired(
      loadPolicy(
        `${POLICY}    DOCKWALL-ODD:\n      rules:\n        - x: -j RETURN\n  nat:\n    POSTROUTING:\n      rules:\n        - m: -s 10.0.0.0/8 -j MASQUERADE\n`,
        'p.yaml',
      ).value!,
    );
    const opts = { runner: fw.runner, variant: 'nf_tables' as const };
    const perChain = await readLiveState(ctx, natDesired, opts);
    const fromSave = await readLiveState(ctx, natDesired, {
      ...opts,
      ownSave: Promise.resolve({ variant: 'nf_tables', text: save }),
    });
    expect(fromSave).toEqual(perChain);
    expect(chains(fromSave)).toContain('filter FORWARD ACCEPT: -i eth0 -o eth1 -j DOCKWALL-ODD');
  });

  it('listening sockets: /proc/net gives what ss gives, and leaves a socket on :: to ss', async () => {
    const script = String.raw`
import json, socket, subprocess
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
keep = []
def sock(fam, typ, addr, port, v6only=None, listen=True, connect=None):
    s = socket.socket(fam, typ)
    if v6only is not None: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    if typ == socket.SOCK_STREAM and listen: s.listen()
    if connect: s.connect(connect)
    keep.append(s)
T, U, A4, A6 = socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.AF_INET, socket.AF_INET6
sock(A4, T, "0.0.0.0", 8000); sock(A4, T, "127.0.0.1", 8001); sock(A4, T, "10.98.0.1", 8002)
sock(A6, T, "::1", 8003); sock(A6, T, "::ffff:127.0.0.1", 8004, v6only=0)
sock(A4, T, "127.0.0.1", 8005, listen=False)
sock(A4, U, "0.0.0.0", 9000); sock(A4, U, "10.98.0.1", 9001); sock(A6, U, "::1", 9002)
sock(A4, U, "127.0.0.1", 9003, connect=("127.0.0.1", 9000))
def snap():
    files = {f: open(f).read() for f in ["/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"]}
    ss = {p: subprocess.run(["ss", "-Hln", "-" + p[0]], capture_output=True, text=True).stdout for p in ["tcp", "udp"]}
    return {"files": files, "ss": ss}
out = [snap()]
sock(A6, T, "::", 8006, v6only=1); sock(A6, T, "::", 8007, v6only=0); sock(A6, U, "::", 9004, v6only=1)
out.append(snap())
print(json.dumps(out))
`;
    const got = JSON.parse((await lab.execChecked(fw, ['python3', '-c', script])).stdout) as Array<{
      files: Record<string, string>;
      ss: Record<'tcp' | 'udp', string>;
    }>;
    const [plain, wild] = got;
    const fromProc = (snap: typeof plain, proto: 'tcp' | 'udp') =>
      procListening(proto, (f) => {
        const t = snap!.files[f];
        if (t === undefined) throw new Error(`no ${f}`);
        return t;
      });
    const proc = listeningPorts(fromProc(plain, 'tcp')!, fromProc(plain, 'udp')!);
    const ss = listeningPorts(ssSockets(0, plain!.ss.tcp), ssSockets(0, plain!.ss.udp));
    expect(proc).toEqual(ss);
    expect(proc.map((p) => `${p.proto} ${p.address ?? p.family}:${p.port}`).sort()).toEqual([
      'tcp 10.98.0.1:8002',
      'tcp 127.0.0.1:8001',
      'tcp ::1:8003',
      'tcp ::ffff:127.0.0.1:8004',
      'tcp ipv4:8000',
      'udp 10.98.0.1:9001',
      'udp ::1:9002',
      'udp ipv4:9000',
    ]);
    // [::] with IPV6_V6ONLY and * without it look alike in /proc: ss decides.
    expect(fromProc(wild, 'tcp')).toBeUndefined();
    expect(fromProc(wild, 'udp')).toBeUndefined();
    expect(wild!.ss.tcp).toMatch(/\[::\]:8006/);
    expect(wild!.ss.tcp).toMatch(/\*:8007/);
  });

  it('the variant facts agree with the tools: the iptables link with --version, /proc/net/ip_tables_names with iptables-legacy-save', async () => {
    const version = await lab.execChecked(fw, ['iptables', '--version']);
    expect(commandVariantFromPath(commandEnv().PATH ?? '')).toBe(parseVariant(version.stdout).variant);
    const names = () => lab.execChecked(fw, ['cat', '/proc/net/ip_tables_names']).then((r) => r.stdout);
    const legacyRules = () =>
      lab
        .execChecked(fw, ['iptables-legacy-save'])
        .then((r) => r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')));
    expect(await names()).toBe('');
    expect(await legacyRules()).toEqual([]);
    await lab.execChecked(fw, ['iptables-legacy', '-w', '-N', 'LEGACY-HERE']);
    expect((await names()).trim()).not.toBe('');
    expect(await legacyRules()).toContain(':LEGACY-HERE - [0:0]');
    await lab.execChecked(fw, ['iptables-legacy', '-w', '-X', 'LEGACY-HERE']);
  });
});
