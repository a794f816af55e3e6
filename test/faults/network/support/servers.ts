/**
 * Purpose-built faulty license servers on 127.0.0.1, for the faults the reference server's
 * `respondWith` cannot produce: an answer that never comes, a body that trickles, a connection cut
 * mid-body, a huge body written slowly, a TCP peer that never speaks TLS, and an HTTPS issuer with
 * a self-signed certificate. Each records what it saw, from its own side of the socket.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createRequestHandler, type IssuerContext } from '../../../../src/issuer/handler.js';
import type { LicenseServer, LicenseTemplate, RecordedRequest } from '../../../../src/issuer/index.js';

/** One request a faulty server received, and what became of its exchange. */
export interface Exchange {
  readonly receivedAt: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** When the socket closed (the client gave up, or the server cut it); `undefined` while open. */
  closedAt: number | undefined;
  /** Bytes of response body the server handed to the socket. */
  bytesWritten: number;
  /** Set once the server wrote its whole body. */
  finished: boolean;
}

/** How a faulty server treats each request; `later` arms a timer that closing the server clears. */
export type Behaviour = (
  request: IncomingMessage,
  response: ServerResponse,
  exchange: Exchange,
  later: (fn: () => void, ms: number) => void,
) => void;

export interface FaultyServer {
  /** `http://127.0.0.1:<port>` (or `https://`), no trailing slash. */
  readonly url: string;
  readonly requests: Exchange[];
  close(): Promise<void>;
}

function listen(server: { listen(port: number, host: string, done: () => void): unknown; address(): unknown }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closer(server: Server, timers: Set<NodeJS.Timeout>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    }));
}

/** A `node:http` server that records every request and lets `behaviour` answer it (or not). */
export async function startFaultyServer(behaviour: Behaviour): Promise<FaultyServer> {
  const requests: Exchange[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createHttpServer((request, response) => {
    const exchange: Exchange = {
      receivedAt: Date.now(),
      path: new URL(request.url ?? '/', 'http://faulty.invalid').pathname,
      headers: request.headers,
      closedAt: undefined,
      bytesWritten: 0,
      finished: false,
    };
    requests.push(exchange);
    request.socket.once('close', () => void (exchange.closedAt = Date.now()));
    const later = (fn: () => void, ms: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    };
    request.resume();
    request.once('end', () => behaviour(request, response, exchange, later));
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, close: closer(server, timers) };
}

/** Writes `chunk` unless the exchange is over, counting what was handed to the socket. */
function write(response: ServerResponse, exchange: Exchange, chunk: string | Buffer): boolean {
  if (exchange.closedAt !== undefined || response.destroyed) return false;
  response.write(chunk);
  exchange.bytesWritten += Buffer.byteLength(chunk);
  return true;
}

/** Reads the request and never answers it. */
export const neverAnswer: Behaviour = () => {};

/** Answers 200 at once, then the body one byte every `everyMs`: each gap slower than the read timeout. */
export function trickleBody(everyMs: number): Behaviour {
  return (_request, response, exchange, later) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    write(response, exchange, '{"jwt":"');
    const drip = () => {
      if (write(response, exchange, 'e')) later(drip, everyMs);
    };
    later(drip, everyMs);
  };
}

/**
 * Announces a body of `length` bytes, writes half of it, then cuts the connection: `close` destroys
 * the socket (a FIN), `reset` aborts it (an RST).
 */
export function cutMidBody(cut: 'close' | 'reset', length = 2_000): Behaviour {
  return (_request, response, exchange, later) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(length) });
    write(response, exchange, `{"jwt":"${'e'.repeat(length / 2 - 8)}`);
    // Let the headers and the first half reach the client before the cut.
    later(() => (cut === 'reset' ? response.socket?.resetAndDestroy() : response.socket?.destroy()), 50);
  };
}

