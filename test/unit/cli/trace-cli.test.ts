import { describe, expect, it } from 'vitest';
import { dockwall } from './run-cli.js';

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
});
