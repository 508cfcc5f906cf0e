import type { Command } from 'commander';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPeerCertificateFetcher } from '../../host/peer-certificate.js';
import type { Result } from '../../model/index.js';
import { hasErrors } from '../../model/index.js';
import {
  TLS_FILE_NAMES,
  checkCertificate,
  createCa,
  issueClientCert,
  issueServerCert,
  parseDockerHost,
  tlsFilesPlan,
  type PemPair,
} from '../../tls/index.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK } from '../exit-codes.js';
import { readText } from '../inputs.js';
import { writeFileSafely } from '../private-files.js';
import type { Run } from './index.js';

interface IssueOpts {
  dir: string;
  caDir?: string;
  cn?: string;
  days: string;
  rsa?: boolean;
  force?: boolean;
  san?: string[];
  loopback: boolean;
}

function take<T>(ctx: CliContext, res: Result<T>, what: string): T {
  ctx.collect(res.diagnostics);
  if (!res.value || hasErrors(res.diagnostics)) {
    ctx.failOnErrors(what);
    throw new CliError(what);
  }
  return res.value;
}

function readCa(ctx: CliContext, dir: string): PemPair {
  const cert = join(dir, TLS_FILE_NAMES.caCert);
  const key = join(dir, TLS_FILE_NAMES.caKey);
  if (!existsSync(cert) || !existsSync(key))
    throw new CliError(
      `no CA in ${dir} (${TLS_FILE_NAMES.caCert} and ${TLS_FILE_NAMES.caKey}); create one with \`dockwall tls ca --dir ${dir}\``,
    );
  return { certPem: readText(ctx, cert), keyPem: readText(ctx, key) };
}

/**
 * Writes files with their modes; refuses to overwrite unless forced. Each file is created new
 * (exclusively, never through a symbolic link, owned by this process) and renamed into place, so
 * `--force` replaces a link or a foreign-owned file instead of writing through it.
 */
function writeFiles(
  ctx: CliContext,
  files: Array<{ path: string; contents: string; mode: number }>,
  force: boolean,
): void {
  for (const f of files)
    if (lexists(f.path) && !force) throw new CliError(`${f.path} exists; pass --force to replace it`);
  for (const f of files) {
    writeFileSafely(f.path, f.contents, { mode: f.mode, replace: force, dirMode: 0o755 });
    ctx.output.out(`wrote ${f.path} (${f.mode.toString(8).padStart(4, '0')})\n`);
  }
}

