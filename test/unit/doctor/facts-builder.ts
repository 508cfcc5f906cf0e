import type { DoctorFacts } from '../../../src/doctor/index.js';
import type { DockerNetwork } from '../../../src/model/index.js';

/** A clean Docker host: eth0 on 192.168.122.0/24, docker0 and one user network, nothing wrong. */

export const BRIDGE: DockerNetwork = {
  id: 'a'.repeat(64),
  name: 'bridge',
  driver: 'bridge',
  bridge: 'docker0',
  subnets: ['172.17.0.0/16'],
  gateways: ['172.17.0.1'],
  internal: false,
  enableIPv6: false,
};

export const SHOP: DockerNetwork = {
  id: 'b'.repeat(64),
  name: 'shop_default',
  driver: 'bridge',
  bridge: `br-${'b'.repeat(12)}`,
  subnets: ['172.18.0.0/16'],
  gateways: ['172.18.0.1'],
  internal: false,
  enableIPv6: false,
};

const HOST_NET: DockerNetwork = {
  id: 'c'.repeat(64),
  name: 'host',
  driver: 'host',
  subnets: [],
  gateways: [],
  internal: false,
};

export function cleanFacts(): DoctorFacts {
  return {
    routes: [
      { family: 'ipv4', destination: '0.0.0.0/0', device: 'eth0', via: '192.168.122.1' },
      { family: 'ipv4', destination: '192.168.122.0/24', device: 'eth0', protocol: 'kernel' },
      { family: 'ipv4', destination: '172.17.0.0/16', device: 'docker0', protocol: 'kernel' },
      { family: 'ipv4', destination: '172.18.0.0/16', device: SHOP.bridge!, protocol: 'kernel' },
      { family: 'ipv6', destination: 'fe80::/64', device: 'eth0', protocol: 'kernel', metric: 256 },
    ],
    docker: {
      reachable: true,
      serverVersion: '20.10.24',
      networks: [structuredClone(BRIDGE), structuredClone(SHOP), structuredClone(HOST_NET)],
    },
    daemonJson: { path: '/etc/docker/daemon.json', state: 'missing' },
    iptables: { command: 'nf_tables', version: '1.8.9', docker: 'nf_tables', mismatch: false },
    ufw: { active: false, evidence: 'no ufw chains in iptables-save' },
    firewalld: { active: false, evidence: 'no /run/firewalld/firewalld.pid' },
    ip6Filter: { dockerChains: false, dockerUser: 'missing', forwardFilters: 0, forwardAccepts: 0 },
    nftTables: ['ip filter', 'ip nat'],
    forwarding: { ipv4: true, ipv6: false },
    unread: [],
  };
}

export function ids(findings: Array<{ id: string }>): string[] {
  return findings.map((f) => f.id);
}
