/** What the simulator and the compiler need to know about the host's own network. */
export interface HostInterface {
  name: string;
  /** Addresses with prefix length, e.g. `192.168.122.190/24`, `fd00::1/64`. */
  addresses: string[];
  /** The bridge this interface is a port of (`master` in `ip -j addr`). */
  master?: string;
}

export interface HostRoute {
  /** Destination prefix, e.g. `10.8.0.0/16` or `default`. */
  destination: string;
  device: string;
  via?: string;
}

export interface HostModel {
  interfaces: HostInterface[];
  routes?: HostRoute[];
}
