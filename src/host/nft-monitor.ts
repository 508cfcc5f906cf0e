import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { FollowedCommand, Runner } from './runner.js';

/**
 * `nft monitor` kept running: every line it prints is handed on, and when it dies (killed, nft
 * upgraded, out of memory) it is started again after a pause that doubles from `minDelayMs` up to
 * `maxDelayMs` (back to the minimum once a run lasted `steadyMs`). Changes made while it was down
 * were not seen: `started` with `restart: true` tells the listener to look for itself.
 */

export interface NftMonitorOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A run that lasted this long resets the pause to its minimum (10 s). */
  steadyMs?: number;
  /**
   * The words that make the monitor die with dockwall (default {@link deathSignalPrefix}: util-linux
   * `setpriv --pdeathsig KILL --` where setpriv is installed); `[]` starts `nft monitor` bare.
   */
  prefix?: readonly string[];
}

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * `setpriv --pdeathsig KILL --` when util-linux's setpriv is installed (Debian: package util-linux,
 * always there), else nothing. setpriv asks the kernel to send the command SIGKILL when the process
 * that started it dies, then becomes the command (same pid): so a dockwall killed with SIGKILL, which
 * can clean up nothing, still takes its `nft monitor` with it.
 */
export function deathSignalPrefix(exists: (path: string) => boolean = existsSync): string[] {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), ...SEARCH_DIRS];
  return dirs.some((d) => exists(`${d}/setpriv`)) ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
}

export interface NftMonitorEvents {
  line: [string];
  started: [{ pid: number | undefined; restart: boolean }];
  died: [{ code: number | null; signal: string | null; message: string; retryInMs: number }];
}

export class NftMonitor extends EventEmitter<NftMonitorEvents> {
  private current: FollowedCommand | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly steadyMs: number;
  private prefix: readonly string[];

  constructor(
    private readonly runner: Runner,
    opts: NftMonitorOptions = {},
  ) {
    super();
    this.minDelayMs = opts.minDelayMs ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 5_000;
    this.steadyMs = opts.steadyMs ?? 10_000;
    this.prefix = opts.prefix ?? deathSignalPrefix();
  }

  /** Whether this runner can follow a command at all (test doubles cannot). */
  get supported(): boolean {
    return typeof this.runner.follow === 'function';
  }

  start(): void {
    if (!this.supported) throw new Error('this runner cannot follow a command');
    this.launch(false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.current?.stop();
    this.current = undefined;
  }

  /** The pid of the running `nft monitor`, if one runs. */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  private launch(restart: boolean): void {
    if (this.stopped) return;
    const began = Date.now();
    const prefix = this.prefix;
    const cmd = this.runner.follow!([...prefix, 'nft', 'monitor'], (line) => this.emit('line', line));
    this.current = cmd;
    this.emit('started', { pid: cmd.pid, restart });
    void cmd.exited.then(({ code, signal, stderr }) => {
      if (this.current === cmd) this.current = undefined;
      if (this.stopped) return;
      // A setpriv older than --pdeathsig (util-linux 2.33): the monitor runs without it.
      if (prefix.length > 0 && /^setpriv: (unrecognized|invalid|unknown) option/m.test(stderr)) {
        this.prefix = [];
        this.launch(restart);
        return;
      }
      if (Date.now() - began >= this.steadyMs) this.failures = 0;
      this.failures++;
      const retryInMs = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** (this.failures - 1));
      const message =
        stderr.trim().split('\n').filter(Boolean).at(-1) ??
        (signal ? `killed by ${signal}` : `exit status ${code}`);
      this.emit('died', { code, signal, message, retryInMs });
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.launch(true);
      }, retryInMs);
    });
  }
}
