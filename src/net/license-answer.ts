/**
 * Reads a license server's answer: `200 { "jwt": "<token>", "message"?: "..." }`, or `204` (no change) where the
 * endpoint allows it. Anything else becomes a typed error: `LicenseHttpError` for a status that is
 * not a success (with the server's message and its `Retry-After`), `LicenseResponseError` for a
 * `200` whose body is not what the contract says.
 */
import { LicenseHttpError, LicenseResponseError } from '../errors.js';
import { createSecretRedactor } from '../secret-redaction.js';
import type { HttpAnswer } from './http.js';

/** Longest server message quoted in an error; the rest is cut. */
const MAX_MESSAGE_LENGTH = 200;

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` in milliseconds from now, as seconds or an HTTP date, or `undefined`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What server text is cleaned of: every credential the agent holds (absent ones are skipped). */
type Secrets = readonly (string | undefined)[];

/**
 * The server's own words about a failure, from `{ "error" | "message" }` or the plain body, with
 * the credentials cut out: a server that echoes them must not put them in our logs.
 */
function serverMessage(answer: HttpAnswer, clean: (text: string) => string): string {
  let message = answer.text;
  try {
    const parsed = JSON.parse(answer.text) as { error?: unknown; message?: unknown };
    const said = parsed.error ?? parsed.message;
    if (typeof said === 'string') message = said;
  } catch {
    // Not JSON: quote the text as it is.
  }
  return clean(message);
}

/**
 * Server text made fit for a log line: no fragment of a credential, nothing shaped like one,
 * printable, short. Cut after redaction: a cut first could end the text on the first few characters
 * of a secret, too few to be recognised as one.
 */
function messageCleaner(secrets: Secrets): (text: string) => string {
  let redact: ((text: string) => string) | undefined;
  return (text) => {
    // Indexed on first use: a 200 without a message quotes nothing and indexes nothing.
    redact ??= createSecretRedactor(secrets);
    // Keep only printable characters so that a hostile body cannot forge log lines.
    const clean = redact(text).replace(/[^\x20-\x7e]/g, ' ').trim();
    return clean.length > MAX_MESSAGE_LENGTH ? `${clean.slice(0, MAX_MESSAGE_LENGTH)}…` : clean;
  };
}

/**
 * The JWT in a license server's answer, or `undefined` for a `204` where `allowNoContent` is set.
 * `now` dates a `Retry-After` given as an HTTP date; `secrets` (the credential sent, and every other
 * the agent holds: API key, license key, current license) are cut, fragments included, out of any
 * server text quoted in an error or a notice.
 */
export function readJwtAnswer(
  answer: HttpAnswer,
  options: {
    allowNoContent: boolean;
    now: number;
    secrets?: Secrets;
    /** Gets the `message` of a `200` answer (a notice for the operator), cleaned like any server text. */
    onMessage?: ((message: string) => void) | undefined;
  },
): string | undefined {
  if (answer.status === 204 && options.allowNoContent) return undefined;
  const clean = messageCleaner(options.secrets ?? []);
  if (answer.status !== 200) {
    const said = serverMessage(answer, clean);
    const retryAfterMs = parseRetryAfter(header(answer, 'retry-after'), options.now);
    return fail(answer.status, said, retryAfterMs);
  }
  const contentType = header(answer, 'content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim())) {
    // The header is the server's text too.
    throw new LicenseResponseError(`license server answered 200 with content type "${clean(contentType) || 'none'}", not JSON`);
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch (error) {
    const what = answer.text.trim().length === 0 ? 'an empty body' : 'a body that is not JSON';
    throw new LicenseResponseError(`license server answered 200 with ${what}`, { cause: error });
  }
  const jwt = (body as { jwt?: unknown } | null)?.jwt;
  if (typeof jwt !== 'string' || jwt.length === 0) {
    throw new LicenseResponseError('license server answered 200 without a "jwt" string');
  }
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string' && message.trim() !== '') options.onMessage?.(clean(message));
  return jwt;
}

/**
 * A 401 quotes the server's reason, which says what to fix; any other status (403 included: a
 * refusal still, for the schedule) is, as SoftClient4ES words it, an "unexpected HTTP status N".
 */
function fail(status: number, said: string, retryAfterMs: number | undefined): never {
  const suffix = said ? `: ${said}` : '';
  const what = status === 401 ? `rejected the request with HTTP ${status}` : `answered with unexpected HTTP status ${status}`;
  throw new LicenseHttpError(status, `license server ${what}${suffix}`, { retryAfterMs });
}
