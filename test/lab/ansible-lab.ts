import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commandEnv } from '../../src/host/runner.js';
import { findBinary, probeTcp, REPO_ROOT, type Lab, type LabHost } from './helpers/index.js';

/**
 * Ansible against lab hosts: an sshd (Debian's openssh-server) in each host's namespace, with its own
 * config, host key and authorized_keys in the lab directory, and `ansible-playbook` run from a
 * control namespace with a config, inventory and SSH key of its own. Nothing under ~ or /etc is used.
 */

export const ANSIBLE_COLLECTIONS = join(REPO_ROOT, 'ansible');
const SSHD = '/usr/sbin/sshd';

/** What the Ansible lab needs beyond the lab's own binaries; undefined when everything is there. */
export function ansibleMissing(): string | undefined {
  for (const bin of ['ansible-playbook', 'ansible-doc', 'ssh', 'ssh-keygen']) {
    if (!findBinary(bin))
      return `${bin} is not installed (Debian: apt-get install ansible-core openssh-client)`;
  }
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian: apt-get install openssh-server)`;
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 is not installed';
  return undefined;
}

export interface AnsibleControl {
  /** The control's private key; its public half is authorized on every sshd started with it. */
  keyFile: string;
  publicKey: string;
  dir: string;
}

/** A key pair for the control node, in the lab directory. */
export async function controlKey(lab: Lab): Promise<AnsibleControl> {
  const dir = join(lab.dir, 'ansible');
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'id_ed25519');
  const r = await lab.root.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', lab.id, '-f', keyFile]);
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { keyFile, publicKey: readFileSync(`${keyFile}.pub`, 'utf8'), dir };
}

/**
 * sshd listening on the host's lab address, port 22, letting in root with `publicKey` only. Started
 * with nsenter (as the lab's dockerd is): sessions keep the root mount namespace, so what dockwall
 * reads of Docker's container namespaces is what the host really has.
 */
export async function startSshd(lab: Lab, host: LabHost, from: LabHost, publicKey: string): Promise<void> {
  const dir = join(lab.dir, `sshd-${host.name}`);
  mkdirSync(dir, { recursive: true });
  // sshd's privilege separation directory (the package makes it at boot through systemd).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const k = await lab.root.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  if (k.code !== 0) throw new Error(`ssh-keygen failed: ${k.stderr}`);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, publicKey, { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${host.address}:22`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // The lab's root may have no PAM session to open (no audit, no systemd-logind).
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const logFd = openSync(join(dir, 'sshd.log'), 'a');
  // Without PAM, sshd refuses an account whose password field starts with '!' (locked), which a
  // machine's root may well be. sshd gets its own mount namespace where /etc/shadow is a copy with
  // root's field set to '*' (no password, not locked); the machine's file is left as it is.
  const shadow = join(dir, 'shadow');
  writeFileSync(shadow, readFileSync('/etc/shadow', 'utf8').replace(/^root:[^:]*:/m, 'root:*:'), {
    mode: 0o600,
  });
  const script = 'mount --bind "$1" /etc/shadow && exec "$2" -D -e -f "$3"';
  const args = [`--net=/run/netns/${host.netns}`, 'unshare', '--mount', '--propagation', 'private'];
  const child = spawn('nsenter', [...args, 'sh', '-c', script, 'sh', shadow, SSHD, config], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: commandEnv(),
  });
  closeSync(logFd);
  child.unref();
  if (child.pid) lab.trackPid(child.pid);
  const deadline = Date.now() + 20_000;
  while ((await probeTcp(lab, from, host.address, 22, 500)) !== 'open') {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`sshd on ${host.name} did not start:\n${readFileSync(join(dir, 'sshd.log'), 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PlaybookRun {
  code: number;
  stdout: string;
  stderr: string;
  /** PLAY RECAP per host. */
  recap: Map<string, { ok: number; changed: number; unreachable: number; failed: number }>;
  /** The lines printed for one task (from its `TASK [...]` header to the next). */
  task(nameEnd: string): string;
}

/** Writes ansible.cfg for the lab: the repository's collection, the lab's key, temporary files in the lab. */
export function ansibleConfig(control: AnsibleControl): string {
  const cfg = join(control.dir, 'ansible.cfg');
  const tmp = (name: string) => {
    const d = join(control.dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  writeFileSync(
    cfg,
    [
      '[defaults]',
      `collections_path = ${ANSIBLE_COLLECTIONS}`,
      `local_tmp = ${tmp('local-tmp')}`,
      `remote_tmp = ${tmp('remote-tmp')}`,
      'interpreter_python = /usr/bin/python3',
      'host_key_checking = False',
      'retry_files_enabled = False',
      'gathering = explicit',
      'forks = 5',
      'nocolor = True',
      '',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -F /dev/null -o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o ConnectTimeout=10`,
      `control_path_dir = ${tmp('cp')}`,
      '',
    ].join('\n'),
  );
  return cfg;
}

const RECAP = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm;

/** `ansible-playbook ARGS` in the control namespace. */
export async function runPlaybook(
  lab: Lab,
  control: LabHost,
  config: string,
  args: readonly string[],
): Promise<PlaybookRun> {
  const r = await lab.exec(
    control,
    [
      'env',
      `ANSIBLE_CONFIG=${config}`,
      `ANSIBLE_HOME=${join(dirname(config), 'home')}`,
      // ansible-playbook refuses any locale but UTF-8 (the lab's runner sets C).
      'LC_ALL=C.UTF-8',
      'LANG=C.UTF-8',
      'ANSIBLE_NOCOLOR=1',
      'ANSIBLE_FORCE_COLOR=0',
      'ansible-playbook',
      ...args,
    ],
    { timeoutMs: 120_000 },
  );
  const recap = new Map<string, { ok: number; changed: number; unreachable: number; failed: number }>();
  for (const m of r.stdout.matchAll(RECAP)) {
    recap.set(m[1]!, { ok: +m[2]!, changed: +m[3]!, unreachable: +m[4]!, failed: +m[5]! });
  }
  const sections = r.stdout.split(/\n(?=TASK \[|PLAY RECAP|RUNNING HANDLER \[)/);
  return {
    ...r,
    recap,
    task: (nameEnd) => sections.find((s) => s.split('\n')[0]?.includes(`${nameEnd}]`)) ?? '',
  };
}

/** The JSON Ansible printed for a failed host in a task's output (`fatal: [h]: FAILED! => {...}`). */
export function failure(taskOutput: string, host: string): { msg?: string; rc?: number } | undefined {
  const line = taskOutput.split('\n').find((l) => l.startsWith(`fatal: [${host}]: FAILED! => `));
  return line
    ? (JSON.parse(line.slice(line.indexOf('=> ') + 3)) as { msg?: string; rc?: number })
    : undefined;
}
