import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection when watch has been quiet for `quietMs` after some work (a check, a
 * repair, a reload). V8 collects a small old generation rarely, so what each check left behind would
 * otherwise stay resident until the next collection, which a sleeping process may not reach for
 * minutes. BENCHMARKS.md, watch section. The timer never keeps node running.
 */
export interface IdleCollector {
  /** Work was done: collect once it has been quiet for a while. */
  poke(): void;
  stop(): void;
}

export function idleCollector(quietMs: number, collect: () => void = fullGc()): IdleCollector {
  let timer: NodeJS.Timeout | undefined;
  return {
    poke() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        collect();
      }, quietMs);
      timer.unref();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * V8's `gc()` without `--expose-gc` on node's command line: the flag is set just long enough for a
 * new context to get the function, so no `gc` appears in watch's own global scope.
 */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
