import pc from 'picocolors';
import { terminalSafe } from '../model/index.js';
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

/**
 * What goes to a terminal passes `terminalSafe`: the renderers escape outside text themselves, and
 * this catches what one forgot, so nothing printed can move the cursor or hide a line. Output to a
 * file or pipe is written as it is (an export must keep its bytes).
 */
export function terminalWriter(stream: NodeJS.WriteStream): (text: string) => void {
  return stream.isTTY ? (t) => void stream.write(terminalSafe(t)) : (t) => void stream.write(t);
}

export function processOutput(): Output {
  const color = colorAllowed(process.stdout);
  return {
    out: terminalWriter(process.stdout),
    err: terminalWriter(process.stderr),
    color,
    paint: makePaint(color),
  };
}
