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
});
