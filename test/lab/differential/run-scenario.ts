import { createSimulator, describeDecision, renderTrace, type Trace } from '../../../src/sim/index.js';
import { probeFromContainer, probeTcp, probeUdp, type ProbeResult } from '../helpers/index.js';
import {
  probeBatchFromContainer,
  probeBatchFromHost,
  type BatchOptions,
  type ProbeAnswer,
} from './batch-probe.js';
import type { DiffLab } from './diff-lab.js';
import { auditLive, checkAudit, type AuditAgreement } from './audit-check.js';
import { natMismatch, readConntrack } from './conntrack.js';
import { readLiveInputs } from './live-inputs.js';
import {
  expectedResult,
  packetOf,
  pickProbes,
  probeSources,
  probeUniverse,
  serverSeenSource,
  describeProbe,
  type Expected,
  type PlannedProbe,
} from './probe-plan.js';
import type { DiffScenario } from './scenarios.js';

export interface ProbeComparison {
  probe: PlannedProbe;
  trace: Trace;
  expected: Expected;
  why: string;
  real: ProbeResult;
  detail?: string;
  ms: number;
}

export interface ScenarioOutcome {
  name: string;
  /** Every probe with both answers. */
  all: ProbeComparison[];
  total: number;
  agree: number;
  /** Count of real results per kind, to show the probes cover open, refused and timeout. */
  real: Record<ProbeResult, number>;
  disagreements: ProbeComparison[];
  /** Probes both accepted, whose NAT was compared with conntrack's entry. */
  natChecked: number;
  natDisagreements: string[];
  /** `audit` on the same state, against the probes from outside hosts to the docker host. */
  audit: AuditAgreement;
  /** The live `iptables-save` the simulator read (for failure messages). */
  saved: string;
}

export const PROBES_PER_SCENARIO = 220;
export const BATCH: BatchOptions = { timeoutMs: 700, concurrency: 12 };

/** The source address the kernel picks when the docker host itself sends to `dst`. */
async function routeSource(d: DiffLab, dst: string): Promise<string> {
  const out = await d.onDocker(['ip', '-j', 'route', 'get', dst]);
  const [r] = JSON.parse(out) as Array<{ prefsrc?: string }>;
  if (!r?.prefsrc) throw new Error(`ip route get ${dst}: no source address`);
  return r.prefsrc;
}

/** Sets the scenario up, simulates and sends its probes, and compares every one (teardown is the caller's). */
export async function runScenario(d: DiffLab, sc: DiffScenario): Promise<ScenarioOutcome> {
  await sc.setup(d);
  await d.bindUdpEcho();
  // Connections of the scenario before must not make this one's packets ESTABLISHED.
  await d.onDocker(['conntrack', '-F']);
  const live = await readLiveInputs(d);
  const sources = probeSources(d, live.docker);
  // Fixed source ports below the ephemeral range, distinct per scenario (no TIME_WAIT clashes).
  const sportBase = 20_000 + (sc.seed % 10) * 1_000;
  const probes = pickProbes(probeUniverse(d, live.docker, sources), PROBES_PER_SCENARIO, sc.seed, sportBase);

  const sim = createSimulator(live.input);
  const localSrc = new Map<string, string>();
  for (const p of probes)
    if (p.source.kind === 'local' && !localSrc.has(p.dst)) localSrc.set(p.dst, await routeSource(d, p.dst));
  const traces = probes.map((p) => sim.simulate(packetOf(p, localSrc.get(p.dst) ?? '')));
  const replySources = new Map<string, string>();
  for (const t of traces) {
    const a = serverSeenSource(t);
    if (!replySources.has(a)) replySources.set(a, await routeSource(d, a));
  }
  const simulated = traces.map((trace) => ({
    trace,
    ...expectedResult(trace, d, live.docker, replySources),
  }));

  const bySource = new Map<string, PlannedProbe[]>();
  for (const p of probes) bySource.set(p.source.name, [...(bySource.get(p.source.name) ?? []), p]);
  const batches = [...bySource.values()].map((list) => {
    const s = list[0]!.source;
    const jobs = list.map((p) => ({ id: p.id, sport: p.sport, proto: p.proto, addr: p.dst, port: p.port }));
    if (s.kind === 'container') return probeBatchFromContainer(s.name, s.container!.pid, jobs, BATCH);
    const host = s.kind === 'local' ? d.docker : d.outside.find((h) => h.name === s.name)!;
    return probeBatchFromHost(d.lab, host, jobs, BATCH);
  });
  const answers = new Map<number, ProbeAnswer>();
  for (const list of await Promise.all(batches)) for (const a of list) answers.set(a.id, a);
  const conntrack = await readConntrack(d);

  const real: Record<ProbeResult, number> = { open: 0, refused: 0, timeout: 0 };
  const all: ProbeComparison[] = [];
  for (const p of probes) {
    const a = answers.get(p.id)!;
    const s = simulated[p.id]!;
    real[a.result]++;
    const c: ProbeComparison = {
      probe: p,
      trace: s.trace,
      expected: s.result,
      why: s.why,
      real: a.result,
      ms: a.ms,
    };
    if (a.detail) c.detail = a.detail;
    all.push(c);
  }
  const disagreements = all.filter((c) => c.expected !== c.real);
  // A TCP reset to a SYN removes the conntrack entry at once: refused TCP probes leave none.
  const natChecked = all.filter(
    (c) => c.trace.verdict === 'accept' && (c.real === 'open' || c.probe.proto === 'udp'),
  );
  const natDisagreements = natChecked.flatMap((c) => {
    const why = natMismatch(c.trace, conntrack);
    return why ? [`${describeProbe(c.probe)}: ${why}`] : [];
  });
  return {
    name: sc.name,
    all,
    total: probes.length,
    agree: probes.length - disagreements.length,
    natChecked: natChecked.length,
    natDisagreements,
    audit: checkAudit(d, auditLive(d, live), all),
    real,
    disagreements,
    saved: live.saved,
  };
}

