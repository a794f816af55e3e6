/**
 * A self-signed certificate for 127.0.0.1 and localhost (and any further DNS names), made with the
 * `openssl` binary into a temp directory: the kind a private license server starts with before
 * anyone configures trust for it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSignedCertificate {
  /** PEM of the certificate: also the CA a client must trust, since it signed itself. */
  readonly cert: string;
  readonly key: string;
  /** The certificate as a file, for `NODE_EXTRA_CA_CERTS`. */
  readonly certFile: string;
  /** Removes the temp directory. */
  remove(): Promise<void>;
}

export async function makeSelfSignedCertificate(extraDnsNames: readonly string[] = []): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=localhost',
    '-addext', `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...extraDnsNames.map((name) => `DNS:${name}`)].join(',')}`,
    '-keyout', keyFile, '-out', certFile,
  ]);
  return {
    cert: await readFile(certFile, 'utf8'),
    key: await readFile(keyFile, 'utf8'),
    certFile,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
