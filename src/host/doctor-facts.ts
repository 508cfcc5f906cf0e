import { readFile } from 'node:fs/promises';
import type { ApiNetwork, InfoResult } from '../docker/index.js';
import { networkFromApi } from '../docker/index.js';
import {
  DEFAULT_DAEMON_JSON,
  parseDaemonJson,
  summarizeIp6Filter,
  type DaemonJsonFact,
  type DockerFact,
  type DoctorFacts,
  type ForwardingFact,
  type RouteFact,
  type RuleFact,
  type ServiceFact,
} from '../doctor/index.js';
import type { DockerNetwork, Family } from '../model/index.js';
import { errorWords } from '../model/index.js';
import { saveArgv } from './iptables-commands.js';
import { detectVariant } from './iptables-variant.js';
import type { Runner } from './runner.js';

/**
 * Gathers what `dockwall doctor` judges: routes, Docker's networks and firewall backend,
 * daemon.json, the iptables variants, ufw, firewalld, ip6tables, nftables tables and forwarding.
 * Nothing here fails: a piece that cannot be read is left out and named in `unread`.
 */

/** Reads files: the text, or undefined when the file does not exist (other failures throw). */
export interface FileReader {
  readText(path: string): Promise<string | undefined>;
}

export const nodeFileReader: FileReader = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
  },
};

/** The two Engine API calls the doctor makes (DockerEngineClient has both). */
export interface DoctorDockerSource {
  info(): Promise<InfoResult>;
  listNetworks(): Promise<ApiNetwork[]>;
}

export interface DoctorFactsOptions {
  runner: Runner;
  files?: FileReader;
  /** Absent: Docker is reported unreachable. */
  docker?: DoctorDockerSource;
  /** Docker's daemon.json (default /etc/docker/daemon.json). */
  daemonJsonPath?: string;
}

export const FIREWALLD_PID_FILE = '/run/firewalld/firewalld.pid';

const NOT_PATHS = new Set(['local', 'broadcast', 'anycast', 'multicast']);

