/**
 * The one rule for cutting secrets out of text the agent lets go of: a server's words quoted in an
 * error, a log line or a row, and every string sent to the inspector. Whole-secret matching is not
 * enough: a server that quotes "the first 24 characters of your key", or one segment of a JWT, has
 * still put a credential in the operator's log. So any run of {@link MIN_FRAGMENT} or more
 * characters found in a secret (or in its base64 forms) goes, as does anything shaped like a JWT or
 * an `sk-` API key, whoever it belongs to.
 */

export const REDACTED = '[redacted]';

/** The shortest run of a secret that counts as a fragment of it. */
export const MIN_FRAGMENT = 8;

/**
 * Shorter than this, a "secret" is no credential (the agent never holds one: API keys are `sk-...`,
 * licenses are JWTs), and cutting it everywhere would blank ordinary words.
 */
const MIN_SECRET = 4;

/** A JWT, or one of its segments alone: its header and payload are base64url JSON, so `eyJ...`. */
const JWT_SHAPE = /eyJ[\w-]{4,}(?:\.[\w-]*){0,2}/g;
/** An API key: SoftClient4ES's `sk-...`, and the `sk_live_...` / `sk_test_...` style of others. */
const API_KEY_SHAPE = /\bsk(?:-|_live_|_test_)[\w-]{8,}/g;

type Range = [start: number, end: number];

/**
 * The forms a secret can be echoed in: as it is, and base64 (standard and base64url) as a proxy or
 * a Basic header would carry it. Base64 is taken from three starting offsets, so that the base64 of
 * any slice of the secret lines up with one of them.
 */
function formsOf(secret: string): string[] {
  const forms = [secret];
  for (let offset = 0; offset < 3 && offset < secret.length; offset++) {
    const bytes = Buffer.from(secret.slice(offset));
    forms.push(bytes.toString('base64'), bytes.toString('base64url'));
  }
  return forms;
}

/** Every window of {@link MIN_FRAGMENT} characters of the long secrets, and the short ones whole. */
function indexSecrets(secrets: Iterable<string | undefined>): { windows: Set<string>; short: string[] } {
  const windows = new Set<string>();
  const short: string[] = [];
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET) continue;
    if (secret.length < MIN_FRAGMENT) short.push(secret);
    for (const form of formsOf(secret)) {
      for (let i = 0; i + MIN_FRAGMENT <= form.length; i++) windows.add(form.slice(i, i + MIN_FRAGMENT));
    }
  }
  return { windows, short };
}

/** Where `text` holds a window of a secret; overlapping windows already joined into runs. */
function fragmentRanges(text: string, windows: ReadonlySet<string>): Range[] {
  const ranges: Range[] = [];
  for (let i = 0; i + MIN_FRAGMENT <= text.length; i++) {
    if (!windows.has(text.slice(i, i + MIN_FRAGMENT))) continue;
    const last = ranges[ranges.length - 1];
    if (last && i <= last[1]) last[1] = i + MIN_FRAGMENT;
    else ranges.push([i, i + MIN_FRAGMENT]);
  }
  return ranges;
}

function shapeRanges(text: string, shortSecrets: readonly string[]): Range[] {
  const ranges: Range[] = [];
  for (const shape of [JWT_SHAPE, API_KEY_SHAPE]) {
    for (const match of text.matchAll(shape)) ranges.push([match.index, match.index + match[0].length]);
  }
  for (const secret of shortSecrets) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) ranges.push([at, at + secret.length]);
  }
  return ranges;
}

/** `text` with each maximal run covered by `ranges` (overlapping or touching) replaced by one marker. */
function replaceRanges(text: string, ranges: Range[]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let cursor = 0;
  let [start, end] = ranges[0] as Range;
  for (const [from, to] of ranges) {
    if (from <= end) {
      end = Math.max(end, to);
      continue;
    }
    out += text.slice(cursor, start) + REDACTED;
    cursor = end;
    [start, end] = [from, to];
  }
  return out + text.slice(cursor, start) + REDACTED + text.slice(end);
}

/**
 * A function that cuts `secrets` out of a text: every run of {@link MIN_FRAGMENT} or more characters
 * found in one of them (as it is, or in base64 or base64url), every secret shorter than that as a
 * whole, and anything shaped like a JWT (a segment alone included) or an `sk-` key. Each maximal run
 * so covered becomes one `[redacted]`. The secrets are indexed once, here; the text is scanned in
 * one pass.
 *
 * @example
 * const redact = createSecretRedactor([apiKey, license.jwt]);
 * redact(`unknown key ${apiKey.slice(0, 24)}`); // 'unknown key [redacted]'
 */
export function createSecretRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  const { windows, short } = indexSecrets(secrets);
  return (text) => replaceRanges(text, [...fragmentRanges(text, windows), ...shapeRanges(text, short)]);
}
