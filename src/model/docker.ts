/** Docker's view of the host, as the Engine API reports it (`GET /networks`, `GET /containers/json`). */
export interface DockerNetwork {
  id: string;
  name: string;
  driver: string;
  /** The Linux bridge interface (docker0, br-<12 hex>, or com.docker.network.bridge.name). */
  bridge?: string;
  subnets: string[];
  gateways: string[];
  internal: boolean;
  enableIPv6?: boolean;
}

export type PortProto = 'tcp' | 'udp' | 'sctp';

export interface PublishedPort {
  /** Host address the port is bound to; `0.0.0.0` or `::` for all. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: PortProto;
}

export interface ContainerEndpoint {
  network: string;
  ipv4?: string;
  ipv6?: string;
}

export interface DockerContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  endpoints: ContainerEndpoint[];
  ports: PublishedPort[];
}

export type DockerFirewallBackend = 'iptables' | 'iptables+firewalld' | 'nftables';

/** An entry left out of an inventory because one of its values is not what it claims to be. */
export interface RejectedEntry {
  kind: 'network' | 'container' | 'port';
  /** The network or container name; for a port, the container's name and the binding. */
  name: string;
  reason: string;
}

export interface DockerInventory {
  serverVersion?: string;
  apiVersion?: string;
  firewallBackend?: DockerFirewallBackend;
  networks: DockerNetwork[];
  containers: DockerContainer[];
  /** Entries Docker reported that were left out (src/model/docker-values.ts says why). */
  rejected?: RejectedEntry[];
}
