import type {
  Diagnostic,
  DockerInventory,
  Expectation,
  HostModel,
  HostState,
  NftRuleset,
} from '../model/index.js';
import { diag } from '../model/index.js';
import { createSimulator, describeDecision, packetFromExpectation, type Trace } from '../sim/index.js';

export interface ExpectationResult {
  expectation: Expectation;
  ok: boolean;
  trace: Trace;
}

/** A one-line description of an expectation: `192.168.122.50 → 192.168.122.190:8000/tcp in eth0`. */
export function describeExpectation(e: Expectation): string {
  const port = e.to.port !== undefined ? `:${e.to.port}` : '';
  const to = e.to.address.includes(':') && port ? `[${e.to.address}]${port}` : `${e.to.address}${port}`;
  return `${e.name ? `"${e.name}" ` : ''}${e.from} → ${to}/${e.to.proto}${e.in ? ` in ${e.in}` : ''}`;
}

/**
 * Evaluates `expect:` assertions against a host state (normally the planned one: what the policy
 * would produce). A failure names the rule (or policy) that decided, and its line in the dump.
 */
export function checkExpectations(
  expectations: readonly Expectation[],
  state: HostState,
  host: HostModel,
  docker?: DockerInventory,
  nft?: NftRuleset,
): { results: ExpectationResult[]; diagnostics: Diagnostic[] } {
  const sim = createSimulator({
    rulesets: state.rulesets,
    sets: state.sets,
    host,
    ...(docker ? { docker } : {}),
    ...(nft ? { nft } : {}),
  });
  const results: ExpectationResult[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const e of expectations) {
    const trace = sim.simulate(packetFromExpectation(e));
    const ok = trace.verdict === e.verdict;
    results.push({ expectation: e, ok, trace });
    if (ok) continue;
    const by = trace.decidedBy ? `, decided by ${describeDecision(trace.decidedBy)}` : '';
    const why = trace.verdict === 'unknown' ? ` (${trace.unknownReason ?? 'the simulator cannot tell'})` : '';
    const message =
      trace.verdict === 'depends'
        ? `expectation ${describeExpectation(e)} not proven: wanted ${e.verdict}, but the verdict depends: ${trace.depends ?? ''}`
        : `expectation ${describeExpectation(e)} failed: wanted ${e.verdict}, got ${trace.verdict}${by}${why}`;
    diagnostics.push(diag('error', 'check.expectation-failed', message, e.pos));
  }
  return { results, diagnostics };
}
