import { describe, expect, it } from 'vitest';
import { dockerClientEnv, dockerdTlsArgs, parseDockerHost, tlsFilesPlan } from '../../../src/tls/index.js';

describe('tlsFilesPlan', () => {
  it('names the files as dockerd and DOCKER_CERT_PATH expect, keys 0600', () => {
    const pair = (n: string) => ({ certPem: `${n}-cert`, keyPem: `${n}-key` });
    const plan = tlsFilesPlan('/etc/docker/tls', {
      ca: pair('ca'),
      server: pair('srv'),
      client: pair('cli'),
    });
    expect(plan.map((f) => [f.path, f.contents, f.mode.toString(8)])).toEqual([
      ['/etc/docker/tls/ca.pem', 'ca-cert', '644'],
      ['/etc/docker/tls/ca-key.pem', 'ca-key', '600'],
      ['/etc/docker/tls/server-cert.pem', 'srv-cert', '644'],
      ['/etc/docker/tls/server-key.pem', 'srv-key', '600'],
      ['/etc/docker/tls/cert.pem', 'cli-cert', '644'],
      ['/etc/docker/tls/key.pem', 'cli-key', '600'],
    ]);
  });

  it('writes only ca.pem for a CA without its key', () => {
    const plan = tlsFilesPlan('certs', { ca: { certPem: 'c' }, client: { certPem: 'x', keyPem: 'y' } });
    expect(plan.map((f) => f.path)).toEqual(['certs/ca.pem', 'certs/cert.pem', 'certs/key.pem']);
  });
});

describe('docker wiring', () => {
  it('gives dockerd flags and client environment', () => {
    expect(dockerdTlsArgs('/etc/docker/tls')).toEqual([
      '--tlsverify',
      '--tlscacert=/etc/docker/tls/ca.pem',
      '--tlscert=/etc/docker/tls/server-cert.pem',
      '--tlskey=/etc/docker/tls/server-key.pem',
      '-H',
      'tcp://0.0.0.0:2376',
    ]);
    expect(dockerClientEnv('/home/u/.docker/vm')).toEqual({
      DOCKER_HOST: 'tcp://localhost:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/home/u/.docker/vm',
    });
    expect(dockerClientEnv('d', '::1', 12376).DOCKER_HOST).toBe('tcp://[::1]:12376');
  });

  it.each([
    ['tcp://localhost:2376', 'localhost', 2376],
    ['tcp://192.168.99.100', '192.168.99.100', 2376],
    ['docker-vm:12376', 'docker-vm', 12376],
    ['tcp://[::1]:2376', '::1', 2376],
    ['[fd00::1]', 'fd00::1', 2376],
  ])('parseDockerHost(%s)', (text, host, port) => {
    expect(parseDockerHost(text).value).toEqual({ host, port });
  });

  it.each(['unix:///var/run/docker.sock', 'ssh://user@vm', 'tcp://'])(
    'parseDockerHost rejects %s',
    (text) => {
      const r = parseDockerHost(text);
      expect(r.value).toBeUndefined();
      expect(r.diagnostics[0]?.severity).toBe('error');
    },
  );
});
