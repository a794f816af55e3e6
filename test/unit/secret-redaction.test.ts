/**
 * The agent's one redaction rule: any run of 8 or more characters found in a secret (as it is, or
 * in base64 or base64url) is cut, as is anything shaped like a JWT or an `sk-` key; shorter runs are
 * ordinary text.
 */
import { describe, expect, it } from 'vitest';
import { createSecretRedactor, REDACTED } from '../../src/secret-redaction.js';

const KEY = 'sk-live_7Qm2xK9pL4vN8rT1wZ6bY3cF5hJ0dG2s';
const HEADER = 'eyJhbGciOiJFZERTQSIsImtpZCI6Imlzc3VlciJ9';
const PAYLOAD = 'eyJzdWIiOiJsaWMtcHJvIiwidGllciI6IlBybyJ9';
const SIGNATURE = 'q3R8vYz1Lm0Wn5Xb7Kc2Tp9Hd4Fg6Js-Ua_Ee';
const JWT = `${HEADER}.${PAYLOAD}.${SIGNATURE}`;
const redact = createSecretRedactor([KEY, JWT, undefined, '']);

describe('createSecretRedactor', () => {
  it('cuts a whole secret', () => {
    expect(redact(`bad key ${KEY}!`)).toBe(`bad key ${REDACTED}!`);
  });

  it.each([
    ['a 24-character prefix', KEY.slice(0, 24)],
    ['a suffix', KEY.slice(-9)],
    ['the middle', KEY.slice(12, 20)],
  ])('cuts %s of the key', (_, fragment) => {
    expect(redact(`bad key ${fragment} here`)).toBe(`bad key ${REDACTED} here`);
  });

  it('leaves a run of 7 characters of a secret, and cuts one of 8', () => {
    expect(redact(`x ${KEY.slice(12, 19)} y`)).toBe(`x ${KEY.slice(12, 19)} y`);
    expect(redact(`x ${KEY.slice(12, 20)} y`)).toBe(`x ${REDACTED} y`);
  });

  it('cuts fragments at the very start and the very end of the text', () => {
    expect(redact(`${KEY.slice(0, 10)} middle ${KEY.slice(-10)}`)).toBe(`${REDACTED} middle ${REDACTED}`);
  });

  it('makes one marker of overlapping or adjacent fragments, of one secret or of two', () => {
    expect(redact(`[${KEY.slice(0, 20)}${KEY.slice(10, 30)}]`)).toBe(`[${REDACTED}]`);
    expect(redact(`[${KEY.slice(5, 15)}${SIGNATURE.slice(3, 13)}]`)).toBe(`[${REDACTED}]`);
  });

  it('cuts each of two fragments apart', () => {
    expect(redact(`${KEY.slice(0, 9)} and ${KEY.slice(20, 29)}`)).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it.each([
    ['base64', Buffer.from(KEY).toString('base64')],
    ['base64url', Buffer.from(KEY).toString('base64url')],
    ['base64 of a middle slice', Buffer.from(KEY.slice(7, 31)).toString('base64')],
    ['base64url of a slice starting two bytes in', Buffer.from(KEY.slice(2, 26)).toString('base64url')],
  ])('cuts the key in %s', (_, encoded) => {
    expect(redact(`seen ${encoded}.`)).toBe(`seen ${REDACTED}.`);
  });

  it.each([
    ['header', HEADER],
    ['payload', PAYLOAD],
    ['signature', SIGNATURE],
    ['signature, 12 characters of it', SIGNATURE.slice(10, 22)],
  ])('cuts the %s segment of a JWT it holds, alone', (_, part) => {
    expect(redact(`token part ${part} refused`)).toBe(`token part ${REDACTED} refused`);
  });

  it('makes one marker of a whole JWT, dots included', () => {
    expect(redact(`Bearer ${JWT}`)).toBe(`Bearer ${REDACTED}`);
  });

  it('cuts a secret shorter than 8 characters as a whole only', () => {
    const short = createSecretRedactor(['sk-Ab12']);
    expect(short('key sk-Ab12 refused')).toBe(`key ${REDACTED} refused`);
    expect(short('key sk-Ab1 refused')).toBe('key sk-Ab1 refused');
  });

  it('cuts anything shaped like a JWT, known or not, a lone segment included', () => {
    const blind = createSecretRedactor([]);
    expect(blind('a eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln b')).toBe(`a ${REDACTED} b`);
    expect(blind('a eyJzdWIiOiIxIn0 b')).toBe(`a ${REDACTED} b`);
  });

  it.each([
    ['sk-', 'sk-AbC123xyz789QQ'],
    ['sk-live_', 'sk-live_0123456789abcdef'],
    ['sk_live_', 'sk_live_51HxYzAbCdEfGh'],
    ['sk_test_', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'],
  ])('cuts anything shaped like an API key (%s), known or not', (_, key) => {
    expect(createSecretRedactor([])(`key=${key}; retry`)).toBe(`key=${REDACTED}; retry`);
  });

  it('leaves words that only look a little like a key', () => {
    const blind = createSecretRedactor([]);
    for (const text of ['task-force of 12345678', 'desk-lamp12345678', 'sk-1234', 'ask_live_12345678']) expect(blind(text)).toBe(text);
  });

  it('leaves text with nothing secret in it as it is', () => {
    expect(redact('license revoked by the administrator on 2030-01-01')).toBe('license revoked by the administrator on 2030-01-01');
    expect(redact('')).toBe('');
  });
});
