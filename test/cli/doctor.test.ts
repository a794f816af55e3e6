import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../src/cli/commands/doctor.js';
import { loadSettings } from '../../src/cli/config.js';
import {
  checkClockOffset,
  checkDns,
  checkInstanceId,
  checkProxyTunnel,
  checkStateDir,
  checkTls,
  describeProxy,
  describeTrustedKeys,
  filesystemTypeAt,
} from '../../src/cli/doctor.js';
import { startLicenseServer, type LicenseServer } from '../../src/issuer/index.js';
import { generateIssuerKeys } from '../../src/issuer/keys.js';
import { DEFAULT_TRUSTED_KEYS } from '../../src/license/keys.js';
import { INSTANCE_ID_FILE } from '../../src/state/instance-id.js';
import { startTestProxy, type ProxyBehaviour, type TestProxy } from '../faults/network/support/proxy.js';
import { useTempDir } from '../state/helpers.js';
import { captureLogs } from '../support/logs.js';

const run = promisify(execFile);

/** Closes every server a test started, even when the test failed. */
const servers: (net.Server | http.Server | https.Server)[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(async (server) => {
      // Only the HTTP(S) servers keep connections of their own to cut.
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close();
      if (server.listening) await once(server, 'close');
    }),
  );
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('checkStateDir', () => {
  const tempDir = useTempDir();

  it('creates a missing state dir with mode 0700 and leaves no probe file behind', async () => {
    const dir = path.join(tempDir(), 'nested', 'state');
    const check = await checkStateDir(dir);
    expect(check).toMatchObject({ name: 'state dir', ok: true });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dir)).toEqual([]);
  });

  it('warns that a dir under the OS temp dir will not survive a reboot, but passes', async () => {
    const check = await checkStateDir(tempDir());
    expect(check.ok).toBe(true);
    expect(check.detail).toContain('will not survive a reboot');
  });

  it('says the state dir is persistent on a disk filesystem outside the temp dir', async () => {
    const mounts = path.join(tempDir(), 'mounts');
    await writeFile(mounts, `/dev/vda / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n`);
    const check = await checkStateDir(path.join(tempDir(), 'state'), { mountsFile: mounts, tempDir: '/nonexistent-tmp' });
    expect(check).toEqual({ name: 'state dir', ok: true, detail: `writable: ${path.join(tempDir(), 'state')} (ext4), persistent` });
  });

  it('warns that a state dir on tmpfs will not survive a reboot, but passes', async () => {
    const mounts = path.join(tempDir(), 'mounts');
    const real = await import('node:fs/promises').then(({ realpath }) => realpath(tempDir()));
    await writeFile(mounts, `/dev/vda / ext4 rw 0 0\ntmpfs ${real} tmpfs rw 0 0\n`);
    const check = await checkStateDir(tempDir(), { mountsFile: mounts, tempDir: '/nonexistent-tmp' });
    expect(check.ok).toBe(true);
    expect(check.detail).toContain('on tmpfs: the instance id and license cache will not survive a reboot');
  });

  it('fails naming the path and errno code when the state dir cannot be created', async () => {
    const parent = path.join(tempDir(), 'a-file');
    await writeFile(parent, 'not a directory');
    const dir = path.join(parent, 'state');
    const check = await checkStateDir(dir);
    expect(check.ok).toBe(false);
    expect(check.detail).toContain(dir);
    expect(check.detail).toContain('ENOTDIR');
  });
});

