/**
 * The one rule that picks the agent's mode from its configuration and what is known of the
 * configured JWT, as SoftClient4ES resolves it; before start nothing is verified yet.
 */
import { describe, expect, it } from 'vitest';
import { resolveMode, type ConfiguredJwt } from '../../src/agent/startup.js';

const KEY = { apiKey: 'sk-key' };
const NO_KEY = { apiKey: undefined };

describe('resolveMode', () => {
  it.each<[string, { apiKey: string | undefined }, ConfiguredJwt, string]>([
    ['a JWT in force wins over an API key', KEY, 'in-force', 'static-jwt'],
    ['an API key wins over a JWT past its grace period', KEY, 'lapsed', 'api-key'],
    ['a JWT past its grace period is kept when there is no API key', NO_KEY, 'lapsed', 'static-jwt'],
    ['an API key alone is API-key mode', KEY, undefined, 'api-key'],
    ['nothing usable is Community', NO_KEY, undefined, 'community'],
    ['before start, an API key comes before an unverified JWT', KEY, 'unverified', 'api-key'],
    ['before start, an unverified JWT alone is static-JWT mode', NO_KEY, 'unverified', 'static-jwt'],
  ])('%s', (_, config, jwt, mode) => {
    expect(resolveMode(config, jwt)).toBe(mode);
  });
});
