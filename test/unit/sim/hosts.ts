import type { HostModel, IpSetState, Ruleset } from '../../../src/model/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import type { Packet } from '../../../src/sim/index.js';
import { fixtureSets, repoFile } from '../../helpers/fixtures.js';

/** The Docker host the docker-20.10 fixtures were taken on (as far as the simulator needs it). */
export const dockerHost: HostModel = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', addresses: ['192.168.122.190/24', '2001:db8:122::190/64'] },
    { name: 'docker0', addresses: ['172.17.0.1/16', 'fd00:dead:beef::1/64'] },
    { name: 'br-b3bc30109fba', addresses: ['172.18.0.1/16'] },
  ],
  routes: [
    { destination: 'default', device: 'eth0', via: '192.168.122.1' },
    { destination: '::/0', device: 'eth0', via: '2001:db8:122::1' },
  ],
};

export function fixture(name: string, family: 'ipv4' | 'ipv6' = 'ipv4'): Ruleset {
  const ext = family === 'ipv4' ? 'iptables-save' : 'ip6tables-save';
  const rel = `test/fixtures/docker-20.10/${name}.${ext}`;
  const res = parseIptablesSave(repoFile(rel), { file: rel, family });
  if (!res.value || res.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`${rel} does not parse: ${JSON.stringify(res.diagnostics)}`);
  return res.value;
}

export function seedSets(): IpSetState {
  return fixtureSets('docker-20.10/07-seed003-wishes-applied.ipset-save');
}

/** A NEW tcp packet from outside (eth0) to port `dport` of the host's eth0 address. */
export function tcpIn(src: string, dport: number, extra: Partial<Packet> = {}): Packet {
  return {
    family: 'ipv4',
    src,
    dst: '192.168.122.190',
    proto: 'tcp',
    sport: 40000,
    dport,
    in: 'eth0',
    ...extra,
  };
}
