import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  /** A DOCKER_CERT_PATH folder: ca.pem, cert.pem (client), key.pem (client). */
  certPath: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function signed(dir: string, name: string, subject: string, extensions: string): void {
  openssl(
    dir,
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ]),
  );
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem'].concat([
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}-cert.pem`,
    ]),
  );
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, written to `dir`. */
export function makeTestPki(dir: string): TestPki {
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=dockwall test CA',
    ]),
  );
  signed(
    dir,
    'server',
    '/CN=localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  signed(dir, 'client', '/CN=dockwall client', 'extendedKeyUsage=clientAuth\n');
  const certPath = join(dir, 'docker');
  mkdirSync(certPath);
  copyFileSync(join(dir, 'ca.pem'), join(certPath, 'ca.pem'));
  copyFileSync(join(dir, 'client-cert.pem'), join(certPath, 'cert.pem'));
  copyFileSync(join(dir, 'client-key.pem'), join(certPath, 'key.pem'));
  const read = (file: string): Buffer => readFileSync(join(dir, file));
  return {
    ca: read('ca.pem'),
    serverCert: read('server-cert.pem'),
    serverKey: read('server-key.pem'),
    clientCert: read('client-cert.pem'),
    clientKey: read('client-key.pem'),
    certPath,
  };
}
