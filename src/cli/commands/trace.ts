import type { Command } from 'commander';
import { parseAddr } from '../../sim/addr.js';
import {
  createSimulator,
  knownInterfaces,
  parseInstant,
  renderTrace,
  type Packet,
  type PacketState,
} from '../../sim/index.js';
import { describeBackend } from '../../proof/backend.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_OK } from '../exit-codes.js';
import { collectRepeatable } from '../inputs.js';
import { loadProofInputs, type ProofOptions } from '../proof-inputs.js';
import type { Run } from './index.js';

interface TraceOpts extends ProofOptions {
  from: string;
  to: string;
  in?: string;
  ctState: string;
  all?: boolean;
  json?: boolean;
  mac?: string;
  uid?: string;
  gid?: string;
  ttl?: string;
  length?: string;
  ipsec?: boolean;
  at?: string;
}

/** A whole number from 0 to `max`, for the probe's fields. */
function probeNumber(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max)
    throw new CliError(`${flag} wants a number from 0 to ${max}, got ${text}`);
  return Number(text);
}

/** The probe fields the matches beyond addresses and ports read (mac, owner, ttl, length, …). */
function probeExtras(opts: TraceOpts, packet: Packet): void {
  if (opts.mac !== undefined) {
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(opts.mac))
      throw new CliError(`--mac wants a MAC address (00:11:22:33:44:55), got ${opts.mac}`);
    packet.mac = opts.mac.toLowerCase();
  }
  if (opts.uid !== undefined) packet.uid = probeNumber('--uid', opts.uid, 0xffffffff);
  if (opts.gid !== undefined) packet.gid = probeNumber('--gid', opts.gid, 0xffffffff);
  if (opts.ttl !== undefined) packet.ttl = probeNumber('--ttl', opts.ttl, 255);
  if (opts.length !== undefined) packet.length = probeNumber('--length', opts.length, 65535);
  if (opts.ipsec) packet.ipsec = true;
  if (opts.at !== undefined) {
    if (parseInstant(opts.at) === undefined)
      throw new CliError(
        `--at wants a date and time (2026-12-03T14:00:00Z; UTC without an offset), got ${opts.at}`,
      );
    packet.at = opts.at;
  }
  if ((packet.uid !== undefined || packet.gid !== undefined) && opts.in)
    throw new CliError('--uid/--gid describe a packet the host sends: they do not go with --in');
}

type DestinationProto = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6';

/** `ADDR:PORT/proto`, `[v6]:PORT/proto`, `ADDR/icmp`. */
export function parseDestination(text: string): {
  address: string;
  port?: number;
  proto: DestinationProto;
} {
  const m = /^(?:\[([^\]]+)\]|([^/:]+|[0-9a-fA-F:]+?))(?::(\d+))?(?:\/(tcp|udp|sctp|icmp|icmpv6))?$/.exec(
    text.trim(),
  );
  const address = m?.[1] ?? m?.[2];
  if (!m || !address)
    throw new CliError(`--to wants ADDR:PORT[/tcp|udp|sctp] (IPv6 as [ADDR]:PORT/tcp), got ${text}`);
  const proto =
    (m[4] as DestinationProto | undefined) ?? (m[3] ? 'tcp' : address.includes(':') ? 'icmpv6' : 'icmp');
  const port = m[3] !== undefined ? Number(m[3]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new CliError(`port ${port} is outside 1-65535`);
  if ((proto === 'tcp' || proto === 'udp' || proto === 'sctp') && port === undefined)
    throw new CliError(`${proto} needs a port: ${text}`);
  return port !== undefined ? { address, port, proto } : { address, proto };
}

