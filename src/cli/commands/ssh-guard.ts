import type { Expectation, Family } from '../../model/index.js';
import { applyPlanToState } from '../../plan/index.js';
import { checkExpectations } from '../../proof/expectations.js';
import type { CliContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { liveHostModel, type Planned } from '../pipeline.js';

/**
 * Refuses a plan under which the SSH connection this runs from (SSH_CONNECTION: client address,
 * client port, server address, server port) would be dropped, or could not be opened again.
 */
export async function guardSshSession(ctx: CliContext, planned: Planned): Promise<void> {
  const conn = ctx.env.SSH_CONNECTION?.trim().split(/\s+/);
  if (!conn || conn.length < 4) return;
  const [client, , server, port] = conn as [string, string, string, string];
  const family: Family = client.includes(':') ? 'ipv6' : 'ipv4';
  if (!planned.state.rulesets[family]) return;
  const host = planned.policy.host ?? (await liveHostModel(planned));
  const after = applyPlanToState(planned.state, planned.plan).state;
  const base = {
    family,
    from: client,
    to: { address: server, port: Number(port), proto: 'tcp' as const },
    verdict: 'accept' as const,
  };
  const probes: Expectation[] = [
    { ...base, name: 'this SSH session', ctState: 'ESTABLISHED' },
    { ...base, name: 'a new SSH connection from this client', ctState: 'NEW' },
  ];
  const { results } = checkExpectations(probes, after, host, planned.inventory);
  const cut = results.filter((r) => r.trace.verdict === 'drop' || r.trace.verdict === 'reject');
  if (cut.length === 0) return;
  const what = cut
    .map((r) => `${r.expectation.name} would be ${r.trace.verdict === 'drop' ? 'dropped' : 'rejected'}`)
    .join(' and ');
  throw new CliError(
    `refusing to apply: ${what} (from ${client} to ${server}:${port}); pass --force to apply anyway, ideally with --confirm`,
  );
}
