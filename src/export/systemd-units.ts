/** systemd units, as text. Writing them is the CLI's job. */

export interface WatchUnitOptions {
  /** Absolute path of the dockwall executable (or node + bundle). */
  execStart: string[];
  policyFile: string;
  stateDir: string;
  metrics?: string;
  /**
   * Written after the executable (node) when the command is node and a script: by default
   * {@link WATCH_NODE_FLAGS}; `[]` for none.
   */
  nodeFlags?: readonly string[];
}

/**
 * How the service runs node for a long-lived `dockwall watch`, which mostly sleeps: a young generation
 * of 1 MB semispaces, which does not stay at several MB after a burst of work (a repair, a dockerd
 * restart); V8's lite mode, which runs bytecode only (no optimising or baseline compiler, regular
 * expressions interpreted), so that neither the compilers' code nor their output is ever resident, at
 * a few ms per repair (BENCHMARKS.md, watch section); and no WebAssembly, which lite mode turns off
 * anyway (saying so on stderr unless told).
 */
export const WATCH_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--lite-mode',
  '--no-expose-wasm',
];

/**
 * glibc's malloc for the service: two arenas instead of eight per core; memory freed back to the
 * kernel above 128 KB at the top of the heap; and blocks of 32 KB and more taken from the kernel on
 * their own and given back when freed, which is how V8 allocates the parser's working memory: parsing
 * the 1.8 MB bundle at the start otherwise leaves 3.4 MB of freed heap resident for good, under what
 * was allocated after it. The defaults also grow both thresholds after the first large allocations, so
 * what the start and each repair freed stays resident. BENCHMARKS.md, watch section.
 */
export const WATCH_ENVIRONMENT: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '32768',
};

/**
 * One argument of a command line (`ExecStart=`, systemd.service(5) "Command lines"): `%` is written
 * `%%` (specifiers) and `$` is written `$$` (variables); an argument holding whitespace, quotes,
 * backslashes or control characters, or a lone `;` (which separates commands), is double-quoted with
 * C escapes.
 */
export function execArg(a: string, executable = false): string {
  // The executable's own name is not searched for variables: a `$` there stays as it is.
  const specifiers = a.replace(/%/g, '%%');
  const escaped = executable ? specifiers : specifiers.replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%$+=:,./-]+$/.test(escaped)) return escaped;
  return `"${cEscape(escaped)}"`;
}

/**
 * A path in a path-list setting (`ReadWritePaths=`, systemd.exec(5)): `%` is written `%%`, and a
 * path holding whitespace, quotes or backslashes is double-quoted.
 */
export function unitPath(p: string): string {
  const escaped = p.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%$+=:,./-]+$/.test(escaped)) return escaped;
  return `"${cEscape(escaped)}"`;
}

const isControl = (c: string): boolean => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;

