import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  compareApiVersions,
  DockerApiError,
  DockerEngineClient,
  DockerTimeoutError,
  DockerUnavailableError,
} from '../../../src/docker/index.js';
import { FakeEngine, tempDir } from './fake-engine.js';
import { makeTestPki, type TestPki } from './tls-certs.js';

const networks = [{ Id: 'a'.repeat(64), Name: 'bridge', Driver: 'bridge' }];
const containers = [{ Id: 'c'.repeat(64), Names: ['/web'], State: 'running' }];

function routes() {
  return {
    '/networks': { json: networks },
    '/containers/json': { json: containers },
    '/containers/web/json': { json: { Id: 'c'.repeat(64), Name: '/web' } },
    '/version': { json: { Version: '28.5.2', ApiVersion: '1.51' } },
    '/info': { json: { ServerVersion: '28.5.2', FirewallBackend: { Driver: 'iptables', Info: [] } } },
  };
}

describe('DockerEngineClient over a unix socket', () => {
  let dir: string;
  let cleanup: () => void;
  let engine: FakeEngine | undefined;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  async function start(apiVersion?: string | null): Promise<DockerEngineClient> {
    const socket = join(dir, `d-${Math.random().toString(36).slice(2)}.sock`);
    engine = new FakeEngine({ apiVersion, routes: routes() });
    await engine.listen(socket);
    return new DockerEngineClient({ host: `unix://${socket}` }, {});
  }

  it('pings and reads the API version from the headers', async () => {
    const client = await start('1.47');
    expect(await client.ping()).toEqual({ apiVersion: '1.47', osType: 'linux' });
  });

  it('negotiates once and prefixes every call with the daemon version', async () => {
    const client = await start('1.47');
    expect(await client.listNetworks()).toEqual(networks);
    expect(await client.listContainers({ all: true })).toEqual(containers);
    expect(await client.inspectContainer('web')).toMatchObject({ Name: '/web' });
    const seen = engine!.requests.map((r) => `${r.version ?? '-'} ${r.path}`);
    expect(seen).toEqual([
      '- /_ping',
      '1.47 /networks',
      '1.47 /containers/json',
      '1.47 /containers/web/json',
    ]);
    expect(engine!.requests[2]!.query.get('all')).toBe('1');
  });

  it('falls back to /version when /_ping has no API-Version header', async () => {
    const client = await start(null);
    await client.listNetworks();
    expect(await client.apiVersion()).toBe('1.51');
    expect(engine!.requests.map((r) => r.url)).toEqual(['/_ping', '/version', '/v1.51/networks']);
  });

  it('uses unversioned paths when the daemon reports no version at all', async () => {
    const client = await start(null);
    delete engine!.routes['/version'];
    await client.listNetworks();
    expect(engine!.requests.map((r) => r.url)).toEqual(['/_ping', '/version', '/networks']);
  });

  it('caps the version at maxApiVersion and honours a pinned version', async () => {
    const socket = join(dir, 'cap.sock');
    engine = new FakeEngine({ apiVersion: '1.52', routes: routes() });
    await engine.listen(socket);
    const capped = new DockerEngineClient({ host: `unix://${socket}`, maxApiVersion: '1.44' }, {});
    await capped.listNetworks();
    const pinned = new DockerEngineClient({ host: `unix://${socket}` }, { DOCKER_API_VERSION: '1.41' });
    await pinned.listNetworks();
    expect(engine.requests.map((r) => r.url)).toEqual(['/_ping', '/v1.44/networks', '/v1.41/networks']);
  });

  it('maps the firewall backend of /info (object since API 1.49, string before)', async () => {
    const client = await start('1.49');
    expect(await client.info()).toMatchObject({ serverVersion: '28.5.2', firewallBackend: 'iptables' });
    engine!.routes['/info'] = { json: { ServerVersion: '28.0.0', FirewallBackend: 'iptables+firewalld' } };
    expect(await client.info()).toMatchObject({
      firewallBackend: 'iptables+firewalld',
      firewallDriver: 'iptables+firewalld',
    });
    engine!.routes['/info'] = { json: { ServerVersion: '20.10.24' } };
    const old = await client.info();
    expect(old.firewallBackend).toBeUndefined();
    expect(old.serverVersion).toBe('20.10.24');
  });

  it('throws DockerApiError with the status and the daemon message', async () => {
    const client = await start();
    engine!.routes['/containers/gone/json'] = { status: 404, json: { message: 'No such container: gone' } };
    const error = await client.inspectContainer('gone').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerApiError);
    expect(error).toMatchObject({ status: 404, message: 'No such container: gone', method: 'GET' });
    engine!.routes['/networks'] = { status: 500, text: 'boom' };
    await expect(client.listNetworks()).rejects.toMatchObject({ status: 500, message: 'boom' });
  });

  it('throws DockerUnavailableError when the socket is missing', async () => {
    const client = new DockerEngineClient({ host: `unix://${join(dir, 'missing.sock')}` }, {});
    const error = await client.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect(error).toMatchObject({ code: 'ENOENT' });
    await expect(client.listNetworks()).rejects.toBeInstanceOf(DockerUnavailableError);
  });

  it('throws DockerUnavailableError when the connection is refused', async () => {
    const client = new DockerEngineClient({ host: 'tcp://127.0.0.1:1' }, {});
    await expect(client.ping()).rejects.toMatchObject({
      name: 'DockerUnavailableError',
      code: 'ECONNREFUSED',
    });
  });

  it('retries negotiation after a failure (the daemon came up later)', async () => {
    const socket = join(dir, 'late.sock');
    const client = new DockerEngineClient({ host: `unix://${socket}` }, {});
    await expect(client.listNetworks()).rejects.toBeInstanceOf(DockerUnavailableError);
    engine = new FakeEngine({ apiVersion: '1.45', routes: routes() });
    await engine.listen(socket);
    expect(await client.listNetworks()).toEqual(networks);
    expect(engine.requests.map((r) => r.url)).toEqual(['/_ping', '/v1.45/networks']);
  });

  it('times out a daemon that does not answer', async () => {
    const client = await start();
    engine!.routes['/info'] = () => undefined; // never answers
    const error = await client.info({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 100 });
  });

  it('aborts a request with the signal reason', async () => {
    const client = await start();
    await client.ping();
    engine!.routes['/info'] = () => undefined;
    const controller = new AbortController();
    const pending = client.info({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user stop')), 20);
    await expect(pending).rejects.toThrow('user stop');
  });
});

describe('DockerEngineClient over tcp', () => {
  let dir: string;
  let cleanup: () => void;
  let pki: TestPki;
  let engine: FakeEngine | undefined;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    pki = makeTestPki(dir);
  });
  afterAll(() => cleanup());
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('speaks plain http when TLS is off', async () => {
    engine = new FakeEngine({ routes: routes() });
    await engine.listen(0);
    const client = new DockerEngineClient({}, { DOCKER_HOST: `tcp://127.0.0.1:${engine.port}` });
    expect(await client.listContainers()).toEqual(containers);
    expect(engine.requests[1]!.query.has('all')).toBe(false);
  });

  it('speaks https with a client certificate from DOCKER_CERT_PATH', async () => {
    engine = new FakeEngine({
      routes: routes(),
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestClientCert: true },
    });
    await engine.listen(0);
    const env = {
      DOCKER_HOST: `tcp://127.0.0.1:${engine.port}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: pki.certPath,
    };
    const client = new DockerEngineClient({}, env);
    expect(client.endpoint.url).toBe(`https://127.0.0.1:${engine.port}`);
    expect(await client.version()).toMatchObject({ Version: '28.5.2' });
    expect(engine.requests.map((r) => r.url)).toEqual(['/_ping', '/v1.47/version']);
  });

  it('fails with DockerUnavailableError when the server requires a client certificate and none is given', async () => {
    engine = new FakeEngine({
      routes: routes(),
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestClientCert: true },
    });
    await engine.listen(0);
    const client = new DockerEngineClient(
      { host: `tcp://127.0.0.1:${engine.port}`, tlsVerify: true, ca: pki.ca },
      {
        DOCKER_CERT_PATH: join(dir, 'nothing-here'),
      },
    );
    await expect(client.ping()).rejects.toBeInstanceOf(DockerUnavailableError);
  });

  it('refuses a server certificate from an unknown CA when verifying', async () => {
    engine = new FakeEngine({
      routes: routes(),
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestClientCert: false },
    });
    await engine.listen(0);
    const host = `tcp://127.0.0.1:${engine.port}`;
    const empty = join(dir, 'nothing-here');
    const verifying = new DockerEngineClient({ host, tlsVerify: true, certPath: empty }, {});
    await expect(verifying.ping()).rejects.toBeInstanceOf(DockerUnavailableError);
    const trusting = new DockerEngineClient({ host, tls: true, tlsInsecure: true, certPath: empty }, {});
    expect((await trusting.ping()).apiVersion).toBe('1.47');
  });
});

describe('compareApiVersions', () => {
  it('compares numerically', () => {
    expect(compareApiVersions('1.9', '1.41')).toBe(-1);
    expect(compareApiVersions('1.52', '1.41')).toBe(1);
    expect(compareApiVersions('1.41', '1.41')).toBe(0);
  });
});
