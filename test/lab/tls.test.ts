import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_CLI,
  DOCKWALL_BUNDLE,
  createLab,
  labGate,
  startDockerd,
  type Dockerd,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const gate = await labGate();

/**
 * The seed's VPN case: the client reaches the daemon only through a port forward on its own
 * 127.0.0.1:2376, so the docker CLI checks the certificate against "localhost".
 */
describe.skipIf(gate.skip)('dockwall tls with a real dockerd --tlsverify', () => {
  let lab: Lab;
  let vm: LabHost;
  let laptop: LabHost;
  let dockerd: Dockerd;
  let certs: string;

  const dockwall = (host: LabHost, args: string[]) =>
    lab.exec(host, [process.execPath, DOCKWALL_BUNDLE, ...args], { timeoutMs: 60_000 });
  const dockerVersion = () =>
    lab.exec(
      laptop,
      [
        'env',
        'DOCKER_HOST=tcp://localhost:2376',
        'DOCKER_TLS_VERIFY=1',
        `DOCKER_CERT_PATH=${join(certs, 'client')}`,
        DOCKER_CLI,
        'version',
        '--format',
        '{{.Server.Version}}',
      ],
      {
        timeoutMs: 30_000,
      },
    );

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    vm = await lab.addHost('vm', { address: '192.168.99.100/24' });
    laptop = await lab.addHost('laptop', { address: '192.168.99.1/24' });
    certs = join(lab.dir, 'tls');
    // A CA, a server certificate issued only for the VM's name and address (as docker-machine does).
    for (const args of [
      ['tls', 'ca', '--dir', certs],
      ['tls', 'server', '--dir', certs, '--san', 'docker-vm', '--san', '192.168.99.100', '--no-loopback'],
      ['tls', 'client', '--dir', join(certs, 'client'), '--ca-dir', certs],
    ]) {
      const r = await dockwall(vm, args);
      expect(r.code, r.stderr).toBe(0);
    }
    const tlsArgs = [
      '--tlsverify',
      `--tlscacert=${join(certs, 'ca.pem')}`,
      `--tlscert=${join(certs, 'server-cert.pem')}`,
      `--tlskey=${join(certs, 'server-key.pem')}`,
      '-H',
      'tcp://0.0.0.0:2376',
    ];
    dockerd = await startDockerd(vm, { extraArgs: tlsArgs });
    // The port forward on the laptop: 127.0.0.1:2376 → 192.168.99.100:2376.
    const forward = `require('net').createServer((c) => { const u = require('net').connect(2376, '192.168.99.100'); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); }).listen(2376, '127.0.0.1')`;
    await lab.execChecked(laptop, [
      'sh',
      '-c',
      `nohup ${process.execPath} -e "${forward}" >/dev/null 2>&1 & echo $! > ${join(lab.dir, 'forward.pid')}`,
    ]);
    for (let i = 0; i < 50; i++) {
      if ((await lab.exec(laptop, ['bash', '-c', 'cat < /dev/null > /dev/tcp/127.0.0.1/2376'])).code === 0)
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { readFileSync } = await import('node:fs');
    lab.trackPid(Number(readFileSync(join(lab.dir, 'forward.pid'), 'utf8')));
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('without a localhost SAN the docker CLI fails with x509, and `tls check` names the missing SAN', async () => {
    const r = await dockerVersion();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/x509: certificate is valid for docker-vm, not localhost/);
    const check = await dockwall(laptop, [
      'tls',
      'check',
      '--host',
      'tcp://localhost:2376',
      '--cert-dir',
      join(certs, 'client'),
    ]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('x509: certificate is valid for docker-vm, not localhost');
    expect(check.stdout).toContain('--san localhost');
  });

  it('re-issued with the loopback names, the docker CLI reaches the daemon through the forward', async () => {
    const r = await dockwall(vm, [
      'tls',
      'server',
      '--dir',
      certs,
      '--san',
      'docker-vm',
      '--san',
      '192.168.99.100',
      '--force',
    ]);
    expect(r.code, r.stderr).toBe(0);
    await dockerd.restart();
    const check = await dockwall(laptop, [
      'tls',
      'check',
      '--host',
      'tcp://localhost:2376',
      '--cert-dir',
      join(certs, 'client'),
    ]);
    expect(check.stdout).toContain('✓ localhost: covered');
    expect(check.code).toBe(0);
    const v = await dockerVersion();
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+/);
  });
});