describe('filesystemTypeAt', () => {
  const mounts = [
    '/dev/vda / ext4 rw 0 0',
    'tmpfs /run tmpfs rw 0 0',
    '/dev/vdb /run/data xfs rw 0 0',
    '/dev/vdc /srv/my\\040state ext4 rw 0 0',
    'tmpfs /srv/over tmpfs rw 0 0',
    '/dev/vdd /srv/over btrfs rw 0 0',
    '',
  ].join('\n');

  it('picks the longest mount point that contains the path', () => {
    expect(filesystemTypeAt(mounts, '/run/data/state')).toBe('xfs');
    expect(filesystemTypeAt(mounts, '/run/other')).toBe('tmpfs');
    expect(filesystemTypeAt(mounts, '/home/me')).toBe('ext4');
  });

  it('does not treat a mount point as a prefix of a longer name', () => {
    expect(filesystemTypeAt(mounts, '/run/database')).toBe('tmpfs');
  });

  it('decodes octal escapes in mount points', () => {
    expect(filesystemTypeAt(mounts, '/srv/my state/x')).toBe('ext4');
  });

  it('takes the last of two mounts on the same point, since it hides the first', () => {
    expect(filesystemTypeAt(mounts, '/srv/over/x')).toBe('btrfs');
  });
});

describe('checkInstanceId', () => {
  const tempDir = useTempDir();

  it('reports the persisted instance id, creating it on first use', async () => {
    const { logger: log } = captureLogs();
    const check = await checkInstanceId(tempDir(), log);
    const stored = (await readFile(path.join(tempDir(), INSTANCE_ID_FILE), 'utf8')).trim();
    expect(check).toMatchObject({ name: 'instance id', ok: true });
    expect(check.detail).toContain(stored);
    expect(check.detail).toContain('persisted');
  });

  it('fails when the id can live in memory only', async () => {
    const parent = path.join(tempDir(), 'a-file');
    await writeFile(parent, 'not a directory');
    const { logger: log } = captureLogs();
    const check = await checkInstanceId(path.join(parent, 'state'), log);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/^[0-9a-f-]{36} \(in memory only/);
  });
});

describe('describeProxy', () => {
  const target = 'https://license.example.com/api/v1/licenses/token';

  it('reports a direct connection when no proxy variable is set', () => {
    expect(describeProxy({}, target)).toEqual({
      name: 'proxy',
      ok: true,
      detail: 'direct connection to license.example.com (none of https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY is set)',
    });
  });

  it('uses HTTPS_PROXY for an https target, with its credentials hidden', () => {
    const check = describeProxy(
      { HTTPS_PROXY: 'http://alice:s3cret@proxy.corp:3128', HTTP_PROXY: 'http://other:8080' },
      target,
    );
    expect(check).toEqual({
      name: 'proxy',
      ok: true,
      detail: 'license.example.com via http://proxy.corp:3128 (from HTTPS_PROXY, credentials hidden)',
    });
  });

  it('hides a password that itself contains an @', () => {
    const check = describeProxy({ https_proxy: 'http://alice:p@ss@proxy.corp:3128' }, target);
    expect(check.detail).toBe('license.example.com via http://proxy.corp:3128 (from https_proxy, credentials hidden)');
  });

  it('falls back to HTTP_PROXY for an https target', () => {
    expect(describeProxy({ HTTP_PROXY: 'http://proxy.corp:8080' }, target).detail).toBe(
      'license.example.com via http://proxy.corp:8080 (from HTTP_PROXY)',
    );
  });

  it('prefers the lowercase variable, as undici does', () => {
    const env = { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' };
    expect(describeProxy(env, target).detail).toContain('via http://lower:1 (from https_proxy)');
  });

  it('ignores HTTPS_PROXY for a plain http target', () => {
    expect(describeProxy({ HTTPS_PROXY: 'http://proxy.corp:3128' }, 'http://127.0.0.1:8080/v1').detail).toMatch(
      /^direct connection to 127\.0\.0\.1:8080/,
    );
  });

  it('bypasses the proxy for a NO_PROXY domain suffix', () => {
    const check = describeProxy({ HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: 'localhost, .example.com' }, target);
    expect(check.detail).toBe(
      "direct connection to license.example.com: NO_PROXY entry '.example.com' matches it (HTTPS_PROXY is not used)",
    );
  });

  it('bypasses the proxy for a NO_PROXY parent domain written without a dot', () => {
    expect(describeProxy({ HTTPS_PROXY: 'http://p:1', no_proxy: 'example.com' }, target).detail).toMatch(
      /^direct connection/,
    );
  });

  it('does not bypass for a NO_PROXY entry that only ends with the same letters', () => {
    expect(describeProxy({ HTTPS_PROXY: 'http://p:1', NO_PROXY: 'ample.com' }, target).detail).toMatch(/ via http:\/\/p:1/);
  });

  it('bypasses every host when NO_PROXY is *', () => {
    expect(describeProxy({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }, target).detail).toContain("entry '*' matches");
  });

  it('honours the port of a NO_PROXY entry', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'license.example.com:8443' };
    expect(describeProxy(env, target).detail).toMatch(/ via http:\/\/p:1/);
    expect(describeProxy(env, 'https://license.example.com:8443/v1').detail).toMatch(/^direct connection/);
  });

  it('never prints proxy credentials, whatever the variable', () => {
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
      const detail = describeProxy({ [name]: 'http://bob:hunter2@proxy:3128' }, target).detail;
      expect(detail, name).not.toContain('hunter2');
      expect(detail, name).not.toContain('bob');
    }
  });
});

