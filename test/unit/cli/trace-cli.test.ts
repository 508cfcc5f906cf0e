import { describe, expect, it } from 'vitest';
import { dockwall, tempFile } from './run-cli.js';

const BASE = [
  'trace',
  '-f',
  'examples/firewalling-docker.yaml',
  '--state',
  'examples/state/seed-host.iptables-save',
  '--ipset-state',
  'examples/state/seed-host.ipset-save',
];

describe('dockwall trace wording and inputs', () => {
  it('--in naming an interface the host model does not have is an error (1) listing the known ones', () => {
    const r = dockwall([
      ...BASE,
      '--from',
      '192.168.122.50',
      '--to',
      '192.168.122.190:22/tcp',
      '--in',
      'eth9',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '--in eth9: the host model has no such interface (it knows docker0, eth0, lo)',
    );
    expect(r.stdout).toBe('');
  });

  it('without --in the header names the interface from the routes; a host-sent packet is "sent by this host"', () => {
    const r = dockwall([...BASE, '--from', '192.168.122.50', '--to', '192.168.122.190:22/tcp']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "packet: tcp 192.168.122.50 -> 192.168.122.190:22 in eth0 (from the host model's routes) (NEW)",
    );
    const out = dockwall([
      ...BASE,
      '--from',
      '192.168.122.190',
      '--to',
      '192.168.122.50:22/tcp',
      '--ct-state',
      'ESTABLISHED',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('192.168.122.50:22 sent by this host (ESTABLISHED)');
    expect(out.stdout).toContain('verdict: ACCEPT (sent by this host out eth0)');
    expect(out.stdout).toContain('assumed: an ESTABLISHED packet gets the NAT binding');
    expect(out.stdout).not.toMatch(/forwarded out|in \?|a ESTABLISHED/);
  });

  it('--to ADDR:PORT/sctp is accepted and traced as sctp; /sctp without a port is refused', () => {
    const r = dockwall([...BASE, '--from', '192.168.122.50', '--to', '192.168.122.190:3868/sctp']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('packet: sctp 192.168.122.50 -> 192.168.122.190:3868');
    expect(r.stdout).toMatch(/verdict: REJECT/);
    const noPort = dockwall([...BASE, '--from', '192.168.122.50', '--to', '192.168.122.190/sctp']);
    expect(noPort.code).toBe(1);
    expect(noPort.stderr).toContain('sctp needs a port');
  });

  const OFFLINE = ['trace', '--state', 'examples/state/seed-host.iptables-save', '--from', '192.168.122.50'];
  const TO = ['--to', '192.168.122.190:22/tcp'];
  const ARRIVES = "in eth0 (from the host model's routes) (NEW)";

  it('--host-model takes `ip -j addr` and `ip -j route` output as two files', () => {
    const addr = tempFile(
      'addr.json',
      JSON.stringify([
        { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
        { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.168.122.190', prefixlen: 24 }] },
      ]),
    );
    const route = tempFile(
      'route.json',
      JSON.stringify([{ dst: 'default', gateway: '192.168.122.1', dev: 'eth0' }]),
    );
    const r = dockwall([
      ...OFFLINE,
      '--to',
      '192.168.122.190:22/tcp',
      '--from',
      '203.0.113.9',
      '--host-model',
      addr,
      '--host-model',
      route,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`203.0.113.9 -> 192.168.122.190:22 ${ARRIVES}`);
    const routesOnly = dockwall([...OFFLINE, ...TO, '--host-model', route]);
    expect(routesOnly.code).toBe(1);
    expect(routesOnly.stderr).toContain('no interfaces');
  });

  it("--host-model takes dockwall's host-model JSON and the policy's host: map (regression: interfaces.map is not a function)", () => {
    const own = tempFile(
      'own.json',
      JSON.stringify({ interfaces: [{ name: 'eth0', addresses: ['192.168.122.190/24'] }] }),
    );
    const map = tempFile('map.json', JSON.stringify({ interfaces: { eth0: ['192.168.122.190/24'] } }));
    for (const f of [own, map]) {
      const r = dockwall([...OFFLINE, ...TO, '--host-model', f]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('is not a function');
      expect(r.stdout).toContain(ARRIVES);
    }
  });

  it('a bad --host-model file is a positioned error (1)', () => {
    const bad = tempFile('bad.json', '{"interfaces": [\n  {"name": "eth0",}\n]}\n');
    const r = dockwall([...OFFLINE, ...TO, '--host-model', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2:18`);
    expect(r.stderr).toContain('trailing comma');
    expect(r.stdout).toBe('');
  });

  it('the probe fields --mac, --uid, --ttl, --at and a bridge port as --in reach the matches', () => {
    const dump = tempFile(
      'matches.iptables-save',
      [
        '*filter',
        ':INPUT DROP [0:0]',
        ':FORWARD DROP [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        '-A INPUT -p tcp -m tcp --dport 80 -m mac --mac-source 52:54:00:ab:cd:ef -j ACCEPT',
        '-A INPUT -p tcp -m tcp --dport 22 -m time --timestart 08:00:00 --timestop 17:00:00 -j ACCEPT',
        '-A INPUT -p tcp -m tcp --dport 443 -m physdev --physdev-in tap1 -j ACCEPT',
        '-A INPUT -p tcp -m tcp --dport 25 -m ttl --ttl-lt 10 -j ACCEPT',
        '-A OUTPUT -m owner --uid-owner 1000 -j DROP',
        'COMMIT',
        '',
      ].join('\n'),
    );
    const model = tempFile(
      'host.json',
      JSON.stringify({
        interfaces: [
          { name: 'eth0', addresses: ['192.0.2.10/24'] },
          { name: 'br0', addresses: ['10.1.0.1/24'] },
          { name: 'tap1', addresses: [], master: 'br0' },
        ],
        routes: [{ destination: 'default', device: 'eth0', via: '192.0.2.1' }],
      }),
    );
    const t = (...args: string[]) => dockwall(['trace', '--state', dump, '--host-model', model, ...args]);
    const mac = t('--from', '203.0.113.5', '--to', '192.0.2.10:80/tcp', '--mac', '52:54:00:AB:CD:EF');
    expect(mac.code, mac.stderr).toBe(0);
    expect(mac.stdout).toContain('mac 52:54:00:ab:cd:ef');
    expect(mac.stdout).toMatch(/verdict: ACCEPT .*rule 1/);
    expect(t('--from', '203.0.113.5', '--to', '192.0.2.10:80/tcp').stdout).toContain(
      'verdict: DEPENDS: drop unless the source MAC is 52:54:00:ab:cd:ef (then accept)',
    );
    const at = t('--from', '203.0.113.5', '--to', '192.0.2.10:22/tcp', '--at', '2026-12-03T18:30:00+10:00');
    expect(at.stdout).toMatch(/verdict: ACCEPT .*rule 2/);
    const port = t('--from', '10.1.0.5', '--in', 'tap1', '--to', '10.1.0.1:443/tcp');
    expect(port.stdout).toMatch(/verdict: ACCEPT .*rule 3/);
    expect(port.stdout).toContain('assumed: tap1 is a port of bridge br0: the packet arrives on br0');
    expect(t('--from', '203.0.113.5', '--to', '192.0.2.10:25/tcp', '--ttl', '3').stdout).toMatch(
      /verdict: ACCEPT .*rule 4/,
    );
    expect(t('--from', '203.0.113.5', '--to', '192.0.2.10:25/tcp').stdout).toMatch(/verdict: DROP/);
    expect(t('--from', '192.0.2.10', '--to', '203.0.113.9:80/tcp', '--uid', '1000').stdout).toMatch(
      /verdict: DROP by filter OUTPUT rule 1/,
    );
    for (const [flag, value, message] of [
      ['--mac', '52-54-00-ab-cd-ef', '--mac wants a MAC address'],
      ['--uid', 'root', '--uid wants a number from 0 to 4294967295'],
      ['--ttl', '300', '--ttl wants a number from 0 to 255'],
      ['--at', 'tomorrow', '--at wants a date and time'],
    ]) {
      const bad = t('--from', '203.0.113.5', '--to', '192.0.2.10:80/tcp', flag!, value!);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(message);
    }
    const uidIn = t('--from', '203.0.113.5', '--in', 'eth0', '--to', '192.0.2.10:80/tcp', '--uid', '0');
    expect(uidIn.code).toBe(1);
    expect(uidIn.stderr).toContain('--uid/--gid describe a packet the host sends');
  });
});