function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerTls(program: Command, run: Run): void {
  const tls = program
    .command('tls')
    .description('certificates for a Docker daemon listening on TCP (--tlsverify), and checking them');
  const common = (c: Command) =>
    c
      .requiredOption('--dir <dir>', 'directory to write the files to')
      .option('--days <n>', 'validity in days', '825')
      .option('--rsa', 'RSA 2048 keys instead of ECDSA P-256')
      .option('--force', 'replace existing files');

  common(tls.command('ca').description('create a CA (ca.pem, ca-key.pem)'))
    .option('--cn <name>', 'common name', 'dockwall docker CA')
    .action((o: IssueOpts) =>
      run(async (ctx) => {
        const ca = take(
          ctx,
          await createCa({
            commonName: o.cn ?? 'dockwall docker CA',
            days: Number(o.days),
            keyAlgorithm: o.rsa ? 'RSA-2048' : 'ECDSA-P256',
          }),
          'cannot create the CA',
        );
        writeFiles(ctx, tlsFilesPlan(o.dir, { ca }), !!o.force);
        return EXIT_OK;
      }),
    );

  common(
    tls
      .command('server')
      .description(
        "issue the daemon's certificate (server-cert.pem, server-key.pem) with every name clients use",
      ),
  )
    .option('--ca-dir <dir>', 'where ca.pem and ca-key.pem are (default: --dir)')
    .option('--cn <name>', 'common name', 'dockerd')
    .option(
      '--san <name>',
      'a DNS name or IP address clients use (repeatable; localhost, 127.0.0.1 and ::1 are added)',
      collect,
    )
    .option('--no-loopback', 'do not add localhost, 127.0.0.1 and ::1')
    .action((o: IssueOpts) =>
      run(async (ctx) => {
        const ca = readCa(ctx, o.caDir ?? o.dir);
        const server = take(
          ctx,
          await issueServerCert(ca, {
            commonName: o.cn ?? 'dockerd',
            days: Number(o.days),
            sans: o.san ?? [],
            includeLoopback: o.loopback,
            keyAlgorithm: o.rsa ? 'RSA-2048' : 'ECDSA-P256',
          }),
          'cannot issue the server certificate',
        );
        writeFiles(ctx, tlsFilesPlan(o.dir, { server }), !!o.force);
        ctx.output.out(`names: ${[...server.sans.dns, ...server.sans.ip].join(', ')}\n`);
        return EXIT_OK;
      }),
    );

  common(
    tls
      .command('client')
      .description('issue a client certificate for the docker CLI (cert.pem, key.pem, and ca.pem)'),
  )
    .option('--ca-dir <dir>', 'where ca.pem and ca-key.pem are (default: --dir)')
    .option('--cn <name>', 'common name', 'docker client')
    .action((o: IssueOpts) =>
      run(async (ctx) => {
        const ca = readCa(ctx, o.caDir ?? o.dir);
        const client = take(
          ctx,
          await issueClientCert(ca, {
            commonName: o.cn ?? 'docker client',
            days: Number(o.days),
            keyAlgorithm: o.rsa ? 'RSA-2048' : 'ECDSA-P256',
          }),
          'cannot issue the client certificate',
        );
        const files = tlsFilesPlan(o.dir, {
          client,
          ...(o.caDir && o.caDir !== o.dir ? { ca: { certPem: ca.certPem } } : {}),
        });
        writeFiles(ctx, files, !!o.force);
        return EXIT_OK;
      }),
    );

  tls
    .command('check')
    .description("will the docker client accept the daemon's certificate for this host? (exit 0 yes, 1 no)")
    .option(
      '--host <tcp://name:port>',
      'connect to the daemon and check the certificate it presents for this name (default: $DOCKER_HOST when it is tcp://)',
    )
    .option('--cert <file>', 'check a certificate file instead of connecting (with --name)')
    .option('--name <host>', 'the host name or address the client uses (default: from --host)')
    .option(
      '--cert-dir <dir>',
      'client directory with ca.pem (and cert.pem/key.pem to present) (default: $DOCKER_CERT_PATH, or ~/.docker with $DOCKER_TLS_VERIFY, as the docker client)',
    )
    .option('--json', 'print the report as JSON')
    .action((o: { host?: string; cert?: string; name?: string; certDir?: string; json?: boolean }) =>
      run(async (ctx) => {
        let pem: string;
        let name = o.name;
        // As `doctor` and the docker client: the environment gives the defaults, flags override it.
        const host = o.host ?? (o.cert ? undefined : envTcpHost(ctx.env));
        const certDir = o.certDir ?? envCertDir(ctx.env);
        if (host) {
          const target = take(
            ctx,
            parseDockerHost(host),
            `${o.host ? '--host' : 'DOCKER_HOST'} ${host} is not tcp://NAME:PORT`,
          );
          name ??= target.host;
          const client = certDir ? clientPair(certDir) : undefined;
          try {
            pem = await createPeerCertificateFetcher(client ?? {})(
              target.host,
              target.port,
              isIp(target.host) ? undefined : target.host,
            );
          } catch (e) {
            throw new CliError(`cannot reach ${target.host}:${target.port}: ${(e as Error).message}`);
          }
        } else if (o.cert) {
          pem = readText(ctx, o.cert);
        } else {
          const docker = ctx.env['DOCKER_HOST'];
          throw new CliError(
            `give --host tcp://NAME:PORT or --cert FILE${docker ? ` (DOCKER_HOST is ${docker}, not a daemon on TCP)` : ' (DOCKER_HOST is not set)'}`,
          );
        }
        if (!name) throw new CliError('give --name: the host the client uses');
        const caFile = certDir ? join(certDir, TLS_FILE_NAMES.caCert) : undefined;
        const caPem = caFile && existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined;
        const res = await checkCertificate(pem, { host: name, ...(caPem ? { caPem } : {}) });
        ctx.collect(res.diagnostics);
        if (!res.value) {
          ctx.flushDiagnostics();
          throw new CliError('cannot read the certificate');
        }
        const report = res.value;
        const ok =
          report.covered && report.chain.verified !== false && !report.expired && !report.notYetValid;
        if (o.json) {
          ctx.output.out(JSON.stringify({ ok, ...report, diagnostics: ctx.diagnostics }, null, 2) + '\n');
          return ok ? EXIT_OK : EXIT_ERROR;
        }
        const p = ctx.output.paint;
        ctx.output.out(
          `certificate: ${report.subject} (issued by ${report.issuer}), valid until ${report.notAfter}\n`,
        );
        ctx.output.out(`names: ${[...report.dnsNames, ...report.ipAddresses].join(', ') || '(none)'}\n`);
        ctx.output.out(
          `${report.covered ? p.add('✓') : p.remove('✗')} ${name}: ${report.covered ? `covered${report.matchedSan ? ` by ${report.matchedSan}` : ''}` : report.hostError}\n`,
        );
        if (report.chain.verified !== null)
          ctx.output.out(
            `${report.chain.verified ? p.add('✓') : p.remove('✗')} chain: ${report.chain.verified ? 'verified against ca.pem' : report.chain.error}\n`,
          );
        if (report.fix) ctx.output.out(`fix: ${report.fix.command}\n`);
        ctx.flushDiagnostics();
        return ok ? EXIT_OK : EXIT_ERROR;
      }),
    );
}

/** `DOCKER_HOST` when it names a daemon on TCP (tcp:// or https://). */
function envTcpHost(env: NodeJS.ProcessEnv): string | undefined {
  const h = env['DOCKER_HOST']?.trim();
  return h && /^(tcp|https):\/\//i.test(h) ? h : undefined;
}

/** `DOCKER_CERT_PATH`, or ~/.docker when `DOCKER_TLS_VERIFY` is set, as the docker client reads them. */
function envCertDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env['DOCKER_CERT_PATH']) return env['DOCKER_CERT_PATH'];
  const verify = env['DOCKER_TLS_VERIFY'];
  return verify && verify !== '0' && env['HOME'] ? join(env['HOME'], '.docker') : undefined;
}

/** The client certificate and key in DIR, to present to a daemon that asks for one. */
function clientPair(dir: string): { clientCertPem: string; clientKeyPem: string } | undefined {
  const cert = join(dir, TLS_FILE_NAMES.clientCert);
  const key = join(dir, TLS_FILE_NAMES.clientKey);
  if (!existsSync(cert) || !existsSync(key)) return undefined;
  return { clientCertPem: readFileSync(cert, 'utf8'), clientKeyPem: readFileSync(key, 'utf8') };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