describe('checkProxyTunnel', () => {
  /** Resolves nowhere: only the test proxy, which tunnels to 127.0.0.1 whatever is asked, reaches it. */
  const target = 'https://license.softclient4es.test/api/v1/licenses/token';
  const proxies: TestProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });

  async function proxyThat(behaviour: ProxyBehaviour, options: { tunnelTo?: number; credentials?: string } = {}): Promise<TestProxy> {
    const proxy = await startTestProxy({ behaviour, ...options });
    proxies.push(proxy);
    return proxy;
  }

  it('passes when the proxy opens a tunnel to the license host, and sends nothing through it', async () => {
    let received = 0;
    let closed: () => void = () => undefined;
    const upstreamClosed = new Promise<void>((resolve) => (closed = resolve));
    const upstream = await listen(net.createServer((socket) => {
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('close', closed);
    }));
    const proxy = await proxyThat({ kind: 'tunnel' }, { tunnelTo: upstream });

    expect(await checkProxyTunnel(target, proxy.url, { timeoutMs: 2000 })).toEqual({
      name: 'proxy tunnel',
      ok: true,
      detail: `proxy 127.0.0.1:${proxy.port} opens a tunnel to license.softclient4es.test:443 (CONNECT answered 200)`,
    });
    expect(proxy.connects.map((attempt) => attempt.target)).toEqual(['license.softclient4es.test:443']);
    await Promise.race([upstreamClosed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    expect(received).toBe(0);
  });

  it('fails naming the proxy and the status when the proxy refuses the tunnel', async () => {
    const proxy = await proxyThat({ kind: 'refuse', status: 403 });
    expect(await checkProxyTunnel(target, proxy.url, { timeoutMs: 2000 })).toEqual({
      name: 'proxy tunnel',
      ok: false,
      detail: `proxy 127.0.0.1:${proxy.port} refused the tunnel to license.softclient4es.test:443 with HTTP 403`,
    });
  });

  it('fails saying the proxy asks for authentication when its URL has no credentials', async () => {
    const proxy = await proxyThat({ kind: 'authenticate' });
    const check = await checkProxyTunnel(target, proxy.url, { timeoutMs: 2000 });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain(`proxy 127.0.0.1:${proxy.port} asks for authentication (HTTP 407)`);
  });

  it('sends the credentials of the proxy URL, and never shows them, accepted or refused', async () => {
    const upstream = await listen(net.createServer((socket) => socket.resume()));
    const proxy = await proxyThat({ kind: 'tunnel' }, { tunnelTo: upstream, credentials: 'doc-user:d0c-pa55' });
    const accepted = await checkProxyTunnel(target, proxy.urlWith('doc-user', 'd0c-pa55'), { timeoutMs: 2000 });
    const refused = await checkProxyTunnel(target, proxy.urlWith('doc-user', 'wrong-pa55'), { timeoutMs: 2000 });

    expect(accepted.ok).toBe(true);
    expect(proxy.connects[0]?.proxyAuthorization).toBe(`Basic ${Buffer.from('doc-user:d0c-pa55').toString('base64')}`);
    expect(refused).toMatchObject({ ok: false, detail: `proxy 127.0.0.1:${proxy.port} refused the credentials of its URL (HTTP 407)` });
    for (const detail of [accepted.detail, refused.detail]) expect(detail).not.toMatch(/doc-user|pa55/);
  });

  it('fails saying the proxy is unreachable when nothing listens on its port', async () => {
    const port = await closedPort();
    expect(await checkProxyTunnel(target, `http://127.0.0.1:${port}`, { timeoutMs: 2000 })).toEqual({
      name: 'proxy tunnel',
      ok: false,
      detail: `proxy 127.0.0.1:${port} unreachable: connection refused`,
    });
  });

  it('fails within the timeout when the proxy never answers CONNECT', async () => {
    const proxy = await proxyThat({ kind: 'hang' });
    const started = Date.now();
    const check = await checkProxyTunnel(target, proxy.url, { timeoutMs: 200 });
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining(`proxy 127.0.0.1:${proxy.port} did not answer: connect timeout`) });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('the doctor checks', () => {
  const tempDir = useTempDir();
  let server: LicenseServer;
  let proxy: TestProxy;
  beforeAll(async () => {
    server = await startLicenseServer();
    proxy = await startTestProxy({ behaviour: { kind: 'refuse', status: 403 } });
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  async function checksWith(env: Record<string, string>) {
    const globals = { help: false, version: false, verbose: false, trustedKeysFile: undefined };
    const settings = await loadSettings(
      { SOFTCLIENT4ES_HOME: tempDir(), SOFTCLIENT4ES_API_KEY: 'sk-doctor_proxy_test', SOFTCLIENT4ES_LICENSE_SERVER_URL: server.url, ...env },
      globals,
    );
    return runChecks(settings);
  }

  it('checks the proxy on its own line, before the license server, when a proxy applies', async () => {
    const checks = await checksWith({ HTTP_PROXY: proxy.url });
    expect(checks.map((check) => check.name)).toEqual(['state dir', 'instance id', 'proxy', 'proxy tunnel', 'dns', 'tls', 'clock', 'trusted keys']);
    expect(checks.find((check) => check.name === 'proxy tunnel')).toEqual({
      name: 'proxy tunnel',
      ok: false,
      detail: `proxy 127.0.0.1:${proxy.port} refused the tunnel to 127.0.0.1:${server.port} with HTTP 403`,
    });
  });

  it('has no proxy tunnel line when no proxy applies, or NO_PROXY names the license host', async () => {
    const environments: Array<Record<string, string>> = [{}, { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }];
    for (const env of environments) {
      const names = (await checksWith(env)).map((check) => check.name);
      expect(names, JSON.stringify(env)).not.toContain('proxy tunnel');
    }
  });
});

describe('checkDns', () => {
  it('lists the addresses of localhost', async () => {
    const check = await checkDns('localhost');
    expect(check).toMatchObject({ name: 'dns', ok: true });
    expect(check.detail).toMatch(/127\.0\.0\.1|::1/);
  });

  it('fails with the resolver code for a host that cannot exist', async () => {
    const check = await checkDns('no-such-host.invalid');
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/^cannot resolve no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN|ENODATA)\)$/);
  });
});

describe('checkTls', () => {
  let certDir: string;
  let key: Buffer;
  let cert: Buffer;

  beforeAll(async () => {
    certDir = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-doctor-tls-'));
    // Ed25519 keeps generation instant; TLS 1.3 on OpenSSL 3 accepts it.
    await run('openssl', [
      'req', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '1',
      '-subj', '/CN=localhost/O=Doctor Test',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'),
    ]);
    key = await readFile(path.join(certDir, 'key.pem'));
    cert = await readFile(path.join(certDir, 'cert.pem'));
  });

  afterAll(async () => {
    await rm(certDir, { recursive: true, force: true });
  });

  /** A TLS server with the self-signed certificate that records every byte it receives. */
  async function startTlsServer(): Promise<{ url: string; received: () => number; closed: Promise<void> }> {
    let received = 0;
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    const server = https.createServer({ key, cert }, () => undefined);
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('close', resolveClosed);
    });
    const port = await listen(server);
    return { url: `https://127.0.0.1:${port}/api/v1/licenses/token`, received: () => received, closed };
  }

  it('fails on a self-signed certificate that is not trusted', async () => {
    const { url } = await startTlsServer();
    const check = await checkTls(url, { timeoutMs: 5000 });
    expect(check).toMatchObject({ name: 'tls', ok: false });
    expect(check.detail).toContain('self-signed certificate');
    expect(check.detail).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('reports protocol, subject, issuer and expiry when the certificate is trusted through ca', async () => {
    const { url } = await startTlsServer();
    const check = await checkTls(url, { timeoutMs: 5000, ca: cert });
    expect(check.ok).toBe(true);
    expect(check.detail).toMatch(/^TLSv1\.[23] with 127\.0\.0\.1:\d+; subject CN=localhost, O=Doctor Test, issuer CN=localhost, O=Doctor Test, valid to \w{3} +\d+ [\d:]+ \d{4} GMT$/);
  });

  it('closes after the handshake without sending any application data', async () => {
    const { url, received, closed } = await startTlsServer();
    expect((await checkTls(url, { timeoutMs: 5000, ca: cert })).ok).toBe(true);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    expect(received()).toBe(0);
  });

  it('fails with the cause when the connection is refused', async () => {
    const check = await checkTls(`https://127.0.0.1:${await closedPort()}/`, { timeoutMs: 5000 });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('connection refused (ECONNREFUSED)');
  });

  it('fails with a timeout when the server never answers the handshake', async () => {
    const port = await listen(net.createServer(() => undefined));
    const started = Date.now();
    const check = await checkTls(`https://127.0.0.1:${port}/`, { timeoutMs: 200 });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('timed out (ETIMEDOUT)');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('accepts plain http to a loopback host without a handshake', async () => {
    expect(await checkTls('http://127.0.0.1:9/v1', { timeoutMs: 100 })).toEqual({
      name: 'tls',
      ok: true,
      detail: 'plain http to a loopback host: no TLS',
    });
  });

  it('refuses plain http to a host that is not loopback', async () => {
    const check = await checkTls('http://license.example.com/v1', { timeoutMs: 100 });
    expect(check.ok).toBe(false);
  });
});

describe('checkClockOffset', () => {
  // A whole second, since an HTTP Date has no finer resolution.
  const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
  const now = (): number => NOW;

  interface SeenRequest {
    readonly method: string | undefined;
    readonly url: string | undefined;
    readonly headers: http.IncomingHttpHeaders;
    readonly bodyBytes: number;
  }

  /** A server whose every answer carries `date` (none when undefined), recording what it was sent. */
  async function startDateServer(date: string | undefined): Promise<{ origin: string; seen: SeenRequest[] }> {
    const seen: SeenRequest[] = [];
    const server = http.createServer((request, response) => {
      let bodyBytes = 0;
      request.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
      request.on('end', () => {
        seen.push({ method: request.method, url: request.url, headers: request.headers, bodyBytes });
        response.sendDate = false;
        if (date !== undefined) response.setHeader('date', date);
        response.end();
      });
    });
    const port = await listen(server);
    return { origin: `http://127.0.0.1:${port}`, seen };
  }

  it('sends one bare HEAD to the origin: not the token path, no authorization, no body', async () => {
    const { origin, seen } = await startDateServer(new Date(NOW).toUTCString());
    await checkClockOffset(`${origin}/api/v1/licenses/token?x=1`, now, { timeoutMs: 5000 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'HEAD', url: '/', bodyBytes: 0 });
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.headers['content-length'] ?? '0').toBe('0');
    expect(seen[0]?.headers['transfer-encoding']).toBeUndefined();
  });

  it('passes with the offset in seconds when the server is within 5 minutes', async () => {
    const { origin } = await startDateServer(new Date(NOW + 90_000).toUTCString());
    expect(await checkClockOffset(`${origin}/api/v1/licenses/token`, now, { timeoutMs: 5000 })).toEqual({
      name: 'clock',
      ok: true,
      detail: `clock offset +90 s against ${origin}, server ahead (tolerance ±300 s)`,
    });
  });

  it('passes at exactly 5 minutes of offset', async () => {
    const { origin } = await startDateServer(new Date(NOW - 300_000).toUTCString());
    const check = await checkClockOffset(origin, now, { timeoutMs: 5000 });
    expect(check.ok).toBe(true);
    expect(check.detail).toContain('-300 s');
  });

  it('fails when the server is more than 5 minutes away', async () => {
    const { origin } = await startDateServer(new Date(NOW - 600_000).toUTCString());
    const check = await checkClockOffset(origin, now, { timeoutMs: 5000 });
    expect(check.ok).toBe(false);
    expect(check.detail).toBe(`clock offset -600 s against ${origin}, server behind (tolerance ±300 s)`);
  });

  it('measures against the midpoint of the request', async () => {
    const { origin } = await startDateServer(new Date(NOW).toUTCString());
    const readings = [NOW - 10_000, NOW + 10_000];
    const check = await checkClockOffset(origin, () => readings.shift() ?? NOW, { timeoutMs: 5000 });
    expect(check.detail).toContain('clock offset 0 s');
  });

  it('fails when the server sends no Date header', async () => {
    const { origin } = await startDateServer(undefined);
    const check = await checkClockOffset(origin, now, { timeoutMs: 5000 });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('server sent no Date header');
  });

  it('fails naming the cause when the server cannot be reached', async () => {
    const check = await checkClockOffset(`http://127.0.0.1:${await closedPort()}/`, now, { timeoutMs: 2000 });
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('ECONNREFUSED');
  });
});

describe('describeTrustedKeys', () => {
  it('lists the shipped key with its algorithm and curve', () => {
    expect(describeTrustedKeys(DEFAULT_TRUSTED_KEYS)).toEqual({
      name: 'trusted keys',
      ok: true,
      detail: 'softclient4es-2026-1 (EdDSA, Ed25519)',
    });
  });

  it('accepts the keys of a reference issuer', async () => {
    const keys = await generateIssuerKeys('issuer-test');
    expect(describeTrustedKeys(keys.jwks)).toMatchObject({ ok: true, detail: 'issuer-test (EdDSA, Ed25519)' });
  });

  it('fails on an empty key set', () => {
    expect(describeTrustedKeys({ keys: [] })).toMatchObject({ ok: false, detail: expect.stringContaining('no trusted key') });
  });

  it('fails naming a key that is not Ed25519', () => {
    const jwks = {
      keys: [
        ...DEFAULT_TRUSTED_KEYS.keys,
        { kty: 'RSA', kid: 'old-rsa', alg: 'RS256', n: 'AQAB', e: 'AQAB' },
        { kty: 'OKP', crv: 'X25519', kid: 'exchange', x: 'AAAA' },
      ],
    };
    const check = describeTrustedKeys(jwks);
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('softclient4es-2026-1 (EdDSA, Ed25519)');
    expect(check.detail).toContain('not an Ed25519 key (OKP): old-rsa, exchange');
  });
});
