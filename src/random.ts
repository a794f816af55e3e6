/**
 * Random ids and file-name suffixes from WebCrypto (`globalThis.crypto`). The start path needs
 * nothing more, and `node:crypto` would cost about 3 ms of start-up to load (WebCrypto is there
 * already: the license verification uses it).
 */

/** A random version-4 UUID. */
export function randomUUID(): string {
  return globalThis.crypto.randomUUID();
}

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

/** The SHA-256 of `text` (UTF-8) as lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Buffer.from(digest).toString('hex');
}
