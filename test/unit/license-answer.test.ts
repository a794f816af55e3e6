import { describe, expect, it } from 'vitest';
import { LicenseHttpError, LicenseResponseError } from '../../src/errors.js';
import type { HttpAnswer } from '../../src/net/http.js';
import { parseRetryAfter, readJwtAnswer } from '../../src/net/license-answer.js';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function answer(status: number, text: string, headers: HttpAnswer['headers'] = JSON_TYPE): HttpAnswer {
  return { status, headers, text };
}

function read(reply: HttpAnswer, allowNoContent = true): string | undefined {
  return readJwtAnswer(reply, { allowNoContent, now: NOW });
}

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('no error was thrown');
}

function httpError(reply: HttpAnswer, allowNoContent = true): LicenseHttpError {
  const error = thrownBy(() => read(reply, allowNoContent));
  expect(error).toBeInstanceOf(LicenseHttpError);
  expect((error as LicenseHttpError).code).toBe('ERR_LICENSE_HTTP');
  return error as LicenseHttpError;
}

function responseError(reply: HttpAnswer): LicenseResponseError {
  const error = thrownBy(() => read(reply));
  expect(error).toBeInstanceOf(LicenseResponseError);
  expect((error as LicenseResponseError).code).toBe('ERR_LICENSE_RESPONSE');
  return error as LicenseResponseError;
}