export function registerTrace(program: Command, run: Run): void {
  program
    .command('trace')
    .description('walk a packet through raw/mangle/nat/filter as the kernel would and say which rule decides')
    .requiredOption('--from <addr>', 'source address')
    .requiredOption(
      '--to <addr:port/proto>',
      'destination, e.g. 192.168.122.190:8000/tcp or [fd00::1]:80/tcp (tcp, udp, sctp; ADDR/icmp)',
    )
    .option('--in <iface>', 'interface the packet arrives on (default: from the host model)')
    .option('--ct-state <state>', 'conntrack state: NEW, ESTABLISHED, RELATED or INVALID', 'NEW')
    .option(
      '--state <dump>',
      'trace through a saved dump instead of the live host (repeatable; iptables-save, or `nft -j list ruleset` JSON)',
      collectRepeatable,
    )
    .option('--ipset-state <dump>', 'saved `ipset save` output (repeatable)', collectRepeatable)
    .option(
      '-f, --file <policy>',
      'trace through the rules this policy would produce (and use its host: block)',
    )
    .option(
      '--host-model <json>',
      'host interfaces and routes, offline (repeatable: `ip -j addr`, `ip -j route` output, or dockwall host-model JSON)',
      collectRepeatable,
    )
    .option('--docker-state <json>', 'Docker inventory JSON')
    .option('--mac <mac>', 'source MAC address of the packet (-m mac)')
    .option('--uid <uid>', 'uid of the process sending the packet (-m owner; a packet the host sends)')
    .option('--gid <gid>', 'gid of the process sending the packet (-m owner)')
    .option('--ttl <n>', 'TTL (IPv6: hop limit) as the packet arrives or is sent (-m ttl, -m hl)', undefined)
    .option('--length <bytes>', 'IP total length of the packet (-m length; default: from the protocol)')
    .option(
      '--ipsec',
      'the packet came in through an IPsec SA (sent by the host: leaves through one; -m policy)',
    )
    .option(
      '--at <when>',
      'when the packet passes (-m time), e.g. 2026-12-03T14:00:00Z (UTC without an offset)',
    )
    .option('--all', 'also list the rules that did not match')
    .option('--json', 'print {verdict, decidedBy, path, …} as JSON')
    .action((opts: TraceOpts) =>
      run(async (ctx: CliContext) => {
        const state = opts.ctState.toUpperCase();
        if (!['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'].includes(state))
          throw new CliError(`--ct-state is NEW, ESTABLISHED, RELATED or INVALID, not ${opts.ctState}`);
        const to = parseDestination(opts.to);
        const family = to.address.includes(':') ? 'ipv6' : 'ipv4';
        // An address the simulator cannot read would only come out as "verdict: UNKNOWN".
        if (!parseAddr(opts.from)) throw new CliError(`--from ${opts.from} is not an IPv4 or IPv6 address`);
        if (!parseAddr(to.address))
          throw new CliError(`--to ${opts.to}: ${to.address} is not an IPv4 or IPv6 address`);
        if (opts.from.includes(':') !== (family === 'ipv6'))
          throw new CliError('--from and --to must be of the same family');
        const inputs = await loadProofInputs(ctx, opts);
        const packet: Packet = {
          family,
          src: opts.from,
          dst: to.address,
          proto: to.proto,
          state: state as PacketState,
        };
        if (to.port !== undefined) packet.dport = to.port;
        if (opts.in) packet.in = opts.in;
        probeExtras(opts, packet);
        const simulator = createSimulator({
          rulesets: inputs.state.rulesets,
          sets: inputs.state.sets,
          host: inputs.host,
          ...(inputs.docker ? { docker: inputs.docker } : {}),
          ...(inputs.nft ? { nft: inputs.nft } : {}),
        });
        // A name the host model does not have would silently match no `-i` rule.
        const known = knownInterfaces(simulator.host, inputs.state.rulesets);
        if (opts.in && !known.includes(opts.in))
          throw new CliError(
            `--in ${opts.in}: the host model has no such interface (it knows ${known.join(', ')})`,
          );
        const trace = simulator.simulate(packet);
        if (opts.json) {
          ctx.output.out(JSON.stringify({ ...trace, backend: inputs.backend }, null, 2) + '\n');
          return EXIT_OK;
        }
        ctx.flushDiagnostics('warning');
        const p = ctx.output.paint;
        const lines = [describeBackend(inputs.backend), ...renderTrace(trace, { all: !!opts.all })];
        const paintVerdict = (l: string) =>
          l
            .replace(/\b(accept|ACCEPT)\b/g, p.add('$1'))
            .replace(/\b(drop|reject|DROP|REJECT)\b/g, p.remove('$1'))
            .replace(/\bunknown\b/g, p.change('unknown'))
            .replace(/\b(depends|DEPENDS)\b/g, p.change('$1'));
        ctx.output.out(lines.map(paintVerdict).join('\n') + '\n');
        return EXIT_OK;
      }),
    );
}
