/**
 * A license server that speaks SoftClient4ES's token endpoint and nothing else: `POST
 * /api/v1/licenses/token` with `Authorization: Bearer sk-...`. Any other method, path or scheme is
 * answered `404`, so an agent that fetches a license from it speaks the real contract. It records
 * every request it saw, from its own side of the socket.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export const TOKEN_PATH = '/api/v1/licenses/token';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body text. */
  readonly body: string;
}

/** What the server answers a well-formed token request with. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Responder = (request: SeenRequest, apiKey: string) => Answer | Promise<Answer>;

export interface TokenServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Replaces the answer to token requests. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

const BEARER = /^Bearer (sk-\S+)$/;

function send(response: ServerResponse, answer: Answer): void {
  const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  const json = answer.body !== undefined && typeof answer.body !== 'string';
  response.writeHead(answer.status, { ...(json ? { 'content-type': 'application/json' } : {}), ...answer.headers });
  response.end(text);
}

/** Starts the server on 127.0.0.1, port 0; `responder` answers each token request. */
export async function startTokenServer(responder: Responder): Promise<TokenServer> {
  const requests: SeenRequest[] = [];
  let answer = responder;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: SeenRequest = {
        method: request.method ?? '',
        path: new URL(request.url ?? '/', 'http://token-server.invalid').pathname,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
      if (seen.method !== 'POST' || seen.path !== TOKEN_PATH || key === undefined) {
        return send(response, { status: 404, body: { message: 'Not Found' } });
      }
      Promise.resolve(answer(seen, key)).then(
        (result) => send(response, result),
        () => send(response, { status: 500, body: { message: 'responder failed' } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (next) => void (answer = next),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** The request body as JSON. */
export function jsonBody(request: SeenRequest): Record<string, unknown> {
  return JSON.parse(request.body) as Record<string, unknown>;
}

/**
 * Registers an `afterEach` that closes every token server the test started, and returns the
 * function that starts one.
 */
export function useTokenServers(): (responder: Responder) => Promise<TokenServer> {
  const started: TokenServer[] = [];
  afterEach(async () => {
    await Promise.allSettled(started.splice(0).map((server) => server.close()));
  });
  return async (responder) => {
    const server = await startTokenServer(responder);
    started.push(server);
    return server;
  };
}
