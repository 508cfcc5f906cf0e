/** Runs `fn` `runs` times after one warm-up and returns the median duration in milliseconds. */
export async function medianMs(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Like `medianMs`, in CPU time (user + system) of this process: less sensitive to a busy machine. */
export async function medianCpuMs(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const before = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(before);
    times.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

export interface Row {
  what: string;
  value: string;
  note?: string;
}

export function table(title: string, rows: Row[]): string {
  return [
    `### ${title}`,
    '',
    '| measurement | result | note |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.what} | ${r.value} | ${r.note ?? ''} |`),
    '',
  ].join('\n');
}
