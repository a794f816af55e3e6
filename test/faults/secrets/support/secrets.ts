/**
 * What counts as a secret, and how a test proves a text holds none: the API keys used, every JWT
 * configured, sent or received (in full, its unsigned part, or any 20 characters of its signature),
 * and any `Authorization` value (a scheme followed by anything but the redaction marker). A server
 * that echoes a whole header may be quoted as `Bearer [redacted]`: the scheme alone is no secret.
 */
import { expect } from 'vitest';
import type { FrontExchange } from '../../soak/support/front.js';

/** Any 20 consecutive characters of a signature are enough to call it leaked. */
export const SIGNATURE_WINDOW = 20;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
/** Anything shaped like a JWT, known to the test or not. */
const JWT_SHAPE = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}/;
/** An Authorization value: a scheme and credentials other than our redaction marker. */
const AUTHORIZATION_VALUE = /\b(?:Bearer|ApiKey)\s+(?!\[redacted\])[^\s"\\]/i;

/** The secrets of one scenario, gathered as it runs. */
export class SecretBook {
  readonly #secrets = new Set<string>();

  add(...secrets: ReadonlyArray<string | undefined>): this {
    for (const secret of secrets) if (secret) this.#secrets.add(secret);
    return this;
  }

  /** The credentials the agent sent and every JWT it received, as a front saw them. */
  addExchanges(exchanges: readonly FrontExchange[]): this {
    for (const exchange of exchanges) {
      this.add(exchange.authorization?.replace(/^\S+\s+/, ''));
      for (const jwt of exchange.responseText?.match(/[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/g) ?? []) this.add(jwt);
    }
    return this;
  }

  get all(): readonly string[] {
    return [...this.#secrets];
  }

  get size(): number {
    return this.#secrets.size;
  }
}

/** The strings that must not appear for `secret`: itself and, for a JWT, its parts. */
export function fragmentsOf(secret: string): string[] {
  if (!JWT.test(secret)) return [secret];
  const [header, payload, signature] = secret.split('.') as [string, string, string];
  const fragments = [secret, `${header}.${payload}`];
  for (let i = 0; i + SIGNATURE_WINDOW <= signature.length; i++) fragments.push(signature.slice(i, i + SIGNATURE_WINDOW));
  return fragments;
}

/** Asserts that `text` holds no secret of `book`, no JWT at all and no Authorization value. */
export function expectNoSecret(text: string, book: SecretBook, where: string): void {
  expect(book.size, 'the scenario gathered its secrets').toBeGreaterThan(0);
  for (const secret of book.all) {
    for (const fragment of fragmentsOf(secret)) {
      if (text.includes(fragment)) {
        const at = text.indexOf(fragment);
        expect.fail(`${where} holds a secret (${fragment.slice(0, 12)}…) in: …${text.slice(Math.max(0, at - 80), at + 40)}…`);
      }
    }
  }
  expect(text, `${where} holds something shaped like a JWT`).not.toMatch(JWT_SHAPE);
  expect(text, `${where} holds an Authorization value`).not.toMatch(AUTHORIZATION_VALUE);
}
