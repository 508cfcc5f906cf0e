import type { DockerInventory, PortProto } from '../model/docker.js';
import type { Family, Ruleset } from '../model/ruleset.js';
import { findChain } from '../model/ruleset.js';
import { formatAddr, parseCidr } from './addr.js';
import { parsePortRange, parseProto } from './match-values.js';
import { parseNatSpec } from './targets.js';

/** A port the host itself listens on (given by the caller, e.g. from `ss -ltn`). */
export interface ListeningPort {
  port: number;
  proto: 'tcp' | 'udp';
  /** Bound address; all addresses of the family when absent (`0.0.0.0`, `::`). */
  address?: string;
  /** Needed only without `address`; both families when absent. */
  family?: Family;
  name?: string;
}

/** One service whose reachability the matrix computes. */
export interface MatrixDestination {
  kind: 'published' | 'listening';
  family: Family;
  proto: PortProto;
  /** `0.0.0.0` / `::` when bound to all addresses. */
  hostIp: string;
  hostPort: number;
  /** Where Docker forwards a published port. */
  target?: { address: string; port: number };
  container?: string;
  name?: string;
  /** Where the destination was learnt from. */
  origin: 'docker' | 'nat-rules' | 'input';
}

const ANY: Record<Family, string> = { ipv4: '0.0.0.0', ipv6: '::' };
const RANGE_LIMIT = 64;

function familyOf(ip: string): Family {
  return ip.includes(':') ? 'ipv6' : 'ipv4';
}

/** Published ports of running containers, as the Docker inventory lists them. */
export function dockerDestinations(docker: DockerInventory): MatrixDestination[] {
  const out: MatrixDestination[] = [];
  for (const c of docker.containers) {
    if (!c.running) continue;
    for (const p of c.ports) {
      if (!p.hostPort) continue;
      const hostIp = p.hostIp === '' ? '0.0.0.0' : p.hostIp;
      const family = familyOf(hostIp);
      const ep = c.endpoints.find((e) => (family === 'ipv4' ? e.ipv4 : e.ipv6));
      const addr = family === 'ipv4' ? ep?.ipv4 : ep?.ipv6;
      const d: MatrixDestination = {
        kind: 'published',
        family,
        proto: p.proto,
        hostIp,
        hostPort: p.hostPort,
        container: c.name,
        origin: 'docker',
      };
      if (addr) d.target = { address: addr.split('/')[0]!, port: p.containerPort };
      out.push(d);
    }
  }
  return out;
}

/** Published ports read back from the DNAT rules of the nat table's DOCKER chain. */
export function natDestinations(rs: Ruleset): MatrixDestination[] {
  const chain = findChain(rs, 'nat', 'DOCKER');
  const out: MatrixDestination[] = [];
  for (const r of chain?.rules ?? []) {
    if (r.target?.name !== 'DNAT') continue;
    const p = r.generic.find((o) => o.name === '-p' && !o.negated)?.args[0]?.text;
    const proto = p === undefined ? undefined : parseProto(p);
    const protoName = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 132 ? 'sctp' : undefined;
    if (!protoName) continue;
    const dport = r.matches
      .flatMap((m) => m.options)
      .find((o) => (o.name === '--dport' || o.name === '--destination-port') && !o.negated)?.args[0]?.text;
    const ports = dport === undefined ? undefined : parsePortRange(dport);
    if (!ports) continue;
    const d = r.generic.find((o) => o.name === '-d' && !o.negated)?.args[0]?.text;
    const dc = d === undefined ? undefined : parseCidr(d, rs.family);
    const hostIp =
      dc && dc.prefix === (rs.family === 'ipv4' ? 32 : 128) ? formatAddr(dc.net) : ANY[rs.family];
    const to = r.target.options.find((o) => o.name === '--to-destination')?.args[0]?.text;
    const spec = to === undefined ? undefined : parseNatSpec(to, rs.family);
    const last = Math.min(ports[1], ports[0] + RANGE_LIMIT - 1);
    for (let port = ports[0]; port <= last; port++) {
      const dest: MatrixDestination = {
        kind: 'published',
        family: rs.family,
        proto: protoName,
        hostIp,
        hostPort: port,
        origin: 'nat-rules',
      };
      if (spec?.addr) {
        const tp = spec.port < 0 ? port : spec.range ? spec.port + (port - ports[0]) : spec.port;
        dest.target = { address: formatAddr(spec.addr), port: tp };
      }
      out.push(dest);
    }
  }
  return out;
}

export function listeningDestinations(ports: ListeningPort[], families: Family[]): MatrixDestination[] {
  const out: MatrixDestination[] = [];
  for (const p of ports) {
    const fams = p.address ? [familyOf(p.address)] : p.family ? [p.family] : families;
    for (const family of fams) {
      const d: MatrixDestination = {
        kind: 'listening',
        family,
        proto: p.proto,
        hostIp: p.address ?? ANY[family],
        hostPort: p.port,
        origin: 'input',
      };
      if (p.name) d.name = p.name;
      out.push(d);
    }
  }
  return out;
}

function key(d: MatrixDestination): string {
  return `${d.kind} ${d.family} ${d.proto} ${d.hostIp} ${d.hostPort}`;
}

/**
 * Everything the matrix looks at: published ports from the inventory (or, for those it does not
 * list, from the DNAT rules) and the listening ports given.
 */
export function collectDestinations(
  rulesets: { ipv4?: Ruleset; ipv6?: Ruleset },
  docker: DockerInventory | undefined,
  listening: ListeningPort[],
  /** Families that have rules elsewhere (an nftables rule set). */
  moreFamilies: readonly Family[] = [],
): MatrixDestination[] {
  const seen = new Set<string>();
  const out: MatrixDestination[] = [];
  const add = (d: MatrixDestination) => {
    const k = key(d);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(d);
  };
  if (docker) dockerDestinations(docker).forEach(add);
  for (const rs of [rulesets.ipv4, rulesets.ipv6]) if (rs) natDestinations(rs).forEach(add);
  const families = (['ipv4', 'ipv6'] as const).filter((f) => rulesets[f] || moreFamilies.includes(f));
  listeningDestinations(listening, families.length ? families : ['ipv4']).forEach(add);
  return out;
}
