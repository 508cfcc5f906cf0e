import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { commandEnv } from '../host/runner.js';
import { hostRunner } from './live.js';
import { processAlive, type Pending } from './state-dir.js';

/**
 * What restores the previous rules when a `--confirm` window closes unconfirmed. It must outlive the
 * apply process (a dropped SSH session sends SIGHUP to it; the OOM killer sends SIGKILL): a transient
 * systemd timer where systemd runs, otherwise a helper process of dockwall's own in its own session.
 * Both run `dockwall __revert-pending`, which waits for the deadline in pending.json, takes the state
 * lock and restores the snapshot unless the apply was confirmed meanwhile.
 */

/** The hidden command both reverters run. */
export const REVERT_COMMAND = '__revert-pending';

/** The command line that reverts one pending apply: this node, this dockwall, absolute paths. */
export function revertArgv(stateDir: string, applyId: string): string[] {
  return [
    process.execPath,
    resolve(process.argv[1] ?? ''),
    REVERT_COMMAND,
    '--state-dir',
    resolve(stateDir),
    '--apply-id',
    applyId,
  ];
}

/** The systemd unit name for one apply's revert. */
export function revertUnitName(applyId: string): string {
  return `dockwall-revert-${applyId}`;
}

/**
 * `systemd-run` arguments for a transient timer that runs `command` `seconds` from now (the command
 * itself waits for the deadline written in pending.json, so a deadline moved later is honoured).
 */
export function systemdRunArgv(unit: string, seconds: number, command: readonly string[]): string[] {
  return [
    'systemd-run',
    `--unit=${unit}`,
    `--description=dockwall: restore the previous rules unless confirmed`,
    `--on-active=${Math.max(1, Math.ceil(seconds))}s`,
    '--timer-property=AccuracySec=100ms',
    '--property=Type=oneshot',
    '--collect',
    '--quiet',
    '--',
    ...command,
  ];
}

/** systemd manages this machine: PID 1 is systemd and /run/systemd/system exists. */
export function systemdRuns(): boolean {
  try {
    return existsSync('/run/systemd/system') && readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

/**
 * Hands the revert to something that outlives this process. Tries systemd first where it runs; falls
 * back to a detached helper (own session and process group, stdio closed, not waited for).
 */
export async function armReverter(
  stateDir: string,
  applyId: string,
  seconds: number,
): Promise<NonNullable<Pending['reverter']>> {
  const command = revertArgv(stateDir, applyId);
  if (systemdRuns()) {
    const unit = revertUnitName(applyId);
    const r = await hostRunner().run(systemdRunArgv(unit, seconds, command));
    if (r.code === 0) return { kind: 'systemd', unit };
  }
  const child = spawn(command[0]!, command.slice(1), {
    detached: true,
    stdio: 'ignore',
    env: commandEnv(),
  });
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the helper that restores the previous rules');
  return { kind: 'helper', pid: child.pid };
}

/** Whether the reverter of a pending apply is still there to restore the previous rules. */
export async function reverterAlive(p: Pending): Promise<boolean> {
  if (!p.reverter) return false;
  if (p.reverter.kind === 'helper') return isRevertHelper(p.reverter.pid, p.applyId);
  const r = await hostRunner().run(['systemctl', 'is-active', '--quiet', `${p.reverter.unit}.timer`]);
  const s = await hostRunner().run(['systemctl', 'is-active', '--quiet', `${p.reverter.unit}.service`]);
  return r.code === 0 || s.code === 0;
}

/** Stops the reverter of a pending apply (after it was confirmed, or reverted by someone else). */
export async function cancelReverter(p: Pending): Promise<void> {
  if (!p.reverter) return;
  if (p.reverter.kind === 'helper') {
    // Only if that pid is still our helper for this apply (pids are reused).
    if (p.reverter.pid !== process.pid && isRevertHelper(p.reverter.pid, p.applyId)) {
      try {
        process.kill(p.reverter.pid, 'SIGTERM');
      } catch {
        // Gone meanwhile.
      }
    }
    return;
  }
  await hostRunner().run(['systemctl', 'stop', `${p.reverter.unit}.timer`, `${p.reverter.unit}.service`]);
}

function isRevertHelper(pid: number, applyId: string): boolean {
  if (!processAlive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(REVERT_COMMAND) && argv.includes(applyId);
  } catch {
    return false;
  }
}
