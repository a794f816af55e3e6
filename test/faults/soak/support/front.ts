/**
 * A thin `node:http` front placed between the agent and the reference license server: it sees every
 * request as the agent sent it and every answer as the agent received it. It counts the requests in
 * flight (so a test can prove there is never more than one), dates each exchange on the test's
 * clock, and can hold a request (a slow server) until the test releases it. Everything else is
 * forwarded verbatim, headers included (`Date`, `Retry-After`).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One exchange as the front saw it. */
export interface FrontExchange {
  /** The test clock when the request arrived. */
  readonly at: number;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
  /** Whatever the test attached when the request arrived (e.g. the agent's state then). */
  readonly tag: unknown;
  /** The answer, once sent. */
  status: number | undefined;
  retryAfter: string | undefined;
  responseText: string | undefined;
  /** The test clock when the answer was sent (or the socket closed). */
  completedAt: number | undefined;
}

/** A request held by the front; the test moves its clock, then releases it. */
export interface HeldRequest {
  readonly exchange: FrontExchange;
  /** How long (on the test clock) the server is meant to take. */
  readonly holdMs: number;
  release(): void;
}

export interface FrontOptions {
  /** Where requests go: the reference server's origin. */
  readonly target: string;
  /** The test clock. */
  readonly now: () => number;
}

export interface Front {
  readonly url: string;
  readonly exchanges: FrontExchange[];
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** The most requests ever handled at once since the last reset. */
  readonly maxInFlight: number;
  /** Decides, per request, how long to hold it (`undefined`: do not hold). */
  holdFor: (exchange: FrontExchange) => number | undefined;
  /** Attached to each exchange as it arrives. */
  tagWith: () => unknown;
  /** The oldest held request not yet taken by the test. */
  takeHeld(): HeldRequest | undefined;
  /** Forgets the exchanges and the in-flight maximum (between soak runs). */
  reset(): void;
  close(): Promise<void>;
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function forward(target: string, path: string, headers: IncomingHttpHeaders, body: Buffer) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const { host: _host, connection: _connection, ...rest } = headers;
    const outgoing = httpRequest(`${target}${path}`, { method: 'POST', headers: rest, agent: false }, (response) => {
      readAll(response).then((text) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: text }), reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Starts a front on 127.0.0.1 forwarding to `target`. */
export async function startFront(options: FrontOptions): Promise<Front> {
  const exchanges: FrontExchange[] = [];
  const held: HeldRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const front: Front = {
    url: '',
    exchanges,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    holdFor: () => undefined,
    tagWith: () => undefined,
    takeHeld: () => held.shift(),
    reset() {
      exchanges.length = 0;
      held.length = 0;
      maxInFlight = inFlight;
    },
    close: () => Promise.resolve(),
  };

  const server: Server = createServer((request, response) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const exchange: FrontExchange = {
      at: options.now(),
      path: request.url ?? '/',
      authorization: request.headers.authorization,
      body: undefined,
      tag: front.tagWith(),
      status: undefined,
      retryAfter: undefined,
      responseText: undefined,
      completedAt: undefined,
    };
    exchanges.push(exchange);
    response.on('close', () => {
      if (done) return;
      done = true;
      inFlight--;
      exchange.completedAt = options.now();
    });
    void (async () => {
      const body = await readAll(request);
      (exchange as { body: unknown }).body = parse(body.toString('utf8'));
      const holdMs = front.holdFor(exchange);
      if (holdMs !== undefined) await new Promise<void>((release) => held.push({ exchange, holdMs, release }));
      const answer = await forward(options.target, exchange.path, request.headers, body);
      exchange.status = answer.status;
      const retryAfter = answer.headers['retry-after'];
      exchange.retryAfter = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
      exchange.responseText = answer.body.toString('utf8');
      const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
      response.writeHead(answer.status, headers).end(answer.body);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  Object.assign(front, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const request of held.splice(0)) request.release();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  });
  return front;
}
