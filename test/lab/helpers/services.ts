import type { Lab, LabHost } from './lab.js';

/**
 * TCP services on a lab host itself: busybox httpd on each port (both families), standing in for
 * SSH, a database, a web server. Started with nsenter (network namespace only): `ip netns exec`
 * would give them a mount namespace holding copies of the containers' namespace mounts, which
 * outlive a dockerd restart. The lab's cleanup ends them with the namespace.
 */
export async function startHostServices(lab: Lab, host: LabHost, ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    await lab.root.run([
      'nsenter',
      `--net=/run/netns/${host.netns}`,
      'busybox',
      'httpd',
      '-p',
      String(port),
      '-h',
      '/tmp',
    ]);
  }
}
