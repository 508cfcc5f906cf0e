import pc from 'picocolors';
import type { Paint } from '../plan/render-text.js';

/** Where the CLI writes, and whether it may colour: only on a terminal, never with NO_COLOR. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
  paint: Paint;
}

export function colorAllowed(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

export function makePaint(color: boolean): Paint {
  const c = pc.createColors(color);
  return { add: c.green, remove: c.red, change: c.yellow, dim: c.dim, bold: c.bold };
}

export function processOutput(): Output {
  const color = colorAllowed(process.stdout);
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    color,
    paint: makePaint(color),
  };
}
