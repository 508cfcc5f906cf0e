import { createInterface } from 'node:readline';

/** Asks a question on the terminal; resolves with the trimmed answer ('' on end of input). */
export function ask(question: string, out: (s: string) => void): Promise<string> {
  out(question);
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let done = false;
    const finish = (a: string) => {
      if (done) return;
      done = true;
      rl.close();
      resolve(a.trim());
    };
    rl.once('line', finish);
    rl.once('close', () => finish(''));
  });
}

/**
 * Waits until `confirmed()` is true or the user types `yes` on stdin, up to `seconds`.
 * Resolves true when confirmed in time.
 */
export function waitForConfirmation(
  seconds: number,
  confirmed: () => boolean,
  readStdin: boolean,
  abort?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const rl = readStdin ? createInterface({ input: process.stdin, terminal: false }) : undefined;
    // A terminal that goes away (the SSH session dropped) must not end the process.
    process.stdin.on('error', () => undefined);
    abort?.addEventListener('abort', () => finish(false));
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(deadline);
      rl?.close();
      resolve(ok);
    };
    rl?.on('line', (l) => {
      if (l.trim() === 'yes') finish(true);
    });
    const poll = setInterval(() => {
      if (confirmed()) finish(true);
    }, 200);
    const deadline = setTimeout(() => finish(confirmed()), seconds * 1000);
  });
}
