import { spawn } from 'node:child_process';
import { commandEnv } from '../../src/host/runner.js';
import { DOCKWALL_BUNDLE, type Lab, type LabHost } from './helpers/index.js';

/**
 * A dockwall command running in the background inside a lab host's network namespace, so a test can
 * signal or kill it. `nsenter` and `env` exec in place: the pid is node's. It runs in a process group
 * of its own (like a terminal's foreground job), so a test can also signal the whole group.
 */
export interface DockwallProcess {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once `text` appears on stdout or stderr; rejects after `timeoutMs` or on exit. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnDockwall(
  lab: Lab,
  host: LabHost,
  args: string[],
  env: Record<string, string> = {},
): DockwallProcess {
  const argv = [
    'nsenter',
    `--net=/run/netns/${host.netns}`,
    'env',
    'NO_COLOR=1',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    process.execPath,
    DOCKWALL_BUNDLE,
    ...args,
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: commandEnv(),
    detached: true,
  });
  if (!child.pid) throw new Error('could not start dockwall');
  lab.trackPid(child.pid);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  });
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    for (const l of listeners) l();
  });
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      alive = false;
      resolve({ code, signal });
      for (const l of listeners) l();
    }),
  );
  return {
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(text, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const seen = () => (typeof text === 'string' ? (out + err).includes(text) : text.test(out + err));
        const check = () => {
          if (seen()) done(resolve);
          else if (!alive) done(() => reject(new Error(`dockwall exited before ${text}:\n${out}\n${err}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${text} within ${timeoutMs} ms:\n${out}\n${err}`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          fn();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** `dockwall apply -f FILE --yes --confirm SECONDS` in the background, once its window is open. */
export async function applyWithConfirm(
  lab: Lab,
  host: LabHost,
  file: string,
  seconds: number,
  stateDir: string,
): Promise<DockwallProcess> {
  const p = spawnDockwall(lab, host, [
    'apply',
    '-f',
    file,
    '--yes',
    '--confirm',
    String(seconds),
    '--state-dir',
    stateDir,
  ]);
  await p.waitFor('or the previous rules come back');
  return p;
}

/**
 * The whole firewall of a host as text that compares equal when the rules and sets are the same:
 * iptables-save and ip6tables-save without comments and counters, ipset save with each set's members
 * sorted and without the random hash seed.
 */
export async function firewallText(lab: Lab, host: LabHost): Promise<string> {
  const [v4, v6, sets] = await Promise.all([
    lab.execChecked(host, ['iptables-save']),
    lab.execChecked(host, ['ip6tables-save']),
    lab.execChecked(host, ['ipset', 'save']),
  ]);
  const rules = (t: string) =>
    t
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
      .join('\n');
  const bySet = new Map<string, { create: string; adds: string[] }>();
  for (const l of sets.stdout.split('\n')) {
    const w = l.split(' ');
    if (w[0] === 'create') bySet.set(w[1]!, { create: l.replace(/ initval \S+/, ''), adds: [] });
    else if (w[0] === 'add') bySet.get(w[1]!)?.adds.push(l);
  }
  const ipsets = [...bySet.keys()]
    .sort()
    .map((n) => [bySet.get(n)!.create, ...bySet.get(n)!.adds.sort()].join('\n'))
    .join('\n');
  return `${rules(v4.stdout)}\n${rules(v6.stdout)}\n${ipsets}\n`;
}

/** A small dual-stack policy with a set; `variant` changes a rule in each family and the set's members. */
export function smallPolicy(variant: number): string {
  return [
    'dockwall: 1',
    'ipsets:',
    `  friends: { type: hash:ip, members: [10.0.${variant}.1, 10.0.${variant}.2] }`,
    'ipv4:',
    '  filter:',
    '    INPUT:',
    '      rules:',
    `        - web: -p tcp --dport ${8000 + variant} -j ACCEPT`,
    '        - friends: -m set --match-set friends src -j ACCEPT',
    'ipv6:',
    '  filter:',
    '    INPUT:',
    '      rules:',
    `        - web: -p tcp --dport ${8000 + variant} -j ACCEPT`,
    '',
  ].join('\n');
}
