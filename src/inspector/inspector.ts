/**
 * Live inspection of the agent's statechart with Stately's inspector (`@statelyai/inspect`, an
 * optional peer dependency, loaded only when inspection is asked for). The agent is a client: it
 * sends its inspection events to a relay on a WebSocket (`createInspectorServer` of
 * `@statelyai/inspect/server`, which the CLI's `run --inspect` starts), and the relay hands them to
 * the Stately inspector in a browser.
 *
 * Nothing secret may reach the inspector, and XState hands it everything: snapshots with the
 * license JWT in the context, fetch results (a verified license with its `jwt`), event payloads.
 * `sanitizeContext` covers only part of that, so every event is rebuilt through a deep redaction
 * before it leaves: JWT-looking strings, values under secret-sounding keys, and any fragment of the
 * configured API key and license key wherever it appears.
 *
 * The WebSocket connection is our own (undici's `WebSocket`): the one of `createWebSocketInspector`
 * reconnects every 5 s forever once its socket errs, even after `stop()`, and would keep the process
 * alive.
 */
import type { InspectionEvent, Observer } from 'xstate';
import { createSecretRedactor, REDACTED } from '../secret-redaction.js';

export { REDACTED };

/** How long the agent waits between attempts to reach the relay. */
const RECONNECT_MS = 5_000;
/** Events kept while the relay is out of reach (the oldest are dropped). */
const MAX_QUEUED = 200;
const MAX_DEPTH = 12;
const SECRET_KEY = /jwt|token|api_?key|authorization|license_?key|secret|password/i;

/**
 * A deep copy of `value` as plain JSON data, with every secret replaced by `[redacted]`: the values
 * of keys such as `jwt`, `token`, `apiKey` or `authorization`, and inside any string what the
 * agent's one redaction rule cuts (see `secret-redaction.ts`): fragments of `secrets`, and anything
 * shaped like a JWT or an API key. Cycles and depth are cut.
 */
export function createRedactor(secrets: readonly (string | undefined)[]): (value: unknown) => unknown {
  const redactText = createSecretRedactor(secrets);

  const copy = (value: unknown, depth: number, seen: Set<object>): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
    if (typeof value === 'bigint') return String(value);
    if (typeof value !== 'object') return undefined;
    if (seen.has(value)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[…]';
    seen.add(value);
    try {
      if (value instanceof Error) return { name: value.name, message: redactText(value.message), code: copy((value as { code?: unknown }).code, depth + 1, seen) };
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return '[binary]';
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return copy(toJSON.call(value), depth + 1, seen);
      if (value instanceof Map) return copy(Object.fromEntries(value), depth + 1, seen);
      if (value instanceof Set || Array.isArray(value)) return [...value].map((item) => copy(item, depth + 1, seen));
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        out[redactText(key)] = SECRET_KEY.test(key) && item !== undefined && item !== null ? REDACTED : copy(item, depth + 1, seen);
      }
      return out;
    } finally {
      seen.delete(value);
    }
  };
  return (value) => copy(value, 0, new Set());
}

/** What the agent holds while it is inspected. */
export interface AgentInspector {
  /** Pass to `createActor(..., { inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /** Closes the connection and stops reconnecting: nothing is left to keep the process alive. */
  stop(): void;
}

export interface InspectorHooks {
  /** Connected to the relay (again). */
  onConnected(url: string): void;
  /** The relay cannot be reached; called once until the next connection. */
  onUnreachable(url: string): void;
}

type WebSocketClass = typeof import('undici').WebSocket;

/** A Stately inspector adapter that sends each event as JSON to the relay, and reconnects while running. */
class RelayConnection {
  readonly #url: string;
  readonly #WebSocket: WebSocketClass;
  readonly #hooks: InspectorHooks;
  #socket: InstanceType<WebSocketClass> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #queue: string[] = [];
  #stopped = false;
  #reported = false;

  constructor(url: string, webSocket: WebSocketClass, hooks: InspectorHooks) {
    this.#url = url;
    this.#WebSocket = webSocket;
    this.#hooks = hooks;
  }

  start(): void {
    this.#connect();
  }

  send(event: unknown): void {
    if (this.#stopped) return;
    const text = JSON.stringify(event);
    if (this.#socket?.readyState === this.#WebSocket.OPEN) {
      this.#socket.send(text);
      return;
    }
    this.#queue.push(text);
    if (this.#queue.length > MAX_QUEUED) this.#queue.shift();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#queue = [];
    this.#socket?.close();
    this.#socket = undefined;
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = new this.#WebSocket(this.#url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#reported = false;
      this.#hooks.onConnected(this.#url);
      for (const text of this.#queue.splice(0)) socket.send(text);
    };
    // An error is followed by a close: the close decides whether to try again.
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (this.#stopped || this.#socket !== socket) return;
      if (!this.#reported) this.#hooks.onUnreachable(this.#url);
      this.#reported = true;
      this.#retry = setTimeout(() => this.#connect(), RECONNECT_MS);
      // Waiting for a relay must never keep the process alive.
      this.#retry.unref();
    };
  }
}

/**
 * Loads `@statelyai/inspect` and connects to the relay at `url`; every event is redacted of
 * `secrets` (and of anything that looks secret) first.
 *
 * @throws when `@statelyai/inspect` is not installed (`ERR_MODULE_NOT_FOUND`).
 */
export async function startInspector(url: string, secrets: readonly (string | undefined)[], hooks: InspectorHooks): Promise<AgentInspector> {
  const [{ createInspector }, { WebSocket }] = await Promise.all([import('@statelyai/inspect'), import('undici')]);
  const redact = createRedactor(secrets);
  const connection = new RelayConnection(url, WebSocket, hooks);
  const inspector = createInspector(connection, { serialize: (event) => redact(event) as typeof event });
  inspector.start();
  return { inspect: inspector.inspect, stop: () => inspector.stop() };
}

/** A running relay between inspected processes and the Stately inspector in a browser. */
export interface InspectorRelay {
  /** The page to open in a browser. */
  readonly pageUrl: string;
  stop(): void;
}

/**
 * Starts the relay of `@statelyai/inspect/server` on `port` (it listens on every interface, and
 * serves a page that embeds Stately's inspector). The port is tried first: the relay itself would
 * crash the process on a port in use.
 *
 * @throws when the port is in use, or `@statelyai/inspect` is not installed.
 */
export async function startInspectorRelay(port: number): Promise<InspectorRelay> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`port ${port} is in use (${error.code ?? error.message})`)));
    probe.listen(port, () => probe.close(() => resolve()));
  });
  const { createInspectorServer } = await import('@statelyai/inspect/server');
  const relay = createInspectorServer({ port, autoOpen: false });
  return { pageUrl: `http://localhost:${port}`, stop: () => relay.stop() };
}
