import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Why tests that need a network namespace and these tools cannot run here, or undefined when they can. */
export function netnsUnavailable(tools: string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  for (const t of ['ip', ...tools]) {
    const found = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((d) => existsSync(`${d}/${t}`));
    if (!found) return `needs ${t}`;
  }
  return undefined;
}

/**
 * A throwaway network namespace: its own iptables, nftables and ipset state, so tests can load rules
 * with the real tools without touching the machine's firewall.
 */
export class Netns {
  readonly name = `dwx-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor() {
    const r = spawnSync('ip', ['netns', 'add', this.name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${this.name}: ${r.stderr}`);
  }

  exec(argv: string[], input?: string): Run {
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...argv], {
      encoding: 'utf8',
      input,
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Like exec, but throws with the tool's message when it fails. */
  run(argv: string[], input?: string): string {
    const r = this.exec(argv, input);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  destroy(): void {
    spawnSync('ip', ['netns', 'delete', this.name]);
  }
}

/**
 * A namespace for the tests of the suite this is called in: made before they run, deleted after
 * them. Only `run` and `exec` are handed out, so no test can delete it early.
 */
export function suiteNetns(): Pick<Netns, 'run' | 'exec'> {
  let ns: Netns | undefined;
  beforeAll(() => {
    ns = new Netns();
  });
  afterAll(() => ns?.destroy());
  const live = (): Netns => {
    if (!ns) throw new Error('the namespace exists only while its suite runs');
    return ns;
  };
  return { run: (argv, input) => live().run(argv, input), exec: (argv, input) => live().exec(argv, input) };
}

/** iptables-save output without its timestamp comments and counters. */
export function cleanSave(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, '').replace(/^\[\d+:\d+\] /, ''))
    .join('\n');
}
