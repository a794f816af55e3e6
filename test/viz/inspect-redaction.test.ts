/**
 * The deep redaction every inspection event goes through before it leaves the process: no JWT, API
 * key, license key or authorization value may reach Stately's inspector.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../../src/inspector/inspector.js';

const JWT = 'eyJhbGciOiJFZERTQSIsImtpZCI6Imlzc3VlciJ9.eyJzdWIiOiJsaWMtcHJvIiwidGllciI6IlBybyJ9.c2lnbmF0dXJlLWJ5dGVz';
const API_KEY = 'sk-live_0123456789abcdef';
const LICENSE_KEY = 'static-license-key-text';

describe('the inspection redaction', () => {
  const redact = createRedactor([API_KEY, LICENSE_KEY]);

  it('replaces a JWT wherever it appears in a string', () => {
    expect(redact({ message: `Bearer ${JWT} was refused`, list: [JWT] })).toEqual({ message: `Bearer ${REDACTED} was refused`, list: [REDACTED] });
  });

  it('replaces the values of jwt, token, apiKey and authorization keys at any depth', () => {
    const event = { a: { b: { jwt: 'x', accessToken: 'y', apiKey: 'z', headers: { Authorization: 'ApiKey k' } } } };
    expect(redact(event)).toEqual({ a: { b: { jwt: REDACTED, accessToken: REDACTED, apiKey: REDACTED, headers: { Authorization: REDACTED } } } });
  });

  it('replaces the configured API key and license key inside any string, keys included', () => {
    const event = { note: `key ${API_KEY} and ${LICENSE_KEY}`, [API_KEY]: 1 };
    expect(JSON.stringify(redact(event))).not.toMatch(new RegExp(`${API_KEY}|${LICENSE_KEY}`));
  });

  it('replaces a fragment of the API key, and the signature of the license key alone, inside any string', () => {
    const redactLicensed = createRedactor([API_KEY, JWT]);
    const event = { message: `refused ${API_KEY.slice(0, 12)} and ${JWT.split('.')[2]}` };
    expect(redactLicensed(event)).toEqual({ message: `refused ${REDACTED} and ${REDACTED}` });
  });

  it('redacts the verified license a fetch actor returns', () => {
    const done = { type: 'xstate.done.actor.regularFetch', output: { jwt: JWT, claims: { sub: 'lic-pro', tier: 'Pro' } } };
    expect(redact(done)).toEqual({ type: 'xstate.done.actor.regularFetch', output: { jwt: REDACTED, claims: { sub: 'lic-pro', tier: 'Pro' } } });
  });

  it('keeps what an error says, without the secret in its message', () => {
    const error = Object.assign(new Error(`refused key ${API_KEY}`), { code: 'ERR_LICENSE_HTTP' });
    expect(redact({ error })).toEqual({ error: { name: 'Error', message: `refused key ${REDACTED}`, code: 'ERR_LICENSE_HTTP' } });
  });

  it('copies a cyclic structure without looping', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node['self'] = node;
    expect(redact(node)).toEqual({ name: 'root', self: '[circular]' });
  });
});
