import { printable } from '../../model/printable.js';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import {
  compileDesired,
  onlyFamilies,
  policyFamilies,
  stateFamilies,
  type DesiredState,
} from '../../compile/index.js';
import { EventFollower, readInventory } from '../../docker/index.js';
import type { FileLock } from '../../host/index.js';
import type { Diagnostic, DockerInventory, Policy } from '../../model/index.js';
import { hasErrors } from '../../model/index.js';
import { describeOperation, planChanges } from '../../plan/index.js';
import { loadPolicy } from '../../policy/index.js';
import { Reconciler, type Trigger } from '../../watch/reconciler.js';
import { WatchMetrics, serveMetrics } from '../../watch/metrics.js';
import { memberFileReader } from '../inputs.js';
import type { CliContext } from '../context.js';
import { dockerClient } from '../docker-client.js';
import { CliError, EXIT_LOCKED, EXIT_OK } from '../exit-codes.js';
import { hostApplyPorts } from '../host-ports.js';
import { chooseVariant, hostRunner, liveFirewallBackend, readLiveState } from '../live.js';
import { forNftablesBackend } from '../../backend/nftables/index.js';
import { diagnosticLine } from '../render-diagnostics.js';
import { idleCollector } from '../idle-collector.js';
import { canFollowNftChanges, followNftChanges, type NftChangeFollower } from '../watch-nft-events.js';
import { nftWatchScope } from '../../watch/nft-events.js';
import { DEFAULT_STATE_DIR, StateDir } from '../state-dir.js';
import { journalledApply, policyHash } from '../journalled-change.js';
import { settleUnderLock } from '../pending-apply.js';
import { liveHostChecks } from '../pipeline.js';
import { lockState, requirePrivileges } from './apply.js';
import type { Run } from './index.js';
import { errorWords } from '../../model/index.js';

interface WatchOpts {
  file: string;
  logFormat: 'text' | 'json';
  interval?: string;
  fullInterval?: string;
  nftEvents: boolean;
  debounce: string;
  metrics?: string;
  stateDir: string;
}

export function registerWatch(program: Command, run: Run): void {
  program
    .command('watch')
    .description("keep the policy in place: follow Docker's events and drift, reconcile within a second")
    .requiredOption('-f, --file <policy>', 'policy file (reloaded on SIGHUP)')
    .option('--log-format <format>', 'text or json (JSON lines)', 'text')
    .option(
      '--interval <ms>',
      "cheap drift check: read dockwall's chains and plan, every MS (default 1000; 30000 where nf_tables change events are followed)",
    )
    .option(
      '--full-interval <ms>',
      'full comparison of whole tables, every MS (default 30000; 300000 where change events are followed)',
    )
    .option('--no-nft-events', 'do not follow nf_tables change events (`nft monitor`): poll only')
    .option('--debounce <ms>', 'events within this window cost one reconcile', '100')
    .option('--metrics <addr>', 'serve Prometheus metrics on HOST:PORT')
    .option('--state-dir <dir>', 'where the lock, journal and snapshots are kept', DEFAULT_STATE_DIR)
    .action((opts: WatchOpts) => run((ctx) => watchCommand(ctx, opts)));
}

