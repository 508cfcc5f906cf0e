/** systemd units, as text. Writing them is the CLI's job. */

export interface WatchUnitOptions {
  /** Absolute path of the dockwall executable (or node + bundle). */
  execStart: string[];
  policyFile: string;
  stateDir: string;
  metrics?: string;
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * `dockwall watch` as a service: after docker.service (so the first reconcile sees Docker's chains; the
 * event stream follows later restarts) and before the network is fully up, with systemd's hardening:
 * only CAP_NET_ADMIN/CAP_NET_RAW, a read-only system except the state directory.
 */
export function watchUnit(o: WatchUnitOptions): string {
  const args = [...o.execStart, 'watch', '-f', o.policyFile, '--state-dir', o.stateDir];
  if (o.metrics) args.push('--metrics', o.metrics);
  return `[Unit]
Description=dockwall: keep the declared firewall in place beside Docker
Documentation=man:dockwall(8)
After=docker.service network-pre.target
Wants=network-pre.target
Before=network-online.target

[Service]
Type=simple
ExecStart=${args.map(quoteArg).join(' ')}
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=2
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW
AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=${o.stateDir} /run/xtables.lock
PrivateTmp=yes
ProtectKernelModules=no
ProtectKernelTunables=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=no
SystemCallArchitectures=native
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}

/** Loads an iptables-restore file with `-n` (no flush) at boot, before the network comes up. */
export function restoreUnit(o: { restoreFile: string; ip6RestoreFile?: string; ipsetFile?: string }): string {
  // `--wait` takes an optional number of seconds: it must not be followed by the file name.
  const exec = o.ipsetFile ? [`ExecStartPre=/sbin/ipset -exist -file ${quoteArg(o.ipsetFile)} restore`] : [];
  exec.push(`ExecStart=/sbin/iptables-restore --wait -n ${quoteArg(o.restoreFile)}`);
  if (o.ip6RestoreFile)
    exec.push(`ExecStart=/sbin/ip6tables-restore --wait -n ${quoteArg(o.ip6RestoreFile)}`);
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
