/**
 * The request handler of the reference issuer: record the request, let a test's fault handler
 * answer it, otherwise route it to an endpoint and write the reply.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { answerRefresh, answerToken, REFRESH_PATH, TOKEN_PATH, type IssuerState, type RefreshAnswer } from './endpoints.js';
import { parseJson, readBody, sendFault, sendReply, type FaultResponse, type RecordedRequest, type Reply } from './exchange.js';
import type { IssuerKeys } from './keys.js';
import type { LicenseTemplate } from './mint.js';

/** A test's hook: return a response to send it instead of the normal answer, `undefined` to pass. */
export type FaultHandler = (request: RecordedRequest) => FaultResponse | undefined;

/** The issuer's mutable state, shared by the handler and the server's setters. */
export interface IssuerContext extends IssuerState {
  readonly keys: IssuerKeys;
  readonly apiKeys: Map<string, LicenseTemplate>;
  readonly licenses: Map<string, LicenseTemplate>;
  refreshAnswer: RefreshAnswer;
  faultHandler: FaultHandler | undefined;
  readonly requests: RecordedRequest[];
  readonly onRequest: ((request: RecordedRequest) => void) | undefined;
}

type Route = (state: IssuerState, request: RecordedRequest) => Promise<Reply>;
const ROUTES: ReadonlyMap<string, Route> = new Map([
  [TOKEN_PATH, answerToken],
  [REFRESH_PATH, answerRefresh],
]);

interface Answer {
  readonly reply: Reply;
  readonly headers?: Record<string, string>;
}

async function record(context: IssuerContext, request: IncomingMessage): Promise<{ recorded: RecordedRequest; tooLarge: boolean }> {
  const { text, tooLarge } = await readBody(request);
  const recorded: RecordedRequest = Object.freeze({
    method: request.method ?? 'GET',
    path: new URL(request.url ?? '/', 'http://issuer.invalid').pathname,
    headers: request.headers,
    body: parseJson(text),
    rawBody: text,
    receivedAt: context.now(),
  });
  context.requests.push(recorded);
  context.onRequest?.(recorded);
  return { recorded, tooLarge };
}

async function answer(context: IssuerContext, recorded: RecordedRequest, tooLarge: boolean): Promise<Answer> {
  const route = ROUTES.get(recorded.path);
  if (!route) return { reply: { status: 404, body: { message: 'not found' } } };
  if (recorded.method !== 'POST') return { reply: { status: 405, body: { message: 'method not allowed' } }, headers: { allow: 'POST' } };
  if (tooLarge) return { reply: { status: 413, body: { message: 'body is over 64 KiB' } } };
  // Authentication comes before the body check, inside each route: a stranger learns nothing.
  return { reply: await route(context, recorded) };
}

async function handle(context: IssuerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // The Date header follows the issuer's clock, so that simulated time gives a consistent server
  // date (a fault may still set its own).
  response.setHeader('date', new Date(context.now()).toUTCString());
  const { recorded, tooLarge } = await record(context, request);
  const fault = context.faultHandler?.(recorded);
  if (fault) return sendFault(response, fault);
  const { reply, headers } = await answer(context, recorded, tooLarge);
  sendReply(response, reply, headers);
}

/** The `node:http` listener of an issuer over its context. */
export function createRequestHandler(context: IssuerContext): RequestListener {
  return (request, response) => {
    handle(context, request, response).catch(() => {
      // A bug in a handler must show up as a 500 in the test, not as a hung request.
      if (!response.headersSent) sendReply(response, { status: 500, body: { message: 'internal error' } });
      else response.destroy();
    });
  };
}
