import type { DockerInventory } from '../../../src/model/index.js';
import { parseCidr, addrToBig, parseAddr } from '../../../src/sim/addr.js';
import type { Packet, Trace } from '../../../src/sim/index.js';
import { DEBIAN_DOCKER, type ProbeResult } from '../helpers/index.js';
import type { DiffContainer, DiffLab, HostListener } from './diff-lab.js';

/** Who sends a probe: an outside host, the docker host itself, or a container. */
export interface ProbeSource {
  name: string;
  kind: 'outside' | 'local' | 'container';
  /** The source address (for `local`, chosen per destination by the kernel's route lookup). */
  address: string;
  container?: DiffContainer;
  /** Set for a container on an internal network: it has no default route, only its subnets. */
  onlySubnets?: string[];
}

export interface PlannedProbe {
  id: number;
  /** The source port, the same in the simulated and the real packet. */
  sport: number;
  source: ProbeSource;
  dst: string;
  proto: 'tcp' | 'udp';
  port: number;
}

export function describeProbe(p: PlannedProbe): string {
  return `${p.proto} ${p.source.name} (${p.source.kind === 'local' ? 'the docker host' : p.source.address}) -> ${p.dst}:${p.port}`;
}

/** mulberry32: a small seeded generator, so every run probes the same packets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function inCidr(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  const a = parseAddr(ip);
  if (!c || !a) return false;
  const v = addrToBig(a);
  return v >= c.start && v <= c.end;
}

/** Ports nobody publishes or listens on, to see closed ports answered (or not). */
const UNUSED: Array<['tcp' | 'udp', number]> = [
  ['tcp', 81],
  ['tcp', 8080],
  ['tcp', 9999],
  ['udp', 5354],
  ['udp', 9999],
];

export function probeSources(d: DiffLab, docker: DockerInventory): ProbeSource[] {
  const out: ProbeSource[] = d.outside.map((h) => ({ name: h.name, kind: 'outside', address: h.address }));
  out.push({ name: d.docker.name, kind: 'local', address: d.docker.address });
  for (const c of d.containers.values()) {
    const [net, att] = Object.entries(c.networks)[0] ?? [];
    if (!net || !att?.ip) continue;
    const s: ProbeSource = { name: c.name, kind: 'container', address: att.ip, container: c };
    const info = docker.networks.find((n) => n.name === net);
    if (info?.internal) s.onlySubnets = info.subnets.filter((x) => !x.includes(':'));
    out.push(s);
  }
  return out;
}

