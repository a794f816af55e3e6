/**
 * The shape of an API key, checked before any request: SoftClient4ES's keys start with `sk-`, and a
 * key that does not is a configuration mistake (a license JWT in the wrong variable, a placeholder)
 * that the license server would only answer with a 401, after a round trip, every interval.
 */
export const API_KEY_PREFIX = 'sk-';

/** Why `apiKey` cannot be an API key, or `undefined` when it can. Never quotes the key. */
export function apiKeyProblem(apiKey: string): string | undefined {
  if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length === API_KEY_PREFIX.length) {
    return `invalid API key format: an API key starts with "${API_KEY_PREFIX}" followed by the key itself`;
  }
  if (/[^\x21-\x7e]/.test(apiKey)) return 'invalid API key format: it holds spaces or characters that cannot go in an HTTP header';
  return undefined;
}