interface IpRouteJson {
  dst?: string;
  table?: string | number;
  dev?: string;
  gateway?: string;
  type?: string;
  protocol?: string;
  metric?: number;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/**
 * `ip -4|-6 -j ARGS…` as a JSON array; undefined (and a line in `unread` naming `what`) when the
 * command fails or prints something else.
 */
async function ipJson<T>(
  runner: Runner,
  family: Family,
  args: string[],
  what: string,
  unread: string[],
): Promise<T[] | undefined> {
  // Always with the family: `ip route show table all` without `-4` lists IPv6 routes too.
  const argv = ['ip', family === 'ipv4' ? '-4' : '-6', '-j', ...args];
  const r = await runner.run(argv);
  try {
    if (r.code !== 0) throw new Error(firstLine(r.stderr) || `exit status ${r.code}`);
    const list = JSON.parse(r.stdout.trim() || '[]') as T[];
    if (!Array.isArray(list)) throw new Error('not a JSON array');
    return list;
  } catch (e) {
    unread.push(`${family} ${what} (\`${argv.join(' ')}\`: ${message(e)})`);
    return undefined;
  }
}

async function readRoutes(runner: Runner, unread: string[]): Promise<RouteFact[] | undefined> {
  const routes: RouteFact[] = [];
  let ok = false;
  for (const family of ['ipv4', 'ipv6'] as Family[]) {
    // Every table: VPNs put their routes in tables of their own (strongSwan 220, wg-quick 51820).
    const list = await ipJson<IpRouteJson>(
      runner,
      family,
      ['route', 'show', 'table', 'all'],
      'routes',
      unread,
    );
    if (!list) continue;
    ok = true;
    for (const x of list) {
      if (typeof x.dst !== 'string') continue;
      // A route of the other family (an `ip` that listed both) is read in its own family's pass.
      if (x.dst !== 'default' && x.dst.includes(':') !== (family === 'ipv6')) continue;
      // The local table holds the host's own addresses; these route types are not paths elsewhere.
      if (x.table === 'local' || (x.type !== undefined && NOT_PATHS.has(x.type))) continue;
      let destination = x.dst;
      if (destination === 'default') destination = family === 'ipv4' ? '0.0.0.0/0' : '::/0';
      else if (!destination.includes('/')) destination += family === 'ipv4' ? '/32' : '/128';
      const route: RouteFact = { family, destination };
      if (x.dev) route.device = x.dev;
      if (x.gateway) route.via = x.gateway;
      if (x.type && x.type !== 'unicast') route.type = x.type;
      if (x.protocol) route.protocol = x.protocol;
      if (typeof x.metric === 'number') route.metric = x.metric;
      if (x.table !== undefined && x.table !== 'main') route.table = String(x.table);
      routes.push(route);
    }
  }
  return ok ? routes : undefined;
}

/** `ip -j rule show` keys that are not selectors (or are judged on their own). */
const RULE_KEYS = new Set([
  'priority',
  'src',
  'srclen',
  'dst',
  'dstlen',
  'fwmark',
  'fwmask',
  'iif',
  'oif',
  'table',
  'action',
  'not',
  'suppress_prefixlen',
  'iif_detached',
  'oif_detached',
  'protocol',
  'flags',
]);

type IpRuleJson = Record<string, unknown>;

function ruleFact(x: IpRuleJson, family: Family): RuleFact | undefined {
  if (typeof x.priority !== 'number') return undefined;
  const r: RuleFact = { priority: x.priority };
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  const prefix = (addr: unknown, len: unknown) => {
    const a = str(addr);
    if (a === undefined || a === 'all') return undefined;
    return `${a}/${typeof len === 'number' ? len : family === 'ipv4' ? 32 : 128}`;
  };
  const table = str(x.table);
  if (table !== undefined) r.table = table;
  else r.action = str(x.action) ?? 'lookup';
  const from = prefix(x.src, x.srclen);
  if (from) r.from = from;
  const to = prefix(x.dst, x.dstlen);
  if (to) r.to = to;
  const fwmark = str(x.fwmark);
  if (fwmark !== undefined) r.fwmark = x.fwmask !== undefined ? `${fwmark}/${str(x.fwmask)}` : fwmark;
  if (str(x.iif)) r.iif = str(x.iif)!;
  if (str(x.oif)) r.oif = str(x.oif)!;
  if ('not' in x) r.not = true;
  if (typeof x.suppress_prefixlen === 'number') r.suppressPrefixLength = x.suppress_prefixlen;
  const other = Object.keys(x).filter((k) => !RULE_KEYS.has(k));
  if (other.length > 0) r.otherSelectors = other.map((k) => `${k} ${str(x[k]) ?? ''}`.trim());
  return r;
}

/** `ip rule` of both families; a family whose rules cannot be read is left out (and named in unread). */
async function readRules(runner: Runner, unread: string[]): Promise<DoctorFacts['rules']> {
  const out: NonNullable<DoctorFacts['rules']> = {};
  for (const family of ['ipv4', 'ipv6'] as Family[]) {
    const list = await ipJson<IpRuleJson>(runner, family, ['rule', 'show'], 'routing rules', unread);
    if (list)
      out[family] = list.map((x) => ruleFact(x, family)).filter((x): x is RuleFact => x !== undefined);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

async function readDocker(docker: DoctorDockerSource | undefined): Promise<DockerFact> {
  if (!docker) return { reachable: false, error: 'no Docker endpoint given' };
  try {
    const [info, raw] = await Promise.all([docker.info(), docker.listNetworks()]);
    const networks = raw.map(networkFromApi).filter((n): n is DockerNetwork => n !== undefined);
    const fact: DockerFact = { reachable: true, networks };
    if (info.serverVersion) fact.serverVersion = info.serverVersion;
    if (info.firewallBackend) fact.firewallBackend = info.firewallBackend;
    if (info.firewallDriver) fact.firewallDriver = info.firewallDriver;
    return fact;
  } catch (e) {
    return { reachable: false, error: message(e) };
  }
}

async function readDaemonJson(files: FileReader, path: string): Promise<DaemonJsonFact> {
  try {
    const text = await files.readText(path);
    return text === undefined ? { path, state: 'missing' } : parseDaemonJson(path, text);
  } catch (e) {
    return { path, state: 'unreadable', error: errorWords(e) };
  }
}

const UFW_CHAIN = /^:ufw6?-before-input\s/m;
const UFW_JUMP = /^-A INPUT -j ufw6?-before-input$/m;

async function readUfw(runner: Runner, unread: string[]): Promise<ServiceFact | undefined> {
  const status = await runner.run(['ufw', 'status']);
  if (status.code === 0) {
    const active = /^Status:\s*active\b/m.test(status.stdout);
    return { active, evidence: `ufw status: ${active ? 'active' : 'inactive'}` };
  }
  // ufw missing (or not answering): its chains show whether it loaded rules.
  const save = await runner.run(saveArgv('ipv4', 'filter'));
  if (save.code !== 0) {
    if (status.code !== 127) unread.push(`ufw (\`ufw status\` exit ${status.code}, iptables-save failed)`);
    return undefined;
  }
  const active = UFW_CHAIN.test(save.stdout) && UFW_JUMP.test(save.stdout);
  return {
    active,
    evidence: active ? 'INPUT jumps to ufw-before-input (iptables-save)' : 'no ufw chains in iptables-save',
  };
}

async function readFirewalld(
  runner: Runner,
  files: FileReader,
  docker: DockerFact,
  unread: string[],
): Promise<ServiceFact | undefined> {
  if (docker.reachable && docker.firewallBackend === 'iptables+firewalld') {
    return { active: true, evidence: 'dockerd reports the firewall backend iptables+firewalld' };
  }
  const state = await runner.run(['firewall-cmd', '--state']);
  if (state.code !== 127) {
    const running = state.code === 0 && /^running/m.test(state.stdout);
    return {
      active: running,
      evidence: `firewall-cmd --state: ${firstLine(state.stdout + state.stderr) || state.code}`,
    };
  }
  try {
    const pid = (await files.readText(FIREWALLD_PID_FILE))?.trim();
    if (!pid || !/^\d+$/.test(pid)) return { active: false, evidence: `no ${FIREWALLD_PID_FILE}` };
    const cmdline = await files.readText(`/proc/${pid}/cmdline`);
    const active = cmdline !== undefined && cmdline.includes('firewalld');
    return {
      active,
      evidence: active
        ? `${FIREWALLD_PID_FILE} names running process ${pid}`
        : `${FIREWALLD_PID_FILE} names process ${pid}, which is not firewalld (stale)`,
    };
  } catch (e) {
    unread.push(`firewalld (${message(e)})`);
    return undefined;
  }
}

async function readForwarding(files: FileReader): Promise<ForwardingFact> {
  const out: ForwardingFact = {};
  const read = async (path: string): Promise<boolean | undefined> => {
    try {
      const text = (await files.readText(path))?.trim();
      return text === '1' ? true : text === '0' ? false : undefined;
    } catch {
      return undefined;
    }
  };
  const v4 = await read('/proc/sys/net/ipv4/ip_forward');
  const v6 = await read('/proc/sys/net/ipv6/conf/all/forwarding');
  if (v4 !== undefined) out.ipv4 = v4;
  if (v6 !== undefined) out.ipv6 = v6;
  return out;
}

export async function gatherDoctorFacts(opts: DoctorFactsOptions): Promise<DoctorFacts> {
  const { runner } = opts;
  const files = opts.files ?? nodeFileReader;
  const unread: string[] = [];
  const [docker, routes, rules, daemonJson] = await Promise.all([
    readDocker(opts.docker),
    readRoutes(runner, unread),
    readRules(runner, unread),
    readDaemonJson(files, opts.daemonJsonPath ?? DEFAULT_DAEMON_JSON),
  ]);
  const facts: DoctorFacts = { docker, daemonJson, unread };
  if (routes) facts.routes = routes;
  if (rules) facts.rules = rules;

  try {
    const v = await detectVariant(runner);
    facts.iptables = { command: v.command, docker: v.docker, mismatch: v.mismatch };
    if (v.version) facts.iptables.version = v.version;
    if (v.message) facts.iptables.message = v.message;
  } catch (e) {
    unread.push(`the iptables variants (${message(e)})`);
  }

  const ufw = await readUfw(runner, unread);
  if (ufw) facts.ufw = ufw;
  const firewalld = await readFirewalld(runner, files, docker, unread);
  if (firewalld) facts.firewalld = firewalld;

  // ip6tables of the variant holding Docker's chains (the plain command when they agree).
  const variant = facts.iptables?.mismatch ? facts.iptables.docker : undefined;
  const ip6Argv = saveArgv('ipv6', undefined, variant === 'none' ? undefined : variant);
  const ip6 = await runner.run(ip6Argv);
  if (ip6.code === 0) {
    const bridges = docker.reachable
      ? docker.networks.map((n) => n.bridge).filter((b): b is string => b !== undefined)
      : [];
    facts.ip6Filter = summarizeIp6Filter(ip6.stdout, bridges);
  } else {
    unread.push(
      `ip6tables (\`${ip6Argv.join(' ')}\`: ${firstLine(ip6.stderr) || `exit status ${ip6.code}`})`,
    );
  }

  const nft = await runner.run(['nft', 'list', 'tables']);
  if (nft.code === 0) {
    facts.nftTables = nft.stdout
      .split('\n')
      .map((l) => /^table (\S+ \S+)/.exec(l.trim())?.[1])
      .filter((t): t is string => t !== undefined);
  }

  facts.forwarding = await readForwarding(files);
  return facts;
}
