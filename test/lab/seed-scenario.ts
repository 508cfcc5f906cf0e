import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  networkGateway,
  probeFromContainer,
  probeTcp,
  runContainer,
  startHostServices,
  startWebHost,
  DOCKWALL_BUNDLE,
  REPO_ROOT,
  type Container,
  type Dockerd,
  type DockerEngine,
  type Lab,
  type LabHost,
} from './helpers/index.js';

/** The seed's outcomes: host 2 reaches the container, others are refused, containers reach it via the bridge, SSH open. */
export const SEED_OUTCOMES = {
  host2: 'open',
  other: 'refused',
  container: 'open',
  ssh: 'open',
  db: 'timeout',
};
/** The native policy's: the same, except that the shared filter rejects other ports instead of dropping them. */
export const NATIVE_OUTCOMES = { ...SEED_OUTCOMES, db: 'refused' };

/** The seed's "Firewalling Docker" topology: docker host .190 with httpd published on 8000, host 2 .193, host 3 .50. */
export interface SeedLab {
  lab: Lab;
  docker: LabHost;
  host2: LabHost;
  host3: LabHost;
  dockerd: Dockerd;
  client: Container;
  gateway: string;
  stateDir: string;
  /** Writes a file into the lab directory and returns its path. */
  file(name: string, text: string): string;
  dockwall(
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Docker's rules (every line of iptables-save without a comment match), counters removed. */
  dockerRules(): Promise<string[]>;
  /**
   * Everything of Docker's: its iptables rules (dockerRules) and its nftables tables
   * (`nft -s list table ip/ip6 docker-bridges`, counters left out), as text to compare byte for byte.
   */
  dockerFirewall(): Promise<string>;
  /** Everything a policy could change (iptables-save, dockwall's `ip dockwall`) and Docker's part: to prove nothing changed. */
  everything(): Promise<string>;
  save(): Promise<string>;
  outcomes(): Promise<Record<string, string>>;
}

export async function createSeedLab(opts: { engine?: DockerEngine } = {}): Promise<SeedLab> {
  const { lab, docker, host2, host3, dockerd } = await startWebHost({
    dockerd: opts.engine ? { engine: opts.engine } : {},
    webArgs: ['--restart', 'always'],
  });
  const client = await runContainer(dockerd, {
    name: 'client',
    cmd: ['sleep', '100000'],
    extraArgs: ['--restart', 'always'],
  });
  const gateway = await networkGateway(dockerd);
  // Services on the host itself: "ssh" on 22 and a database on 3306.
  await startHostServices(lab, docker, [22, 3306]);
  const stateDir = join(lab.dir, 'state');
  // Without the timestamp comments, so two dumps of the same rules compare equal.
  const save = async () =>
    (await lab.execChecked(docker, ['iptables-save'])).stdout.replace(/^# (Generated|Completed).*\n/gm, '');
  const dockerRules = async () =>
    (await save())
      .split('\n')
      .filter((l) => (l.startsWith('-A ') || l.startsWith(':')) && !l.includes('-m comment'))
      .filter((l) => !/^:(DOCKWALL-)/.test(l))
      .map((l) => l.replace(/\s\[\d+:\d+\]$/, ''));
  const dockerFirewall = async () => {
    // Docker's own chains and rules; the built-in chains' policy lines are left out (INPUT's is the
    // policy's; with Docker's nftables backend the iptables tables exist only once dockwall wrote them).
    const mine = /^:(INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) /;
    const parts = [(await dockerRules()).filter((l) => !mine.test(l)).join('\n')];
    for (const family of ['ip', 'ip6']) {
      const r = await lab.exec(docker, ['nft', '-s', 'list', 'table', family, 'docker-bridges']);
      parts.push(r.code === 0 ? r.stdout : `(no ${family} docker-bridges)`);
    }
    return parts.join('\n---\n');
  };
  return {
    lab,
    docker,
    host2,
    host3,
    dockerd,
    client,
    gateway,
    stateDir,
    file(name, text) {
      const path = join(lab.dir, name);
      writeFileSync(path, text);
      return path;
    },
    async dockwall(args, env = {}) {
      const vars = Object.entries({ DOCKER_HOST: `unix://${dockerd.socketPath}`, NO_COLOR: '1', ...env }).map(
        ([k, v]) => `${k}=${v}`,
      );
      const r = await lab.exec(docker, ['env', ...vars, process.execPath, DOCKWALL_BUNDLE, ...args], {
        timeoutMs: 120_000,
      });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    save,
    dockerRules,
    dockerFirewall,
    async everything() {
      const own = await Promise.all(
        ['ip', 'ip6'].map(
          async (f) => (await lab.exec(docker, ['nft', '-s', 'list', 'table', f, 'dockwall'])).stdout,
        ),
      );
      return `${await save()}\n---\n${own.join('\n---\n')}\n---\n${await dockerFirewall()}`;
    },
    async outcomes() {
      const [h2, h3, ctr, ssh, db] = await Promise.all([
        probeTcp(lab, host2, docker.address, 8000),
        probeTcp(lab, host3, docker.address, 8000),
        probeFromContainer(dockerd, client, gateway, 8000),
        probeTcp(lab, host3, docker.address, 22),
        probeTcp(lab, host3, docker.address, 3306),
      ]);
      return { host2: h2, other: h3, container: ctr, ssh, db };
    },
  };
}

export function repoText(rel: string): string {
  return readFileSync(join(REPO_ROOT, rel), 'utf8');
}
