import { describe, expect, it } from 'vitest';
import { mergeHostModelParts, parseHostModelJson } from '../../../src/parse/index.js';

const file = 'host.json';
const read = (v: unknown) => parseHostModelJson(JSON.stringify(v, null, 2), { file });

// Shaped as iproute2 6.x prints them (fields the reader ignores trimmed).
const IP_ADDR = [
  { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  {
    ifindex: 2,
    ifname: 'eth0',
    link_type: 'ether',
    addr_info: [
      { family: 'inet', local: '192.168.122.190', prefixlen: 24, broadcast: '192.168.122.255' },
      { family: 'inet6', local: 'fe80::5054:ff:fe12:3456', prefixlen: 64, scope: 'link' },
    ],
  },
  { ifindex: 3, ifname: 'docker0', addr_info: [] },
];
const IP_ROUTE = [
  { dst: 'default', gateway: '192.168.122.1', dev: 'eth0', protocol: 'dhcp', flags: [] },
  { dst: '172.17.0.0/16', dev: 'docker0', protocol: 'kernel', scope: 'link', prefsrc: '172.17.0.1' },
  { dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra' },
  { type: 'local', dst: '192.168.122.190', dev: 'eth0', table: 'local' },
];

describe('host-model files', () => {
  it('`ip -j addr` output gives the interfaces with their IPv4 and IPv6 addresses', () => {
    expect(read(IP_ADDR).value).toEqual({
      kind: 'ip-addr',
      interfaces: [
        { name: 'lo', addresses: ['127.0.0.1/8'] },
        { name: 'eth0', addresses: ['192.168.122.190/24', 'fe80::5054:ff:fe12:3456/64'] },
        { name: 'docker0', addresses: [] },
      ],
    });
  });

  it('`ip -j route` output gives the routes (default of either family; local entries left out)', () => {
    expect(read(IP_ROUTE).value).toEqual({
      kind: 'ip-route',
      routes: [
        { destination: '0.0.0.0/0', device: 'eth0', via: '192.168.122.1' },
        { destination: '172.17.0.0/16', device: 'docker0' },
        { destination: '::/0', device: 'eth0', via: 'fe80::1' },
      ],
    });
  });

  it('`ip -j addr` and `ip -j route` files merge into one host model', () => {
    const host = mergeHostModelParts([read(IP_ADDR).value!, read(IP_ROUTE).value!]);
    expect(host?.interfaces.map((i) => i.name)).toEqual(['lo', 'eth0', 'docker0']);
    expect(host?.routes).toHaveLength(3);
    expect(mergeHostModelParts([read(IP_ROUTE).value!])).toBeUndefined();
  });

  it('a bridge port keeps its master, from `ip -j addr` and from our own JSON (for -m physdev)', () => {
    const ip = read([
      { ifindex: 5, ifname: 'br0', addr_info: [{ family: 'inet', local: '10.1.0.1', prefixlen: 24 }] },
      { ifindex: 6, ifname: 'veth1a2b', master: 'br0', addr_info: [] },
    ]);
    expect(ip.value?.interfaces).toEqual([
      { name: 'br0', addresses: ['10.1.0.1/24'] },
      { name: 'veth1a2b', addresses: [], master: 'br0' },
    ]);
    const own = read({ interfaces: [{ name: 'tap1', addresses: [], master: 'br0' }] });
    expect(own.value?.interfaces).toEqual([{ name: 'tap1', addresses: [], master: 'br0' }]);
  });

  it("dockwall's own host-model JSON is read as it is", () => {
    const model = {
      interfaces: [{ name: 'eth0', addresses: ['192.168.122.190/24'] }],
      routes: [{ destination: '10.8.0.0/16', device: 'eth0', via: '192.168.122.1' }],
    };
    expect(read(model).value).toEqual({ kind: 'host-model', ...model });
  });

  it("the policy's host: map as a file works (regression: host2.interfaces.map is not a function)", () => {
    const r = read({ interfaces: { eth0: ['192.168.122.190/24'], docker0: ['172.17.0.1/16'] } });
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual({
      kind: 'policy-host',
      interfaces: [
        { name: 'eth0', addresses: ['192.168.122.190/24'] },
        { name: 'docker0', addresses: ['172.17.0.1/16'] },
      ],
    });
    expect(read({ host: { interfaces: { eth0: ['192.168.122.190/24'] } } }).value?.interfaces).toEqual([
      { name: 'eth0', addresses: ['192.168.122.190/24'] },
    ]);
  });

  it('a JSON syntax error names its line and column', () => {
    const r = parseHostModelJson('{"interfaces": [\n  {"name": "eth0",}\n]}', { file });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics[0]).toMatchObject({
      code: 'parse.host-model-not-json',
      pos: { file, line: 2, column: 18 },
    });
  });

  it('a bad address or a shape that is no host model is a positioned error, never a crash', () => {
    const bad = parseHostModelJson(
      '{"interfaces": [\n  {"name": "eth0", "addresses": ["192.168.122.300/24"]}\n]}',
      {
        file,
      },
    );
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({
      code: 'parse.host-model-shape',
      pos: { line: 2, column: 33 },
    });
    expect(bad.diagnostics[0]!.message).toContain('192.168.122.300/24');
    for (const v of [
      { interfaces: 'eth0' },
      { nftables: [] },
      [1, 2],
      { interfaces: [{ name: 'eth0' }] },
      7,
    ]) {
      const r = read(v);
      expect(r.value, JSON.stringify(v)).toBeUndefined();
      expect(r.diagnostics[0]?.code).toBe('parse.host-model-shape');
      expect(r.diagnostics[0]?.pos?.line).toBeGreaterThan(0);
    }
  });
});
