import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngineClient, DockerUnavailableError } from '../../../src/docker/index.js';
import { dockerClient } from '../../../src/cli/docker-client.js';
import { CliContext } from '../../../src/cli/context.js';
import { makePaint } from '../../../src/cli/output.js';
import { FakeEngine, tempDir } from './fake-engine.js';
import { makeTestPki, type TestPki } from './tls-certs.js';

const routes = { '/version': { json: { Version: '28.5.2', ApiVersion: '1.51' } } };

/**
 * Issue 11 item 7: a DOCKER_HOST reached over TLS verifies the daemon's certificate by default
 * (DOCKER_CERT_PATH/ca.pem, the docker CLI's convention), whether TLS was asked for with
 * DOCKER_TLS_VERIFY, DOCKER_TLS or an https:// host; only --tls-insecure skips it, with a warning.
 */
describe("a TLS connection to dockerd verifies the daemon's certificate by default", () => {
  let dir: string;
  let cleanup: () => void;
  let right: TestPki;
  let wrong: TestPki;
  let engine: FakeEngine;
  let host: string;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    mkdirSync(join(dir, 'right'));
    mkdirSync(join(dir, 'wrong'));
    right = makeTestPki(join(dir, 'right'));
    wrong = makeTestPki(join(dir, 'wrong'));
    engine = new FakeEngine({
      routes,
      tls: { key: right.serverKey, cert: right.serverCert, ca: right.ca, requestClientCert: false },
    });
    await engine.listen(0);
    host = `tcp://127.0.0.1:${engine.port}`;
  });
  afterAll(async () => {
    await engine.close();
    cleanup();
  });

  const clients = (certPath: string) => ({
    'DOCKER_TLS_VERIFY=1': new DockerEngineClient(
      {},
      { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath },
    ),
    'DOCKER_TLS=1 (verifies, unlike the docker CLI)': new DockerEngineClient(
      {},
      { DOCKER_HOST: host, DOCKER_TLS: '1', DOCKER_CERT_PATH: certPath },
    ),
    'an https:// host': new DockerEngineClient(
      {},
      { DOCKER_HOST: host.replace('tcp:', 'https:'), DOCKER_CERT_PATH: certPath },
    ),
  });

  it('refuses a daemon whose certificate another CA issued (ca.pem of the wrong CA)', async () => {
    for (const [how, client] of Object.entries(clients(wrong.certPath))) {
      const error = await client.ping().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, how).toBeInstanceOf(DockerUnavailableError);
      expect((error as Error).message, how).toMatch(/certificate/i);
    }
  });

  it('refuses the daemon when DOCKER_CERT_PATH has no ca.pem (the system CAs do not know the test CA)', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    for (const [how, client] of Object.entries(clients(empty)))
      await expect(client.ping(), how).rejects.toBeInstanceOf(DockerUnavailableError);
  });

  it('accepts the daemon when ca.pem is the CA that issued its certificate', async () => {
    for (const [how, client] of Object.entries(clients(right.certPath)))
      expect((await client.version()).Version, how).toBe('28.5.2');
  });

  it('reads ca.pem from ~/.docker when DOCKER_CERT_PATH is not set', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.docker'), { recursive: true });
    writeFileSync(join(home, '.docker', 'ca.pem'), wrong.ca);
    const saved = process.env['HOME'];
    process.env['HOME'] = home;
    try {
      const client = new DockerEngineClient({}, { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1' });
      await expect(client.ping()).rejects.toBeInstanceOf(DockerUnavailableError);
      writeFileSync(join(home, '.docker', 'ca.pem'), right.ca);
      const good = new DockerEngineClient({}, { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1' });
      expect((await good.version()).Version).toBe('28.5.2');
    } finally {
      if (saved === undefined) delete process.env['HOME'];
      else process.env['HOME'] = saved;
    }
  });

  describe('--tls-insecure', () => {
    let warnings: string[];
    const ctx = (tlsInsecure: boolean, env: Record<string, string>) =>
      new CliContext(
        { out: () => {}, err: (t: string) => void warnings.push(t), color: false, paint: makePaint(false) },
        env,
        { tlsInsecure },
      );
    afterEach(() => (warnings = []));
    beforeAll(() => (warnings = []));

    it('connects to a daemon with a certificate of another CA, and warns each time a client is made', async () => {
      const env = { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: wrong.certPath };
      await expect(dockerClient(ctx(false, env)).ping()).rejects.toBeInstanceOf(DockerUnavailableError);
      expect(warnings).toEqual([]);
      expect((await dockerClient(ctx(true, env)).version()).Version).toBe('28.5.2');
      expect((await dockerClient(ctx(true, env)).version()).Version).toBe('28.5.2');
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/warning: --tls-insecure: .*NOT verified/);
    });

    it('says nothing over a unix socket, where there is no certificate to skip', () => {
      dockerClient(ctx(true, { DOCKER_HOST: 'unix:///nonexistent.sock' }));
      expect(warnings).toEqual([]);
    });
  });
});