function cEscape(s: string): string {
  return [...s]
    .map((c) => {
      if (c === '\\' || c === '"') return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      return isControl(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c;
    })
    .join('');
}

/** Directories the hardening hides from the service: ProtectHome= and PrivateTmp=. */
const HOME_ROOTS = ['/home', '/root', '/run/user'];
const TMP_ROOTS = ['/tmp', '/var/tmp'];

function under(path: string, roots: readonly string[]): string | undefined {
  return roots.find((r) => path === r || path.startsWith(`${r}/`));
}

export interface WatchUnit {
  text: string;
  /** What the unit had to relax so the service sees a file, in words (for a warning). */
  relaxed: string[];
  /** Why no unit can run this (systemd refuses quotes, backslashes and control characters in an executable's name). */
  error?: string;
}

/** systemd's string_is_safe(), which an executable's name must pass. */
function safeExecutable(path: string): boolean {
  return ![...path].some((c) => isControl(c) || c === '\\' || c === '"' || c === "'");
}

/**
 * `dockwall watch` as a service, after docker.service (so the first reconcile sees Docker's chains;
 * the event stream follows later restarts). It is not ordered before the network: docker.service is
 * after network-online.target, so that would be a cycle; rules needed before the network comes up
 * are `dockwall export --format restore --unit`'s job.
 *
 * Hardening (`systemd-analyze security` 2.0): only CAP_NET_ADMIN and CAP_NET_RAW, a read-only system
 * except the state directory (StateDirectory= creates /var/lib/dockwall) and /run/xtables.lock,
 * @system-service system calls without @privileged, no devices, no kernel modules (the kernel
 * loads netfilter modules itself on first use; iptables' own modprobe needs CAP_SYS_MODULE, which
 * the service never had), no new namespaces. Left open, and why: MemoryDenyWriteExecute (Node's JIT
 * writes code), ProcSubset=pid (iptables-legacy reads /proc/net/ip_tables_names), PrivateNetwork
 * and the address families (the firewall is the host's; netlink for nf_tables and ipset, inet for
 * iptables-legacy and metrics, unix for Docker's socket), IPAddressDeny (metrics, Docker over TCP).
 *
 * A policy, state directory or install under /home, /root or /run/user gets ProtectHome=read-only
 * instead of yes, and one under /tmp or /var/tmp gets PrivateTmp=no; `relaxed` says which and why.
 */
export function watchUnit(o: WatchUnitOptions): WatchUnit {
  const flags = o.execStart.length === 2 ? (o.nodeFlags ?? WATCH_NODE_FLAGS) : [];
  const args = [
    o.execStart[0] ?? '',
    ...flags,
    ...o.execStart.slice(1),
    'watch',
    '-f',
    o.policyFile,
    '--state-dir',
    o.stateDir,
  ];
  if (o.metrics) args.push('--metrics', o.metrics);
  const relaxed: string[] = [];
  const files: [string, string][] = [
    ...o.execStart.map((p, i): [string, string] => [i === 0 ? 'node' : 'dockwall', p]),
    ['the policy', o.policyFile],
    ['the state directory', o.stateDir],
  ];
  let protectHome = 'yes';
  let privateTmp = 'yes';
  for (const [what, path] of files) {
    const home = under(path, HOME_ROOTS);
    if (home) {
      protectHome = 'read-only';
      relaxed.push(`${what} (${path}) is under ${home}: ProtectHome=read-only instead of yes`);
    }
    const tmp = under(path, TMP_ROOTS);
    if (tmp) {
      privateTmp = 'no';
      relaxed.push(`${what} (${path}) is under ${tmp}: PrivateTmp=no instead of yes`);
    }
  }
  const stateDirectory = o.stateDir.startsWith('/var/lib/')
    ? o.stateDir.slice('/var/lib/'.length)
    : undefined;
  const state = stateDirectory
    ? [`StateDirectory=${unitPath(stateDirectory)}`, 'StateDirectoryMode=0700']
    : [`ReadWritePaths=${unitPath(o.stateDir)}`];
  const text = `[Unit]
Description=dockwall: keep the declared firewall in place beside Docker
Documentation=man:dockwall(8)
After=docker.service

[Service]
Type=simple
# iptables-legacy takes this lock; the system is read-only to the service, so it is made beforehand.
ExecStartPre=+/bin/touch /run/xtables.lock
# Less resident memory for a process that mostly sleeps: glibc's malloc here, node's flags below.
${Object.entries(WATCH_ENVIRONMENT)
  .map(([k, v]) => `Environment=${k}=${v}`)
  .join('\n')}
# bin/dockwall.js keeps its V8 code cache under $XDG_CACHE_HOME: the one systemd makes for the service.
CacheDirectory=dockwall
CacheDirectoryMode=0700
Environment=XDG_CACHE_HOME=/var/cache/dockwall
ExecStart=${args.map((a, i) => execArg(a, i === 0)).join(' ')}
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=2
${state.join('\n')}
ReadWritePaths=-/run/xtables.lock
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=${protectHome}
PrivateTmp=${privateTmp}
PrivateDevices=yes
PrivateMounts=yes
ProtectKernelModules=yes
ProtectKernelTunables=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
# Node's JIT compiler needs memory that is writable and then executable.
MemoryDenyWriteExecute=no
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM
UMask=0077

[Install]
WantedBy=multi-user.target
`;
  const exe = o.execStart[0] ?? '';
  if (!safeExecutable(exe)) {
    const error = `systemd does not run an executable whose name holds a quote, a backslash or a control character: ${JSON.stringify(exe)}`;
    return { text, relaxed, error };
  }
  return { text, relaxed };
}

/** Loads an iptables-restore file with `-n` (no flush) at boot, before the network comes up. */
export function restoreUnit(o: { restoreFile: string; ip6RestoreFile?: string; ipsetFile?: string }): string {
  // `--wait` takes an optional number of seconds: it must not be followed by the file name.
  const exec = o.ipsetFile ? [`ExecStartPre=/sbin/ipset -exist -file ${execArg(o.ipsetFile)} restore`] : [];
  exec.push(`ExecStart=/sbin/iptables-restore --wait -n ${execArg(o.restoreFile)}`);
  if (o.ip6RestoreFile) exec.push(`ExecStart=/sbin/ip6tables-restore --wait -n ${execArg(o.ip6RestoreFile)}`);
  return `[Unit]
Description=Restore the dockwall firewall without flushing Docker's rules
Before=network-pre.target docker.service
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
${exec.join('\n')}

[Install]
WantedBy=multi-user.target
`;
}
