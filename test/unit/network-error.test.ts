import { describe, expect, it } from 'vitest';
import { LicenseNetworkError } from '../../src/errors.js';
import { errorCode, toNetworkError } from '../../src/net/http.js';

const URL_WITH_SECRETS = 'https://licenses.example.com:8443/api/v1/licenses/token?api_key=key-s3cret#frag';

/** A fetch failure as undici raises it: a TypeError whose cause is the system error. */
function undiciFailure(code: string, extra: Record<string, unknown> = {}): Error {
  const systemError = Object.assign(new Error(`connect ${code} 10.0.0.1:8443`), { code, ...extra });
  return new TypeError('fetch failed', { cause: systemError });
}

describe('errorCode', () => {
  it('reads the code of the error itself', () => {
    expect(errorCode({ code: 'UND_ERR_CONNECT_TIMEOUT' })).toBe('UND_ERR_CONNECT_TIMEOUT');
  });

  it('reads the code of a nested cause', () => {
    expect(errorCode({ cause: { code: 'ECONNREFUSED' } })).toBe('ECONNREFUSED');
  });

  it('prefers the innermost code', () => {
    expect(errorCode({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } })).toBe('ECONNRESET');
  });

  it('reads an AbortError without code as ABORT_ERR', () => {
    const abort = new Error('This operation was aborted');
    abort.name = 'AbortError';
    expect(errorCode(abort)).toBe('ABORT_ERR');
  });

  it('is undefined when nothing carries a code', () => {
    expect(errorCode(new Error('boom'))).toBeUndefined();
  });

  it('stops on a cycle of causes', () => {
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(errorCode(loop)).toBeUndefined();
  });
});

describe('toNetworkError', () => {
  it('names a connect timeout and the origin', () => {
    const error = toNetworkError({ code: 'UND_ERR_CONNECT_TIMEOUT' }, URL_WITH_SECRETS);
    expect(error).toBeInstanceOf(LicenseNetworkError);
    expect(error.code).toBe('ERR_LICENSE_NETWORK');
    expect(error.message).toContain('https://licenses.example.com:8443');
    expect(error.message).toContain('connect timeout');
  });

  it('names a refused connection found in a nested cause', () => {
    expect(toNetworkError({ cause: { code: 'ECONNREFUSED' } }, URL_WITH_SECRETS).message).toContain('connection refused');
  });

  it.each([
    ['UND_ERR_HEADERS_TIMEOUT', 'read timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'read timeout'],
    ['ENOTFOUND', 'unknown host'],
    ['ECONNRESET', 'connection reset'],
    ['CERT_HAS_EXPIRED', 'certificate expired'],
  ])('names the cause of %s', (code, words) => {
    expect(toNetworkError(undiciFailure(code), URL_WITH_SECRETS).message).toContain(words);
  });

  it('names an unknown code by the code itself', () => {
    expect(toNetworkError({ code: 'EWEIRD' }, URL_WITH_SECRETS).message).toContain('EWEIRD');
  });

  it('says the request failed when there is no code', () => {
    expect(toNetworkError(new Error('boom'), URL_WITH_SECRETS).message).toContain('request failed');
  });

  it('keeps the original error as its cause', () => {
    const original = undiciFailure('ECONNREFUSED');
    expect(toNetworkError(original, URL_WITH_SECRETS).cause).toBe(original);
  });

  it('never quotes the path, the query string or the fragment', () => {
    const message = toNetworkError(undiciFailure('ECONNREFUSED'), URL_WITH_SECRETS).message;
    expect(message).not.toMatch(/\/v1\/license|api_key|key-s3cret|frag/);
  });

  it('never quotes credentials of the URL', () => {
    const message = toNetworkError({ code: 'ECONNREFUSED' }, 'https://user:pa55word@licenses.example.com/refresh').message;
    expect(message).not.toMatch(/user|pa55word/);
  });

  it('never quotes headers or messages carried by the original error', () => {
    const failure = undiciFailure('UND_ERR_SOCKET', {
      headers: { authorization: 'ApiKey key-s3cret' },
      message: 'socket closed; Authorization: Bearer eyJhbGciOiJFZERTQSJ9.e30.sig',
    });
    const message = toNetworkError(failure, URL_WITH_SECRETS).message;
    expect(message).not.toMatch(/key-s3cret|Bearer|eyJ|ApiKey/);
  });
});
