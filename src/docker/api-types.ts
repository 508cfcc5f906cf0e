/**
 * The parts of Engine API answers that dockwall reads. Every field is optional: daemons from 20.10
 * to 29 differ, and the mapping in inventory-map.ts checks each value before using it.
 */

export interface ApiIpamConfig {
  Subnet?: string;
  Gateway?: string;
  IPRange?: string;
}

/** `GET /networks` item and `GET /networks/{id}` (docker network inspect). */
export interface ApiNetwork {
  Id?: string;
  Name?: string;
  Driver?: string;
  Scope?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  IPAM?: { Driver?: string; Config?: ApiIpamConfig[] | null; Options?: Record<string, string> | null };
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  [key: string]: unknown;
}

export interface ApiEndpointSettings {
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  MacAddress?: string;
  [key: string]: unknown;
}

/** List shape of a published port (`GET /containers/json`). */
export interface ApiPortSummary {
  IP?: string;
  PrivatePort?: number;
  PublicPort?: number;
  Type?: string;
}

/** Inspect shape of a port binding: `"80/tcp": [{HostIp, HostPort}]`. */
export interface ApiPortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** `GET /containers/json` item. */
export interface ApiContainerSummary {
  Id?: string;
  Names?: string[];
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  Ports?: ApiPortSummary[] | null;
  NetworkSettings?: { Networks?: Record<string, ApiEndpointSettings> | null } | null;
  [key: string]: unknown;
}

/** `GET /containers/{id}/json` (docker inspect). */
export interface ApiContainerInspect {
  Id?: string;
  Name?: string;
  State?: { Status?: string; Running?: boolean; [key: string]: unknown };
  Config?: { Labels?: Record<string, string> | null; [key: string]: unknown };
  NetworkSettings?: {
    Ports?: Record<string, ApiPortBinding[] | null> | null;
    Networks?: Record<string, ApiEndpointSettings> | null;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `Info.FirewallBackend` since API 1.49; development daemons sent a bare string. */
export interface ApiFirewallInfo {
  Driver?: string;
  Info?: [string, string][];
}

/** `GET /info`. */
export interface ApiInfo {
  ServerVersion?: string;
  OperatingSystem?: string;
  KernelVersion?: string;
  FirewallBackend?: ApiFirewallInfo | string;
  [key: string]: unknown;
}

/** `GET /version`. */
export interface ApiVersion {
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  [key: string]: unknown;
}

/** One object of `GET /events`. */
export interface ApiEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  timeNano?: number;
  [key: string]: unknown;
}
