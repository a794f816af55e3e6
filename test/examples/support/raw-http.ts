/**
 * A bare HTTP/1.0 client on a `node:net` socket, for what `fetch` hides: whether one connection
 * serves several requests, and the exact bytes of each answer. It reads one response at a time,
 * its body by `content-length`; an answer without one, or a connection closed early, is an error.
 */
import net from 'node:net';

export interface RawResponse {
  readonly statusLine: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface RawConnection {
  /** Sends `request` (its head and body as written) and resolves with its whole response. */
  exchange(request: string): Promise<RawResponse>;
  close(): void;
}

const HEAD_END = '\r\n\r\n';

function parseHead(head: string): Pick<RawResponse, 'statusLine' | 'headers'> {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }));
  return { statusLine, headers };
}

/** The first complete response in `buffered`, with the bytes after it; `undefined` while incomplete. */
function takeResponse(buffered: Buffer): { response: RawResponse; rest: Buffer } | undefined {
  const headEnd = buffered.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const head = parseHead(buffered.subarray(0, headEnd).toString('latin1'));
  const length = head.headers['content-length'];
  if (length === undefined) throw new Error(`response without content-length: ${head.statusLine}`);
  const bodyStart = headEnd + HEAD_END.length;
  const bodyEnd = bodyStart + Number(length);
  if (buffered.length < bodyEnd) return undefined;
  return { response: { ...head, body: buffered.subarray(bodyStart, bodyEnd) }, rest: buffered.subarray(bodyEnd) };
}

export async function connectRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered: Buffer = Buffer.alloc(0);
  return {
    exchange: (request) => new Promise<RawResponse>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        socket.off('data', onData).off('end', onEnd).off('error', reject);
        outcome();
      };
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        try {
          const taken = takeResponse(buffered);
          if (taken) settle(() => ((buffered = taken.rest), resolve(taken.response)));
        } catch (error) {
          settle(() => reject(error));
        }
      };
      const onEnd = () => settle(() => reject(new Error(`the server closed the connection; received: ${buffered.toString('utf8')}`)));
      socket.on('data', onData).once('end', onEnd).once('error', reject);
      socket.write(request);
    }),
    close: () => void socket.destroy(),
  };
}