describe('readJwtAnswer', () => {
  it('returns the jwt of a 200 JSON answer', () => {
    expect(read(answer(200, '{"jwt":"aaa.bbb.ccc"}'))).toBe('aaa.bbb.ccc');
  });

  it('accepts a JSON answer whose content type has no charset', () => {
    expect(read(answer(200, '{"jwt":"aaa.bbb.ccc"}', { 'content-type': 'application/json' }))).toBe('aaa.bbb.ccc');
  });

  it('ignores other fields of the answer', () => {
    expect(read(answer(200, '{"jwt":"aaa.bbb.ccc","expires_in":3600}'))).toBe('aaa.bbb.ccc');
  });

  it('returns undefined for a 204 where no content is allowed (refresh: no change)', () => {
    expect(read(answer(204, '', {}), true)).toBeUndefined();
  });

  it('fails with HTTP 204 where no content is not allowed (API-key fetch)', () => {
    expect(httpError(answer(204, '', {}), false).status).toBe(204);
  });

  it.each([500, 502, 503, 504])('fails on HTTP %d with a LicenseHttpError carrying the status, as an unexpected HTTP status', (status) => {
    const error = httpError(answer(status, 'upstream down', { 'content-type': 'text/plain' }));
    expect(error.status).toBe(status);
    expect(error.isRejection).toBe(false);
    expect(error.message).toBe(`license server answered with unexpected HTTP status ${status}: upstream down`);
  });

  it('reports HTTP 401 as a rejection quoting the server message', () => {
    const error = httpError(answer(401, '{"message":"Invalid API key"}'));
    expect(error.status).toBe(401);
    expect(error.isRejection).toBe(true);
    expect(error.message).toBe('license server rejected the request with HTTP 401: Invalid API key');
  });

  it('reports HTTP 403 as a rejection, worded as an unexpected HTTP status quoting the server message', () => {
    // SoftClient4ES words every status but 401 as "unexpected HTTP status N"; for the schedule a 403 is still a refusal.
    const error = httpError(answer(403, '{"message":"license revoked"}'));
    expect(error.status).toBe(403);
    expect(error.isRejection).toBe(true);
    expect(error.message).toBe('license server answered with unexpected HTTP status 403: license revoked');
  });

  it('says only the status when the server gave no message', () => {
    expect(httpError(answer(401, '')).message).toBe('license server rejected the request with HTTP 401');
    expect(httpError(answer(503, '')).message).toBe('license server answered with unexpected HTTP status 503');
  });

  it('quotes a server message given as {message}', () => {
    expect(httpError(answer(400, '{"message":"body is not JSON"}')).message).toBe(
      'license server answered with unexpected HTTP status 400: body is not JSON',
    );
  });

  it('still quotes a server message given as {error}', () => {
    expect(httpError(answer(401, '{"error":"unknown API key"}')).message).toBe(
      'license server rejected the request with HTTP 401: unknown API key',
    );
  });

  it('hands the message of a 200 answer to onMessage, and still returns the jwt', () => {
    const messages: string[] = [];
    const jwt = readJwtAnswer(answer(200, '{"jwt":"aaa.bbb.ccc","message":"Your trial ends in 3 days"}'), {
      allowNoContent: false,
      now: NOW,
      onMessage: (message) => messages.push(message),
    });
    expect(jwt).toBe('aaa.bbb.ccc');
    expect(messages).toEqual(['Your trial ends in 3 days']);
  });

  it('calls onMessage for no 200 without a message, nor for a blank or non-string one', () => {
    const messages: string[] = [];
    for (const body of ['{"jwt":"aaa.bbb.ccc"}', '{"jwt":"aaa.bbb.ccc","message":"  "}', '{"jwt":"aaa.bbb.ccc","message":7}']) {
      readJwtAnswer(answer(200, body), { allowNoContent: false, now: NOW, onMessage: (message) => messages.push(message) });
    }
    expect(messages).toEqual([]);
  });

  it('cleans the message of a 200 answer like any server text: no credential sent, no control characters', () => {
    const messages: string[] = [];
    readJwtAnswer(answer(200, '{"jwt":"aaa.bbb.ccc","message":"hello sk-live_abc123\\n{\\"level\\":50}"}'), {
      allowNoContent: false,
      now: NOW,
      secrets: ['sk-live_abc123'],
      onMessage: (message) => messages.push(message),
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).not.toContain('sk-live_abc123');
    // eslint-disable-next-line no-control-regex -- control characters are what the message must not hold
    expect(messages[0]).not.toMatch(/[\n\r\u0000-\u001f\u007f]/);
    expect(messages[0]).toContain('hello [redacted]');
  });

  it('reads Retry-After in seconds', () => {
    expect(httpError(answer(503, '', { 'retry-after': '120' })).retryAfterMs).toBe(120_000);
  });

  it('reads Retry-After as an HTTP date', () => {
    const at = new Date(NOW + 90_000).toUTCString();
    expect(httpError(answer(429, '', { 'retry-after': at })).retryAfterMs).toBe(90_000);
  });

  it('has no retry delay when the server gave none', () => {
    expect(httpError(answer(503, '')).retryAfterMs).toBeUndefined();
  });

  it.each([
    ['a body that is not JSON', answer(200, '<html>oops</html>')],
    ['an empty body', answer(200, '')],
    ['a body without jwt', answer(200, '{"token":"aaa.bbb.ccc"}')],
    ['a jwt that is not a string', answer(200, '{"jwt":42}')],
    ['an empty jwt', answer(200, '{"jwt":""}')],
    ['a JSON null', answer(200, 'null')],
    ['a JSON array', answer(200, '["aaa.bbb.ccc"]')],
    ['content type text/html', answer(200, '{"jwt":"aaa.bbb.ccc"}', { 'content-type': 'text/html' })],
    ['no content type', answer(200, '{"jwt":"aaa.bbb.ccc"}', {})],
  ])('fails on a 200 with %s with a LicenseResponseError', (_, reply) => {
    responseError(reply);
  });

  it('keeps control characters and newlines of a server message out of the error', () => {
    const hostile = '{"error":"bad key\\n{\\"level\\":30,\\"msg\\":\\"license ok\\"}\\r\\u001b[31mred\\u0000"}';
    const error = httpError(answer(401, hostile));
    // eslint-disable-next-line no-control-regex -- control characters are what the message must not hold
    expect(error.message).not.toMatch(/[\n\r\u0000-\u001f\u007f]/);
    expect(error.message).toContain('bad key');
  });

  it('keeps control characters of a plain-text error body out of the error', () => {
    expect(httpError(answer(500, 'line one\nline two\r\n', { 'content-type': 'text/plain' })).message).not.toMatch(/[\n\r]/);
  });

  it('truncates a long server message', () => {
    const error = httpError(answer(500, JSON.stringify({ error: 'x'.repeat(10_000) })));
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('readJwtAnswer with the credentials sent', () => {
  it('cuts the API key out of a server message that echoes it', () => {
    const error = thrownBy(() =>
      readJwtAnswer(answer(401, '{"message":"unknown API key sk-live_abc123"}'), { allowNoContent: false, now: NOW, secrets: ['sk-live_abc123'] }),
    ) as LicenseHttpError;
    expect(error.message).not.toContain('sk-live_abc123');
    expect(error.message).toContain('unknown API key [redacted]');
  });

  it('cuts anything shaped like a JWT out of a server message', () => {
    const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJsaWMtMSJ9.c2lnbmF0dXJl';
    const error = thrownBy(() => read(answer(400, `bad token ${token}`))) as LicenseHttpError;
    expect(error.message).not.toContain('eyJzdWIiOiJsaWMtMSJ9');
    expect(error.message).toContain('bad token [redacted]');
  });
});

describe('readJwtAnswer with fragments of the credentials held', () => {
  const KEY = 'sk-live_7Qm2xK9pL4vN8rT1wZ6bY3cF5hJ0dG2s';
  const LICENSE = 'eyJhbGciOiJFZERTQSIsImtpZCI6Imlzc3VlciJ9.eyJzdWIiOiJsaWMtcHJvIn0.q3R8vYz1Lm0Wn5Xb7Kc2Tp9Hd4Fg6Js-Ua_Ee';
  const SIGNATURE = LICENSE.split('.')[2] as string;
  const held = { allowNoContent: false, now: NOW, secrets: [KEY, undefined, LICENSE] };

  it.each([
    ['a 24-character prefix of the key', 401, KEY.slice(0, 24)],
    ['the middle of the key', 403, KEY.slice(10, 30)],
    ['the key in base64', 500, Buffer.from(KEY).toString('base64')],
    ['the signature of a license held', 429, SIGNATURE],
  ])('cuts %s out of a %d message', (_, status, echo) => {
    const error = thrownBy(() => readJwtAnswer(answer(status, JSON.stringify({ message: `about ${echo}: no` })), held)) as LicenseHttpError;
    expect(error.message).toMatch(/: about \[redacted\]: no$/);
  });

  it('cuts a fragment out of the message of a 200 answer', () => {
    const messages: string[] = [];
    readJwtAnswer(answer(200, JSON.stringify({ jwt: 'aaa.bbb.ccc', message: `trial ends for ${KEY.slice(-12)}` })), { ...held, onMessage: (message) => messages.push(message) });
    expect(messages).toEqual(['trial ends for [redacted]']);
  });

  it('cuts a fragment out of a content type it quotes', () => {
    const error = thrownBy(() => readJwtAnswer(answer(200, '{}', { 'content-type': `text/${KEY.slice(3, 20)}` }), held)) as LicenseResponseError;
    expect(error).toBeInstanceOf(LicenseResponseError);
    expect(error.message).toBe('license server answered 200 with content type "text/[redacted]", not JSON');
  });

  it('cuts the message to 200 characters after redaction', () => {
    const error = thrownBy(() => readJwtAnswer(answer(500, JSON.stringify({ message: `${KEY.slice(0, 24)} ${'y'.repeat(300)}` })), held)) as LicenseHttpError;
    expect(error.message).toBe(`license server answered with unexpected HTTP status 500: [redacted] ${'y'.repeat(189)}…`);
  });
});

describe('parseRetryAfter', () => {
  it('is undefined when the header is absent', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it('reads whole seconds', () => {
    expect(parseRetryAfter(' 30 ', NOW)).toBe(30_000);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter(new Date(NOW + 3_600_000).toUTCString(), NOW)).toBe(3_600_000);
  });

  it('reads an HTTP date in the past as no wait', () => {
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
  });

  it('is undefined for a value that is neither', () => {
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
});