/** Every (source, destination, port) worth sending, the must-haves first. */
export function probeUniverse(d: DiffLab, docker: DockerInventory, sources: ProbeSource[]) {
  const ports = new Map<string, ['tcp' | 'udp', number]>();
  const addPort = (proto: string, port: number) => {
    if (proto === 'tcp' || proto === 'udp') ports.set(`${proto}/${port}`, [proto, port]);
  };
  const published: Array<['tcp' | 'udp', number]> = [];
  for (const c of docker.containers) {
    if (!c.running) continue;
    for (const p of c.ports) {
      addPort(p.proto, p.containerPort);
      if (p.hostPort) {
        addPort(p.proto, p.hostPort);
        if (p.proto === 'tcp' || p.proto === 'udp') published.push([p.proto, p.hostPort]);
      }
    }
  }
  for (const c of d.containers.values()) {
    c.tcp.forEach((p) => addPort('tcp', p));
    c.udp.forEach((p) => addPort('udp', p));
  }
  for (const l of d.hostListeners) addPort(l.proto, l.port);
  for (const [proto, port] of UNUSED) addPort(proto, port);

  const dsts = new Set<string>([d.docker.address]);
  for (const n of docker.networks)
    for (const g of n.gateways) if (!g.includes(':')) dsts.add(g.split('/')[0]!);
  for (const c of d.containers.values()) for (const a of Object.values(c.networks)) if (a.ip) dsts.add(a.ip);

  const must: Array<Omit<PlannedProbe, 'id' | 'sport'>> = [];
  const rest: Array<Omit<PlannedProbe, 'id' | 'sport'>> = [];
  const seen = new Set<string>();
  for (const source of sources) {
    const mine = new Set(source.container ? Object.values(source.container.networks).map((a) => a.ip) : []);
    const targets = [...dsts, ...(source.kind === 'local' ? ['127.0.0.1'] : [])].filter(
      (dst) => !mine.has(dst) && (!source.onlySubnets || source.onlySubnets.some((s) => inCidr(dst, s))),
    );
    for (const dst of targets) {
      for (const [proto, port] of ports.values()) {
        const p = { source, dst, proto, port };
        const key = `${source.name} ${dst} ${proto} ${port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const isMust = dst === d.docker.address && published.some(([pr, po]) => pr === proto && po === port);
        (isMust ? must : rest).push(p);
      }
    }
  }
  return { must, rest };
}

/** The must-haves, then a seeded random choice of the rest, `count` in all. */
export function pickProbes(
  universe: ReturnType<typeof probeUniverse>,
  count: number,
  seed: number,
  sportBase: number,
): PlannedProbe[] {
  const rnd = seededRandom(seed);
  const rest = universe.rest.slice();
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  const chosen = [...universe.must, ...rest].slice(0, Math.max(count, universe.must.length));
  return chosen.map((p, id) => ({ ...p, id, sport: sportBase + id }));
}

/** The packet the simulator walks for a probe (`localSrc`: the source the kernel picks for the docker host). */
export function packetOf(p: PlannedProbe, localSrc: string): Packet {
  const pkt: Packet = {
    family: 'ipv4',
    src: p.source.kind === 'local' ? localSrc : p.source.address,
    dst: p.dst,
    proto: p.proto,
    sport: p.sport,
    dport: p.port,
    state: 'NEW',
  };
  if (p.source.kind === 'local') pkt.local = true;
  return pkt;
}

export type Expected = ProbeResult | 'unknown';

/** Where the kernel sends a reply to an address from: the preferred source of its route. */
export type ReplySources = ReadonlyMap<string, string>;

/** The source the server sees: after the last SNAT/MASQUERADE on the way in, if any. */
export function serverSeenSource(t: Trace): string {
  const snat = [...t.rewrites].reverse().find((r) => r.kind === 'snat' || r.kind === 'masquerade');
  return snat ? hostOf(snat.to) : t.packet.src;
}

function hostOf(hostPort: string): string {
  return /^(.*?)(?::\d+)?$/.exec(hostPort)![1]!.replace(/^\[|\]$/g, '');
}

/**
 * What a real probe sees when the simulator's verdict holds: drop is silence, reject is refused,
 * and accept is open only when something listens at the packet's final destination (after DNAT):
 * a TCP reset or an ICMP port unreachable from a closed port looks exactly like a REJECT.
 *
 * UDP through docker-proxy needs one more fact: the proxy's socket is bound to the wildcard
 * address, so its reply leaves from the preferred source of the route back to the client; the
 * client's connected socket (and conntrack) accept it only when that is the address the packet
 * was delivered to. That is Debian's 20.10; Docker 29's proxy replies from the right address. The test's own UDP echo binds each address and always answers from the right one.
 */
export function expectedResult(
  t: Trace,
  d: DiffLab,
  docker: DockerInventory,
  replySources: ReplySources,
): { result: Expected; why: string } {
  if (t.verdict === 'drop') return { result: 'timeout', why: 'dropped' };
  if (t.verdict === 'reject') return { result: 'refused', why: 'rejected' };
  if (t.verdict === 'unknown') return { result: 'unknown', why: t.unknownReason ?? 'unknown' };
  const nat = [...t.rewrites]
    .reverse()
    .find((r) => r.kind === 'dnat' || r.kind === 'redirect' || r.kind === 'netmap');
  let addr = t.packet.dst;
  let port = t.packet.dport ?? -1;
  if (nat) {
    addr = hostOf(nat.to);
    const m = /:(\d+)$/.exec(nat.to);
    if (m && !nat.to.endsWith(']')) port = Number(m[1]);
  }
  const proto = t.packet.proto as 'tcp' | 'udp';
  const where = `${addr}:${port}/${proto}`;
  if (t.delivered === 'local') {
    const l = hostListener(d, docker, addr, port, proto);
    if (!l) return { result: 'refused', why: `accepted for ${where} on the host, where nothing listens` };
    if (l === true) return { result: 'open', why: `accepted for ${where}, a host listener` };
    // docker-proxy: TCP accepts itself; UDP answers only when the container answers.
    if (proto === 'tcp') return { result: 'open', why: `accepted for ${where}, docker-proxy` };
    if (!containerListens(d, l.address, l.port, proto))
      return {
        result: 'timeout',
        why: `accepted for ${where}, docker-proxy to ${l.address}:${l.port}: silent`,
      };
    const seen = serverSeenSource(t);
    const from = replySources.get(seen);
    // Docker 29's docker-proxy answers from the address the datagram came to (the lab saw it on all
    // 5 probes where 20.10's would have answered from another): only 20.10's loses the reply.
    if (from !== addr && d.dockerd.engine.version === DEBIAN_DOCKER.version)
      return {
        result: 'timeout',
        why: `accepted for ${where}, docker-proxy answers ${seen} from ${from ?? '?'}, not from ${addr}`,
      };
    return { result: 'open', why: `accepted for ${where}, docker-proxy to ${l.address}:${l.port}` };
  }
  const c = [...d.containers.values()].find((x) => Object.values(x.networks).some((a) => a.ip === addr));
  if (!c) return { result: 'timeout', why: `forwarded to ${where}: nobody has that address` };
  const ok = containerListens(d, addr, port, proto);
  return {
    result: ok ? 'open' : 'refused',
    why: `forwarded to ${where} (${c.name}${ok ? ' listens' : ': nothing listens'})`,
  };
}

function containerListens(d: DiffLab, addr: string, port: number, proto: 'tcp' | 'udp'): boolean {
  const c = [...d.containers.values()].find((x) => Object.values(x.networks).some((a) => a.ip === addr));
  return !!c && (proto === 'tcp' ? c.tcp : c.udp).includes(port);
}

/** true: a socket the test opened; an object: docker-proxy for a published port; undefined: nothing. */
function hostListener(
  d: DiffLab,
  docker: DockerInventory,
  addr: string,
  port: number,
  proto: 'tcp' | 'udp',
): true | { address: string; port: number } | undefined {
  const bound = (l: Pick<HostListener, 'address'>) =>
    !l.address || l.address === '0.0.0.0' || l.address === '' || l.address === addr;
  if (d.hostListeners.some((l) => l.proto === proto && l.port === port && bound(l))) return true;
  if (!d.userlandProxy) return undefined;
  for (const c of docker.containers) {
    if (!c.running) continue;
    for (const p of c.ports) {
      if (p.proto !== proto || p.hostPort !== port || !bound({ address: p.hostIp })) continue;
      const target = c.endpoints.find((e) => e.ipv4)?.ipv4?.split('/')[0];
      return { address: target ?? '', port: p.containerPort };
    }
  }
  return undefined;
}
