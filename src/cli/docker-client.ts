import { DockerEngineClient, type DockerClientOptions } from '../docker/index.js';
import type { CliContext } from './context.js';

/**
 * The Docker client every command uses: the connection the environment names (`DOCKER_HOST`,
 * `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`), with `--tls-insecure` passed on. An unverified TLS
 * connection is announced through `warn` (stderr by default) each time a client is made.
 */
export function dockerClient(
  ctx: CliContext,
  options: DockerClientOptions = {},
  warn: (message: string) => void = (m) => ctx.output.err(`dockwall: warning: ${m}\n`),
): DockerEngineClient {
  const client = new DockerEngineClient({ ...options, tlsInsecure: ctx.flags.tlsInsecure === true }, ctx.env);
  const tls = client.endpoint.kind === 'tcp' ? client.endpoint.tls : undefined;
  if (tls && !tls.verify) warn(insecureWarning(client.endpoint.url));
  return client;
}

export function insecureWarning(url: string): string {
  return (
    `--tls-insecure: the Docker daemon's certificate at ${url} is NOT verified; anyone between here and ` +
    'the daemon can answer in its place and decide which ports the container rules open'
  );
}
