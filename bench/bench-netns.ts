import { execFileSync } from 'node:child_process';

/** What the host benchmarks share: running tools, a throwaway network namespace, timing a call. */

export const sh = (argv: string[], input?: string): string =>
  execFileSync(argv[0]!, argv.slice(1), {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  }).toString();

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const time = (fn: () => unknown): number => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

export const timeAsync = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

/** A network namespace named `PREFIX<pid>`: commands run in it, made afresh, removed. */
export function benchNetns(prefix: string) {
  const name = `${prefix}${process.pid}`;
  const remove = () => {
    try {
      sh(['ip', 'netns', 'del', name]);
    } catch {
      /* not there */
    }
  };
  return {
    name,
    inNs: (argv: string[], input?: string) => sh(['ip', 'netns', 'exec', name, ...argv], input),
    fresh(): void {
      remove();
      sh(['ip', 'netns', 'add', name]);
    },
    remove,
  };
}
