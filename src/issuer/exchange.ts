/**
 * The HTTP plumbing of the reference issuer: reading a capped body, recording the request as tests
 * see it, reading the Authorization header, and writing replies.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body the issuer reads; a refresh body with telemetry is a few hundred bytes. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/** A request as the issuer received it, kept for tests to assert on. */
export interface RecordedRequest {
  /** `POST`, `GET`, ... */
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The request headers, names lower case. */
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or `undefined` when it is empty, not JSON, or over the size limit. */
  readonly body: unknown;
  /** The body as text; empty when it was over the size limit. */
  readonly rawBody: string;
  /** Milliseconds since the epoch, from the server's `now()`. */
  readonly receivedAt: number;
}

/** A reply a test forces the issuer to send instead of its normal answer. */
export interface FaultResponse {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Headers to send with it (`retry-after`, `content-type`, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The body, sent as it is; none when absent. */
  readonly body?: string;
}

/** The issuer's own answer: a status and, unless it is 204, a JSON body. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

/** A body read in full, or the fact that it was too large. */
export type ReadBody = { readonly text: string; readonly tooLarge: false } | { readonly text: ''; readonly tooLarge: true };

/**
 * Reads the request body up to {@link MAX_REQUEST_BODY_BYTES}. Beyond that the rest is drained and
 * dropped rather than the socket cut, so that the client reliably receives the 413.
 */
export function readBody(request: IncomingMessage): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on('end', () => {
      resolve(size > MAX_REQUEST_BODY_BYTES ? { text: '', tooLarge: true } : { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false });
    });
    request.on('error', reject);
  });
}

/** Parses a body as JSON, `undefined` when it is not. */
export function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The body as a JSON object, or `undefined` when it is anything else (array, scalar, unparsable). */
export function jsonObject(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/**
 * The credentials of an `Authorization: <scheme> <credentials>` header when its scheme is the one
 * expected (compared case-insensitively, as RFC 9110 says), else `undefined`.
 */
export function authorizationCredentials(headers: IncomingHttpHeaders, scheme: string): string | undefined {
  const match = /^(\S+)\s+(\S+)\s*$/.exec(headers.authorization ?? '');
  if (!match || match[1]?.toLowerCase() !== scheme.toLowerCase()) return undefined;
  return match[2];
}

/** Sends the issuer's own answer as `application/json` (no body for 204). */
export function sendReply(response: ServerResponse, reply: Reply, extraHeaders: Readonly<Record<string, string>> = {}): void {
  if (reply.status === 204 || reply.body === undefined) {
    response.writeHead(reply.status, extraHeaders).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  response
    .writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...extraHeaders,
    })
    .end(text);
}

/** Sends a test's fault response exactly as given. */
export function sendFault(response: ServerResponse, fault: FaultResponse): void {
  response.writeHead(fault.status, { ...fault.headers }).end(fault.body ?? '');
}