/** A `200 application/json` of `totalBytes` (announced), written `chunkBytes` every `everyMs`. */
export function hugeSlowBody(totalBytes: number, chunkBytes: number, everyMs: number): Behaviour {
  return (_request, response, exchange, later) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(totalBytes) });
    const next = () => {
      const size = Math.min(chunkBytes, totalBytes - exchange.bytesWritten);
      if (!write(response, exchange, Buffer.alloc(size, 0x20))) return;
      if (exchange.bytesWritten < totalBytes) return later(next, everyMs);
      exchange.finished = true;
      response.end();
    };
    next();
  };
}

/**
 * Holds each request until `answerAt()` (or answers at once if that has passed), then answers
 * `status` with a `Retry-After` of `delayMs` from then: whole seconds, or an HTTP date rounded up
 * to the next whole second. Pushes the instant each header named onto `named`.
 */
export function retryAfter(status: number, form: 'seconds' | 'date', delayMs: number, answerAt: () => number, named: number[]): Behaviour {
  return (_request, response, exchange, later) => {
    later(() => {
      const now = Date.now();
      const at = form === 'seconds' ? now + delayMs : Math.ceil((now + delayMs) / 1000) * 1000;
      named.push(at);
      const body = '{"message":"slow down"}';
      response.writeHead(status, {
        'content-type': 'application/json',
        'retry-after': form === 'seconds' ? String(delayMs / 1000) : new Date(at).toUTCString(),
      });
      exchange.bytesWritten += body.length;
      exchange.finished = true;
      response.end(body);
    }, Math.max(0, answerAt() - Date.now()));
  };
}

/** A TCP connection a {@link SilentTcpServer} accepted. */
export interface AcceptedConnection {
  readonly acceptedAt: number;
  closedAt: number | undefined;
}

/** Accepts TCP connections and never writes a byte: a TLS handshake to it never completes. */
export interface SilentTcpServer {
  /** `https://127.0.0.1:<port>`: the agent connects, then waits for a ServerHello that never comes. */
  readonly url: string;
  readonly connections: AcceptedConnection[];
  close(): Promise<void>;
}

export async function startSilentTcpServer(): Promise<SilentTcpServer> {
  const connections: AcceptedConnection[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    const connection: AcceptedConnection = { acceptedAt: Date.now(), closedAt: undefined };
    connections.push(connection);
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      connection.closedAt = Date.now();
      sockets.delete(socket);
    });
    socket.resume();
  });
  const port = await listen(server);
  let closing: Promise<void> | undefined;
  return {
    url: `https://127.0.0.1:${port}`,
    connections,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** The reference issuer's endpoints served over HTTPS, with the reference server's keys. */
export interface HttpsIssuer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** When each TLS handshake a client abandoned (an untrusted certificate) failed. */
  readonly handshakeFailures: number[];
  close(): Promise<void>;
}

export async function startHttpsIssuer(options: {
  readonly cert: string;
  readonly key: string;
  /** Lends its signing keys, so the licenses it issues verify against `issuer.keys.jwks`. */
  readonly issuer: LicenseServer;
  readonly apiKeys?: Readonly<Record<string, LicenseTemplate>>;
}): Promise<HttpsIssuer> {
  const context: IssuerContext = {
    keys: options.issuer.keys,
    apiKeys: new Map(Object.entries(options.apiKeys ?? {})),
    licenses: new Map(),
    refreshAnswer: 'reissue',
    now: Date.now,
    faultHandler: undefined,
    requests: [],
    onRequest: undefined,
  };
  const handshakeFailures: number[] = [];
  const server = createHttpsServer({ cert: options.cert, key: options.key }, createRequestHandler(context));
  server.on('tlsClientError', () => void handshakeFailures.push(Date.now()));
  const port = await listen(server);
  let closing: Promise<void> | undefined;
  return {
    url: `https://127.0.0.1:${port}`,
    requests: context.requests,
    handshakeFailures,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
