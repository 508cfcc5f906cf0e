import { addrToBig, parseAddr, parseAddrRange, parseCidr } from '../../../src/sim/addr.js';
import { audit, type AuditReport, type ListeningPort, type SourceGroup } from '../../../src/sim/index.js';
import type { DiffLab } from './diff-lab.js';
import type { LiveInputs } from './live-inputs.js';
import { describeProbe, type Expected } from './probe-plan.js';
import type { ProbeComparison } from './run-scenario.js';

/**
 * `dockwall audit` on the same live state: for every probe an outside host sent to the docker
 * host's address at a port the audit looks at, the audit's source group holding that host must
 * predict what the probe saw. The audit walks source classes, not single packets: this checks
 * that second code path against the kernel too.
 */

export interface AuditAgreement {
  checked: number;
  disagreements: string[];
}

function holds(g: SourceGroup, ip: string): boolean {
  const v = addrToBig(parseAddr(ip)!);
  return g.ranges.some((r) => {
    if (r.includes('/')) {
      const c = parseCidr(r)!;
      return v >= c.start && v <= c.end;
    }
    const [a, b] = parseAddrRange(r)!;
    return v >= addrToBig(a) && v <= addrToBig(b);
  });
}

export function auditLive(d: DiffLab, live: LiveInputs): AuditReport {
  const listening: ListeningPort[] = d.hostListeners.map((l) =>
    l.address ? { port: l.port, proto: l.proto, address: l.address } : { port: l.port, proto: l.proto },
  );
  return audit({ ...live.input, listening });
}

export function checkAudit(d: DiffLab, report: AuditReport, all: ProbeComparison[]): AuditAgreement {
  const out: AuditAgreement = { checked: 0, disagreements: [] };
  const listens = (addr: string, port: number, proto: 'tcp' | 'udp') =>
    [...d.containers.values()].some(
      (c) =>
        Object.values(c.networks).some((a) => a.ip === addr) &&
        (proto === 'tcp' ? c.tcp : c.udp).includes(port),
    );
  for (const c of all) {
    const p = c.probe;
    if (p.source.kind !== 'outside' || p.dst !== d.docker.address) continue;
    for (const r of report.destinations) {
      const dest = r.destination;
      if (dest.proto !== p.proto || dest.hostPort !== p.port) continue;
      const probe = r.probes.find((x) => x.kind === 'address' && x.dst === p.dst);
      const g = probe?.groups.find((x) => holds(x, p.source.address));
      if (!g) continue;
      let expected: Expected;
      if (g.verdict === 'drop') expected = 'timeout';
      else if (g.verdict === 'reject') expected = 'refused';
      else if (g.verdict === 'unknown') expected = 'unknown';
      else if (!g.reachable) expected = 'refused';
      else if (dest.kind === 'listening') expected = 'open';
      else
        expected =
          dest.target && listens(dest.target.address, dest.target.port, p.proto) ? 'open' : 'refused';
      out.checked++;
      if (expected !== c.real)
        out.disagreements.push(
          `${describeProbe(p)}: real ${c.real}, audit says ${g.verdict}${g.reachable ? ' (reaches it)' : ''} -> ${expected}`,
        );
    }
  }
  return out;
}
