/**
 * A real forward proxy on 127.0.0.1: a `node:http` server that handles `CONNECT` and can be told,
 * at any time, to tunnel, to refuse with a status, to ask for credentials, to hang or to hang up.
 * It never connects anywhere but 127.0.0.1: a tunnel goes to the loopback port it was given,
 * whatever host the client asked for, so a target such as `license.softclient4es.test:443` stays
 * on this machine. It records every `CONNECT` and every plain request (a client that bypassed
 * `CONNECT`), from its own side of the socket.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** What the proxy does with the next `CONNECT`s. */
export type ProxyBehaviour =
  /** Opens the tunnel (to `tunnelTo`), after checking `credentials` if it was given them. */
  | { readonly kind: 'tunnel' }
  /** Answers with `status` (403, 502, ...) and closes. */
  | { readonly kind: 'refuse'; readonly status: number }
  /** Answers 407 with a `Proxy-Authenticate` challenge, whatever the client sent. */
  | { readonly kind: 'authenticate' }
  /** Reads the `CONNECT` and never answers it. */
  | { readonly kind: 'hang' }
  /** Closes the connection on reading the `CONNECT`. */
  | { readonly kind: 'hang-up' };

export interface ConnectAttempt {
  readonly at: number;
  /** The `host:port` the client asked for. */
  readonly target: string;
  readonly proxyAuthorization: string | undefined;
  /** When the client's connection to the proxy closed; `undefined` while open. */
  closedAt: number | undefined;
}

export interface TestProxy {
  /** `http://127.0.0.1:<port>`, no credentials. */
  readonly url: string;
  readonly port: number;
  /** The proxy URL with `user:password@` in it. */
  urlWith(user: string, password: string): string;
  behaviour: ProxyBehaviour;
  /** `user:password` a tunnel requires (Basic); `undefined`: none. */
  credentials: string | undefined;
  readonly connects: ConnectAttempt[];
  /** Plain (non-`CONNECT`) requests: `METHOD url`. */
  readonly plainRequests: string[];
  /** Cuts every open connection, tunnels included: the client's next request must `CONNECT` again. */
  cutConnections(): void;
  close(): Promise<void>;
}

export interface TestProxyOptions {
  readonly behaviour: ProxyBehaviour;
  /** The loopback port every tunnel goes to. Required for `tunnel`. */
  readonly tunnelTo?: number | undefined;
  readonly credentials?: string | undefined;
}

function expectedAuthorization(credentials: string | undefined): string | undefined {
  return credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** Starts a test proxy on 127.0.0.1; close it after the test. */
export async function startTestProxy(options: TestProxyOptions): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    proxy.plainRequests.push(`${request.method} ${request.url}`);
    response.writeHead(501, { connection: 'close' }).end();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (request, socket: Socket, head: Buffer) => {
    const attempt: ConnectAttempt = { at: Date.now(), target: request.url ?? '', proxyAuthorization: request.headers['proxy-authorization'], closedAt: undefined };
    proxy.connects.push(attempt);
    socket.on('error', () => undefined);
    // The server's sockets are half-open: when the client gives up, finish the connection too.
    socket.once('end', () => socket.destroy());
    socket.once('close', () => void (attempt.closedAt = Date.now()));
    answer(proxy, request.headers, socket, head, options.tunnelTo);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  let closing: Promise<void> | undefined;
  const proxy: TestProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    urlWith: (user, password) => `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    behaviour: options.behaviour,
    credentials: options.credentials,
    connects: [],
    plainRequests: [],
    cutConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
  return proxy;
}

function answer(proxy: TestProxy, headers: IncomingHttpHeaders, socket: Socket, head: Buffer, tunnelTo: number | undefined): void {
  const behaviour = proxy.behaviour;
  const reply = (status: number, extra = ''): void => void socket.end(`HTTP/1.1 ${status} Test Proxy\r\n${extra}Content-Length: 0\r\n\r\n`);
  const challenge = 'Proxy-Authenticate: Basic realm="test proxy"\r\n';
  if (behaviour.kind === 'hang') return;
  if (behaviour.kind === 'hang-up') return void socket.destroy();
  if (behaviour.kind === 'refuse') return reply(behaviour.status);
  if (behaviour.kind === 'authenticate') return reply(407, challenge);
  const required = expectedAuthorization(proxy.credentials);
  if (required !== undefined && headers['proxy-authorization'] !== required) return reply(407, challenge);
  if (tunnelTo === undefined) throw new Error('a tunnelling test proxy needs tunnelTo');
  tunnel(socket, head, tunnelTo);
}

/** Joins the client's socket to a new connection to 127.0.0.1:`port`, both ways. */
function tunnel(client: Socket, head: Buffer, port: number): void {
  const upstream = connect(port, '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => client.destroy());
}