/** One line per probe: both answers and the rule that decided (for DWL_DIFF_DUMP). */
export function probeTable(o: ScenarioOutcome): string {
  return o.all
    .map((c) => {
      const by = c.trace.decidedBy ? describeDecision(c.trace.decidedBy) : '';
      return `${c.expected === c.real ? 'ok ' : 'BAD'} ${describeProbe(c.probe)}: real ${c.real}, simulated ${c.trace.verdict} -> ${c.expected} (${c.why}) ${by}`;
    })
    .join('\n');
}

/** A readable account of the disagreements: each probe and both answers, then some traces. */
export function explain(o: ScenarioOutcome, traces = 4): string {
  const line = (c: ProbeComparison) =>
    `${describeProbe(c.probe)}: real ${c.real}${c.detail ? ` (${c.detail})` : ''} after ${c.ms} ms, simulated ${c.expected} (${c.why})`;
  const detail = o.disagreements
    .slice(0, traces)
    .map((c) => [line(c), ...renderTrace(c.trace).map((l) => `    ${l}`)].join('\n'));
  return [
    `scenario ${o.name}: ${o.disagreements.length} disagreement(s)`,
    ...o.disagreements.map(line),
    '--- traces ---',
    ...detail,
    '--- live iptables-save ---',
    o.saved,
  ].join('\n');
}

/**
 * A few probes sent again, one at a time, with the lab's own probe helpers (probeTcp/probeUdp from
 * a host, probeFromContainer from a container): the batch prober must see what they see. One per
 * kind of source, preferring different real outcomes.
 */
export async function crossCheck(d: DiffLab, o: ScenarioOutcome): Promise<string[]> {
  const picked: ProbeComparison[] = [];
  for (const kind of ['outside', 'local', 'container'] as const) {
    const mine = o.all.filter((c) => c.probe.source.kind === kind);
    const fresh = mine.find((c) => !picked.some((x) => x.real === c.real)) ?? mine[0];
    if (fresh) picked.push(fresh);
  }
  const problems: string[] = [];
  for (const c of picked) {
    const p = c.probe;
    let again: ProbeResult;
    if (p.source.kind === 'container') {
      again = await probeFromContainer(d.dockerd, p.source.name, p.dst, p.port, {
        proto: p.proto,
        timeoutMs: BATCH.timeoutMs,
      });
    } else {
      const host = p.source.kind === 'local' ? d.docker : d.outside.find((h) => h.name === p.source.name)!;
      const probe = p.proto === 'tcp' ? probeTcp : probeUdp;
      again = await probe(d.lab, host, p.dst, p.port, BATCH.timeoutMs);
    }
    if (again !== c.real) problems.push(`${describeProbe(p)}: batch ${c.real}, probe helper ${again}`);
  }
  return problems;
}
