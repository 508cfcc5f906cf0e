import type { CommandDoc, OptionDoc } from './command-docs.js';
import { allCommands } from './command-docs.js';
import { EXIT_CODE_TABLE } from './exit-codes.js';

/**
 * Text for roff: backslashes, a leading `.` or `'`, hyphens (`\-`, so they copy as ASCII) and any
 * character beyond ASCII as a groff escape (`…` → `\[u2026]`).
 */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(
      /[\u0080-\u{10FFFF}]/gu,
      (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`,
    )
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function optionItem(o: OptionDoc): string[] {
  const dflt = o.defaultValue !== undefined ? ` (default: ${o.defaultValue})` : '';
  return ['.TP', `.B ${roff(o.flags)}`, roff(`${o.description}${dflt}`)];
}

function commandSection(c: CommandDoc): string[] {
  const out = [`.SS "${roff(c.usage)}"`, roff(c.description)];
  if (c.subcommands.length > 0) {
    const names = c.subcommands.map((s) => `\\fB${roff(s.path.at(-1)!)}\\fR`);
    out.push('.br', `Commands: ${names.join(', ')}.`);
  }
  for (const o of c.options) out.push(...optionItem(o));
  return out;
}

/**
 * dockwall(8): built from the command definitions `--help` prints (every command and option), the
 * exit codes table, and the environment and files dockwall uses.
 */
export function manPage(program: CommandDoc, version: string): string {
  const commands = allCommands(program).slice(1);
  const lines = [
    `.TH DOCKWALL 8 "" "dockwall ${roff(version)}" "System Administration"`,
    '.SH NAME',
    `dockwall \\- ${roff(program.description.replace(/^A /, 'a ').replace(/\.$/, ''))}`,
    '.SH SYNOPSIS',
    '.B dockwall',
    '.I command',
    '[\\fIoptions\\fR]',
    '.br',
    '.B dockwall help',
    '[\\fIcommand\\fR]',
    '.SH DESCRIPTION',
    roff(
      "dockwall keeps a declared firewall (one YAML policy: ipsets, chains, a shared filter for host ports and published container ports, container-aware rules and expect: assertions) in place on a Linux host that runs Docker. It changes only what it owns, never Docker's chains or rules. plan shows the difference with the host, apply makes it atomically per table, watch keeps it in place while Docker rewrites its rules, and check, trace and audit prove which packets the rules accept.",
    ),
    '.SH OPTIONS',
    ...program.options.flatMap(optionItem),
    '.SH COMMANDS',
    ...commands.flatMap(commandSection),
    '.SH EXIT STATUS',
    roff(
      '0 yes / done, 1 error (bad input, nothing decided or changed), 2 the answer is no or needs attention, 3 nothing found but not everything could be checked, 4 busy: another dockwall holds the lock on the state directory. Usage errors are 1.',
    ),
    ...EXIT_CODE_TABLE.flatMap((r) => ['.TP', `.B ${roff(r.commands)}`, roff(r.codes.replace(/`/g, ''))]),
    '.SH ENVIRONMENT',
    '.TP',
    '.B DOCKER_HOST',
    roff(
      'the Docker daemon to ask (unix:///var/run/docker.sock by default; tcp://HOST:2376 with TLS); doctor, watch, plan and tls check honour it',
    ),
    '.TP',
    '.B DOCKER_CERT_PATH',
    roff('directory with ca.pem, cert.pem and key.pem for a daemon on TCP'),
    '.TP',
    '.B DOCKER_TLS_VERIFY',
    roff("verify the daemon's certificate (set, and not empty or 0)"),
    '.TP',
    '.B NO_COLOR',
    roff('no colour, even on a terminal'),
    '.TP',
    '.B DOCKWALL_STATE_DIR',
    roff('the state directory when --state-dir is not given (default /var/lib/dockwall)'),
    '.TP',
    '.B DOCKWALL_DEBUG',
    roff('print a stack trace with an unexpected error'),
    '.SH FILES',
    '.TP',
    '.I /var/lib/dockwall',
    roff(
      "state directory: the lock, the journal of a change under way, the last apply's snapshot (for rollback) and a pending --confirm",
    ),
    '.TP',
    '.I /etc/systemd/system/dockwall.service',
    roff('the unit install-service writes, running dockwall watch after docker.service'),
    '.SH SEE ALSO',
    '.BR iptables (8),',
    '.BR iptables\\-restore (8),',
    '.BR ipset (8),',
    '.BR nft (8),',
    '.BR systemd.exec (5),',
    '.BR dockerd (8)',
  ];
  return lines.join('\n') + '\n';
}
