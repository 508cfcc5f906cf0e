import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerConfigError, loadTlsMaterial, resolveEndpoint } from '../../../src/docker/index.js';
import { tempDir } from './fake-engine.js';

describe('resolveEndpoint', () => {
  it('defaults to /var/run/docker.sock', () => {
    expect(resolveEndpoint({}, {})).toEqual({
      kind: 'unix',
      socketPath: '/var/run/docker.sock',
      url: 'unix:///var/run/docker.sock',
    });
  });

  it('reads DOCKER_HOST unix and tcp forms', () => {
    expect(resolveEndpoint({}, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toMatchObject({
      kind: 'unix',
      socketPath: '/run/user/1000/docker.sock',
    });
    const tcp = resolveEndpoint({}, { DOCKER_HOST: 'tcp://10.0.0.5:2375' });
    expect(tcp).toEqual({
      kind: 'tcp',
      host: '10.0.0.5',
      port: 2375,
      basePath: '',
      url: 'tcp://10.0.0.5:2375',
    });
  });

  it('gives tcp without a port 2375, or 2376 with TLS', () => {
    expect(resolveEndpoint({}, { DOCKER_HOST: 'tcp://docker.example' })).toMatchObject({ port: 2375 });
    expect(
      resolveEndpoint({}, { DOCKER_HOST: 'tcp://docker.example', DOCKER_TLS_VERIFY: '1' }),
    ).toMatchObject({
      port: 2376,
    });
  });

  it('keeps IPv6 hosts and a base path', () => {
    expect(resolveEndpoint({ host: 'tcp://[::1]:2375/proxy/' }, {})).toMatchObject({
      host: '::1',
      port: 2375,
      basePath: '/proxy',
      url: 'tcp://[::1]:2375/proxy',
    });
  });

  it('turns on verified TLS with DOCKER_TLS_VERIFY and finds the files in DOCKER_CERT_PATH', () => {
    const ep = resolveEndpoint(
      {},
      { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
    );
    expect(ep).toMatchObject({
      kind: 'tcp',
      url: 'https://127.0.0.1:2376',
      tls: { verify: true, caFile: '/certs/ca.pem', certFile: '/certs/cert.pem', keyFile: '/certs/key.pem' },
    });
  });

  it('uses verified TLS for DOCKER_TLS alone too (unverified only with tlsInsecure), and none for a unix socket', () => {
    expect(resolveEndpoint({}, { DOCKER_HOST: 'tcp://h:1', DOCKER_TLS: '1' })).toMatchObject({
      tls: { verify: true },
    });
    expect(resolveEndpoint({}, { DOCKER_HOST: 'https://h:1' })).toMatchObject({ tls: { verify: true } });
    expect(
      resolveEndpoint({ tlsInsecure: true }, { DOCKER_HOST: 'tcp://h:1', DOCKER_TLS_VERIFY: '1' }),
    ).toMatchObject({ tls: { verify: false } });
    expect(resolveEndpoint({}, { DOCKER_HOST: 'tcp://h:1' })).not.toHaveProperty('tls');
    expect(resolveEndpoint({}, { DOCKER_HOST: 'unix:///s', DOCKER_TLS_VERIFY: '1' })).not.toHaveProperty(
      'tls',
    );
  });

  it('lets explicit options override the environment', () => {
    const env = { DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/env' };
    expect(resolveEndpoint({ host: 'unix:///tmp/d.sock' }, env)).toMatchObject({ socketPath: '/tmp/d.sock' });
    expect(resolveEndpoint({ tlsVerify: false }, env)).toMatchObject({ url: 'tcp://10.0.0.5:2376' });
    expect(resolveEndpoint({ certPath: '/opt' }, env)).toMatchObject({ tls: { caFile: '/opt/ca.pem' } });
  });

  it('rejects unsupported or malformed hosts', () => {
    expect(() => resolveEndpoint({ host: 'ssh://me@box' }, {})).toThrow(DockerConfigError);
    expect(() => resolveEndpoint({ host: '/var/run/docker.sock' }, {})).toThrow(/no scheme/);
    expect(() => resolveEndpoint({ host: 'unix://' }, {})).toThrow(/no socket path/);
  });
});

describe('loadTlsMaterial', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('reads ca.pem, cert.pem and key.pem and verifies when asked', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    for (const f of ['ca', 'cert', 'key']) writeFileSync(join(t.dir, `${f}.pem`), `${f}-pem`);
    const ep = resolveEndpoint({ host: 'tcp://h:2376', tlsVerify: true, certPath: t.dir }, {});
    const m = loadTlsMaterial(ep);
    expect(m?.rejectUnauthorized).toBe(true);
    expect(m?.ca?.toString()).toBe('ca-pem');
    expect(m?.cert?.toString()).toBe('cert-pem');
    expect(m?.key?.toString()).toBe('key-pem');
  });

  it('refuses a client certificate without its key', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    writeFileSync(join(t.dir, 'cert.pem'), 'x');
    const ep = resolveEndpoint({ host: 'tcp://h:2376', tls: true, certPath: t.dir }, {});
    expect(() => loadTlsMaterial(ep)).toThrow(/together/);
  });

  it('is undefined for plain endpoints', () => {
    expect(loadTlsMaterial(resolveEndpoint({ host: 'tcp://h:1' }, {}))).toBeUndefined();
  });
});