async function watchCommand(ctx: CliContext, opts: WatchOpts): Promise<number> {
  if (opts.logFormat !== 'text' && opts.logFormat !== 'json')
    throw new CliError('--log-format is text or json');
  await requirePrivileges();
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}) => {
    if (opts.logFormat === 'json')
      ctx.output.out(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
    else
      ctx.output.out(
        `${new Date().toISOString()} ${level.padEnd(5)} ${printable(msg)}${Object.keys(fields).length ? ' ' + JSON.stringify(fields) : ''}\n`,
      );
  };

  let policy = loadOrThrow(opts.file);
  let policyDigest = policyHash(opts.file);
  const runner = hostRunner();
  const variant = await chooseVariant(ctx, runner);
  for (const d of ctx.diagnostics.splice(0)) log('warn', diagnosticLine(d));
  const docker = dockerClient(ctx, { timeoutMs: 5000 }, (m) => log('warn', m));
  const metrics = new WatchMetrics();
  // Repairs are journalled like an apply (a crash mid-repair is undone), but keep no snapshot:
  // `dockwall rollback` undoes the user's last apply, not a repair.
  const stateDir = new StateDir(opts.stateDir);
  try {
    const { lock } = await lockState(ctx, stateDir, '10');
    lock.release();
  } catch (e) {
    if (!(e instanceof CliError) || e.code !== EXIT_LOCKED) throw e;
    log('warn', `${e.message}; the first repair settles what it finds`);
  }
  let inventory: DockerInventory | undefined;
  // Docker's containers and firewall backend are read again only when something says they may have
  // changed (a Docker event, Docker's return, a reload, a full check), not at every check.
  let inventoryStale = true;
  let backend: 'iptables' | 'nftables' | undefined;
  let nftFollower: NftChangeFollower | undefined;

  // How long the last read of each kind took. Reading whole tables finds more (stale rules anywhere)
  // and on most hosts costs 2 commands instead of one per chain; the chain-by-chain read only wins
  // when the tables hold many other rules. Drift checks use whichever was cheaper last time (the
  // start reads whole tables, the first check reads chains: both are measured early).
  const readMs = { full: Infinity, chains: Infinity };
  // A condition found on every cycle (a Docker entry left out for a bad value, a rule that cannot
  // be read) is logged when it appears, and again only after it was gone for a minute.
  const lastSeen = new Map<string, number>();
  const once = (level: 'warn' | 'error', message: string, fields: Record<string, unknown> = {}) => {
    const now = Date.now();
    for (const [m, t] of lastSeen) if (now - t > 60_000) lastSeen.delete(m);
    if (!lastSeen.has(message)) log(level, message, fields);
    lastSeen.set(message, now);
  };
  // Docker entries left out for a bad value are error events: their containers lose their rules.
  const reportRejected = (diagnostics: readonly Diagnostic[]) => {
    for (const d of diagnostics)
      if (d.code === 'docker.rejected-value') once('error', d.message, d.hint ? { hint: d.hint } : {});
  };
  // The desired state is compiled again only when what it is made from changed (the policy, Docker's
  // containers, Docker's firewall backend): a change event or a check that finds Docker as it was
  // plans against the state compiled before (the planner and the apply never change it).
  let lastCompiled:
    { key: [Policy, DockerInventory | undefined, string]; value: CompiledForHost } | undefined;
  const compiledFor = (p: Policy, inv: DockerInventory | undefined, b: 'iptables' | 'nftables') => {
    const k = lastCompiled?.key;
    if (k && k[0] === p && k[1] === inv && k[2] === b) return lastCompiled!.value;
    const value = compileForHost(p, inv, b);
    lastCompiled = { key: [p, inv, b], value };
    return value;
  };
  const reconcile = async (_trigger: Trigger, fullAsked: boolean) => {
    const full = fullAsked || readMs.full <= readMs.chains;
    if (fullAsked) {
      inventoryStale = true;
      backend = undefined;
    }
    if (policy.containers.length > 0 && (inventoryStale || !inventory)) {
      try {
        inventory = await readInventory(docker);
        inventoryStale = false;
      } catch (e) {
        if (!inventory) throw e;
        log('warn', `Docker not reachable, using its last known containers: ${(e as Error).message}`);
      }
    }
    // Docker's firewall backend: a restarted dockerd may have switched it (its return is a full check).
    backend ??= await liveFirewallBackend(runner);
    const { desired: compiled, warnings } = compiledFor(policy, inventory, backend);
    reportRejected(compiled.diagnostics);
    for (const d of warnings) once('warn', diagnosticLine(d));
    // What dockwall's own commands left in the state directory before this read: if it is the same
    // under the lock, no apply ran in between and the read needs no repeating.
    const changeMark = stateDir.changeMark();
    const readStarted = performance.now();
    const state = await readLiveState(ctx, compiled, {
      runner,
      variant,
      full,
      requiredFamilies: policyFamilies(policy),
    });
    const desired = onlyFamilies(compiled, stateFamilies(state));
    nftFollower?.setScope(nftWatchScope(desired));
    readMs[full ? 'full' : 'chains'] = performance.now() - readStarted;
    // The checks apply makes first (chains the rules jump to, extensions), on either backend: a
    // repair must not fail at the commit for what apply would have refused with its reason.
    const problems = await liveHostChecks(ctx, policy, state, desired);
    const refused = problems.filter((d) => d.severity === 'error');
    if (refused.length > 0)
      throw new Error(`the policy cannot be applied to this host: ${refused.map(diagnosticLine).join('; ')}`);
    for (const d of problems) if (d.severity === 'warning') once('warn', diagnosticLine(d));
    for (const d of ctx.diagnostics.splice(0))
      if (d.severity !== 'info' || d.code === 'live.nft-content-unchecked')
        once('warn', d.code === 'live.unreadable-rule' ? d.message : diagnosticLine(d));
    const plan = planChanges(state, desired, { families: desired.families });
    if (plan.operations.length === 0 && !stateDir.journal()) return { applied: [], plan };
    // A repair holds the state lock like an apply, first settles what a dead process left, and
    // stands back while the user decides. An apply or rollback holding the lock is no failure (no
    // back-off): the next check tries again.
    let lock: FileLock;
    try {
      lock = await stateDir.lock(`dockwall watch -f ${opts.file} (repair)`, REPAIR_LOCK_WAIT_S);
    } catch (e) {
      if (!(e instanceof CliError) || e.code !== EXIT_LOCKED) throw e;
      const busy = `repair postponed: ${e.message}`;
      if (busy !== lastPause) log('info', busy);
      lastPause = busy;
      return { applied: [], plan };
    }
    try {
      const settled = await settleUnderLock(ctx, stateDir, lock);
      for (const m of settled) log('warn', m);
      const paused = pauseReason();
      if (paused) {
        if (paused !== lastPause) log('warn', paused);
        lastPause = paused;
        return { applied: [], plan };
      }
      if (lastPause) log('info', 'repairs resume');
      lastPause = undefined;
      const ports = hostApplyPorts(ctx, runner, variant, desired, { full, lockFd: lock.fd });
      // Read again under the lock when an apply, rollback or confirm may have finished between the
      // check and the lock; otherwise the check's read stands (the apply's read back still catches
      // what anyone else changed meanwhile, as it does for every apply).
      const unchanged = settled.length === 0 && stateDir.changeMark() === changeMark;
      const result = await journalledApply(
        { ctx, dir: stateDir, lockFd: lock.fd },
        'repair',
        ports,
        desired,
        {
          policyFile: opts.file,
          ...(unchanged ? { first: { state, plan } } : {}),
          onEvent: (e) => {
            if (e.type === 'drift-after-apply')
              log('warn', 'the tables changed again during the apply; retrying', { attempt: e.attempt });
          },
        },
      );
      return { applied: result.operations, plan: result.plan };
    } finally {
      lock.release();
    }
  };

  /**
   * Why repairs wait: an apply's `--confirm` window is open (repairing would confirm or undo it
   * behind the user's back), or the policy watch enforces is the one the user rolled back or did
   * not confirm (putting it back could lock the user out again).
   */
  let lastPause: string | undefined;
  const pauseReason = (): string | undefined => {
    const p = stateDir.pending();
    if (p)
      return `apply ${p.applyId} of ${p.policyFile} waits for confirmation until ${p.deadline}: repairs wait until it is confirmed or reverted`;
    const hold = stateDir.hold();
    if (hold && hold.policyHash === policyDigest)
      return `${hold.policyFile} was ${hold.reason === 'rollback' ? 'rolled back' : 'not confirmed, and reverted'} at ${hold.at}: watch does not put that policy back until its file changes (then SIGHUP) or \`dockwall apply\` runs`;
    return undefined;
  };

  const reconciler = new Reconciler(
    {
      reconcile,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      now: () => Date.now(),
    },
    { debounceMs: Number(opts.debounce), minBackoffMs: 250, maxBackoffMs: 30_000 },
  );
  // After a reconcile that did more than the cheap check finding nothing (every 30 s, where a
  // collection each time would cost more CPU than it frees), once quiet: what it allocated is not
  // left resident until V8 gets round to it.
  const collector = idleCollector(IDLE_GC_MS);
  reconciler.on('reconciled', ({ trigger, outcome, durationMs }) => {
    if (trigger.kind !== 'check' || trigger.full || outcome.applied.length > 0) collector.poke();
    metrics.reconciles++;
    metrics.lastSuccessSeconds = Math.floor(Date.now() / 1000);
    metrics.lastDurationSeconds = durationMs / 1000;
    if (outcome.applied.length === 0) return;
    metrics.driftFound++;
    metrics.operationsApplied += outcome.applied.length;
    log('info', `restored the policy: ${outcome.applied.length} change(s)`, {
      trigger: trigger.kind,
      durationMs,
      found: outcome.applied.map((o) => describeOperation(o)),
    });
  });
  reconciler.on('failed', ({ trigger, error, retryInMs }) => {
    collector.poke();
    metrics.errors++;
    log('error', `reconcile failed: ${error.message}`, { trigger: trigger.kind, retryInMs });
  });

  const follower = new EventFollower(docker, { minDelayMs: 100, maxDelayMs: 5000 });
  follower.on('connected', ({ first }) => {
    metrics.dockerConnected = 1;
    log('info', first ? 'following Docker events' : 'Docker is back: reconciling at once');
    if (!first) reconciler.trigger({ kind: 'docker-reconnected' }, { full: true, immediate: true });
  });
  follower.on('disconnected', ({ error }) => {
    metrics.dockerConnected = 0;
    log('warn', `Docker event stream lost: ${error instanceof Error ? error.message : String(error)}`);
  });
  follower.on('event', (ev) => {
    inventoryStale = true;
    const t: Trigger = { kind: 'docker-event', type: ev.type, action: ev.action };
    if (ev.attributes.name) t.name = ev.attributes.name;
    reconciler.trigger(t);
  });

  let server: Server | undefined;
  if (opts.metrics) {
    server = await serveMetrics(metrics, opts.metrics);
    log('info', `metrics on http://${opts.metrics}/metrics`);
  }

  // With the kernel's change events followed, a change is noticed at once and the checks are only
  // the backstop (sets, whose members nft monitor does not show; a missed event); otherwise they poll.
  const events = opts.nftEvents && (await canFollowNftChanges(runner, variant));
  if (events)
    nftFollower = followNftChanges(runner, {
      log,
      onChange: (tx) =>
        reconciler.trigger(
          { kind: 'nft-event', process: tx.generation.process, pid: tx.generation.pid },
          { delayMs: NFT_EVENT_DEBOUNCE_MS },
        ),
      onGap: () => reconciler.trigger({ kind: 'nft-monitor-restarted' }, { immediate: true }),
    });
  const interval = Number(opts.interval ?? (events ? 30_000 : 1_000));
  const fullInterval = Number(opts.fullInterval ?? (events ? 300_000 : 30_000));
  const fast = setInterval(() => reconciler.trigger({ kind: 'check', full: false }), interval);
  const slow = setInterval(
    () => reconciler.trigger({ kind: 'check', full: true }, { full: true }),
    fullInterval,
  );
  log('info', `watching ${opts.file}`, { pid: process.pid, interval, fullInterval, nftEvents: events });
  reconciler.trigger({ kind: 'start' }, { immediate: true, full: true });
  const followed = follower.start();

  const onHup = () => {
    try {
      policy = loadOrThrow(opts.file);
      policyDigest = policyHash(opts.file);
      log('info', `reloaded ${opts.file}`);
      reconciler.trigger({ kind: 'reload' }, { immediate: true, full: true });
    } catch (e) {
      log('error', `${(e as Error).message}; keeping the last good policy`);
    }
  };
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log('info', `${sig}: stopping`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  clearInterval(fast);
  clearInterval(slow);
  process.off('SIGHUP', onHup);
  follower.stop();
  nftFollower?.stop();
  reconciler.stop();
  await reconciler.idle();
  collector.stop();
  await followed.catch(() => undefined);
  server?.close();
  return EXIT_OK;
}

/** How long watch has been quiet after a reconcile before it collects its garbage. */
const IDLE_GC_MS = 2_000;

/** Change events this close together (one script of several `iptables` commands) cost one reconcile. */
const NFT_EVENT_DEBOUNCE_MS = 10;

/** How long a repair waits for an apply or rollback holding the state lock before trying later. */
const REPAIR_LOCK_WAIT_S = 2;

interface CompiledForHost {
  desired: DesiredState;
  /** The warnings of the translation to Docker's nftables backend. */
  warnings: Diagnostic[];
}

/** The desired state of a policy for these containers and Docker's firewall backend. */
function compileForHost(
  policy: Policy,
  inventory: DockerInventory | undefined,
  backend: 'iptables' | 'nftables',
): CompiledForHost {
  const compiled = compileDesired(policy, inventory ? { inventory } : {});
  if (backend !== 'nftables') return { desired: compiled, warnings: [] };
  const split = forNftablesBackend(compiled);
  const errors = split.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(
      `the policy cannot be applied with Docker's nftables backend: ${errors.map(diagnosticLine).join('; ')}`,
    );
  return { desired: split.desired, warnings: split.diagnostics.filter((d) => d.severity === 'warning') };
}

function loadOrThrow(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${errorWords(e)}`);
  }
  const res = loadPolicy(text, file, { readMemberFile: memberFileReader(file) });
  if (!res.value || hasErrors(res.diagnostics)) {
    throw new CliError(
      `${file} is not a valid policy: ${res.diagnostics
        .filter((d) => d.severity === 'error')
        .map(diagnosticLine)
        .join('; ')}`,
    );
  }
  return res.value;
}
