import { importBusyboxImage, runContainer, type Container } from './containers.js';
import { startDockerd, type Dockerd, type DockerdOptions } from './dockerd.js';
import { createLab, type Lab, type LabHost } from './lab.js';
import { probeTcp } from './probes.js';

export interface WebHost {
  lab: Lab;
  /** 192.168.122.190: dockerd, and `web` published on its port 8000. */
  docker: LabHost;
  /** 192.168.122.193: the seed's allowed host. */
  host2: LabHost;
  /** 192.168.122.50: any other host. */
  host3: LabHost;
  dockerd: Dockerd;
  web: Container;
}

/** dockerd flags for IPv6 (fd00:d0c::/64): Docker 20.10 writes ip6tables rules only as an experimental feature. */
export const DOCKER_IPV6_ARGS = [
  '--experimental',
  '--ip6tables=true',
  '--ipv6',
  '--fixed-cidr-v6',
  'fd00:d0c::/64',
];

export interface WebHostOptions {
  /**
   * Each host also gets `fd77::<its last IPv4 byte>/64`, the docker host forwards IPv6, and the start
   * waits (5 s at most) until host 3 reaches `web` over IPv6 (duplicate address detection, neighbour
   * discovery).
   */
  ipv6?: boolean;
  /** dockerd's options; as a function, made once the lab exists (e.g. from `lab.dir`). */
  dockerd?: DockerdOptions | ((lab: Lab) => DockerdOptions);
  /** More `docker run` flags for `web` (e.g. `--restart always`). */
  webArgs?: string[];
}

/**
 * The seed's "Firewalling Docker" topology: a new lab whose docker host runs dockerd with `web`
 * (busybox httpd on port 80, published on 8000), and outside hosts 2 and 3 on the same switch.
 * A step that fails destroys the lab before its error is passed on.
 */
export async function startWebHost(opts: WebHostOptions = {}): Promise<WebHost> {
  const lab = await createLab();
  try {
    const host = (name: string, last: number) =>
      lab.addHost(name, {
        address: `192.168.122.${last}/24`,
        ...(opts.ipv6 ? { extraAddresses: [`fd77::${last}/64`] } : {}),
      });
    const docker = await host('docker', 190);
    const host2 = await host('host2', 193);
    const host3 = await host('host3', 50);
    if (opts.ipv6) await lab.execChecked(docker, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    const dockerdOptions = typeof opts.dockerd === 'function' ? opts.dockerd(lab) : (opts.dockerd ?? {});
    const dockerd = await startDockerd(docker, dockerdOptions);
    await importBusyboxImage(dockerd);
    const web = await runContainer(dockerd, { name: 'web', publish: ['8000:80'], extraArgs: opts.webArgs });
    if (opts.ipv6) {
      for (let i = 0; i < 20 && (await probeTcp(lab, host3, 'fd77::190', 8000)) !== 'open'; i++) {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    return { lab, docker, host2, host3, dockerd, web };
  } catch (err) {
    await lab
      .destroy()
      .catch((e: unknown) => console.error(`removing the lab after a failed start: ${String(e)}`));
    throw err;
  }
}
