import { Agent, request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { T0 } from '../support/clocks.js';
import { post, TOKEN_BODY, useLicenseServer } from './helpers.js';

const start = useLicenseServer();

describe('HTTP edges', () => {
  it('answers 400 to a body that is not JSON', async () => {
    const s = await start();
    expect((await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-pro', '{not json')).status).toBe(400);
  });

  it('answers 404 to an unknown path', async () => {
    const s = await start();
    expect((await post(`${s.url}/v1/license/other`, 'Bearer sk-key-pro', TOKEN_BODY)).status).toBe(404);
  });

  it.each(['/v1/license/token', '/v1/license/refresh'])('answers 404 at the old path %s, whose endpoint moved under /api/v1/licenses', async (path) => {
    const s = await start();
    expect((await post(`${s.url}${path}`, 'Bearer sk-key-pro', TOKEN_BODY)).status).toBe(404);
  });

  it('answers 405 with Allow: POST to another method', async () => {
    const s = await start();
    const response = await fetch(`${s.url}/api/v1/licenses/token`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const s = await start();
    const response = await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-pro', { pad: 'x'.repeat(65 * 1024) });
    expect(response.status).toBe(413);
  });
});

describe('recording and faults', () => {
  it('records each request with its method, path, headers and parsed body', async () => {
    const s = await start();
    await post(`${s.url}/api/v1/licenses/token?x=1`, 'Bearer sk-key-pro', { ...TOKEN_BODY, telemetry: { queries: 4 } });
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/licenses/token',
      headers: { authorization: 'Bearer sk-key-pro', 'content-type': 'application/json' },
      body: { ...TOKEN_BODY, telemetry: { queries: 4 } },
      receivedAt: T0,
    });
    expect(JSON.parse(s.requests[0]!.rawBody)).toEqual(s.requests[0]!.body);
  });

  it('calls onRequest with each recorded request', async () => {
    const seen: unknown[] = [];
    const s = await start({ onRequest: (request) => seen.push(request.body) });
    await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-pro', TOKEN_BODY);
    expect(seen).toEqual([TOKEN_BODY]);
  });

  it('sends the response of a respondWith handler instead of the answer, and still records the request', async () => {
    const s = await start();
    s.respondWith(() => ({ status: 503, headers: { 'retry-after': '7' }, body: 'busy' }));
    const response = await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-pro', TOKEN_BODY);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.text()).toBe('busy');
    expect(s.requests).toHaveLength(1);
  });

  it('answers normally again once the handler is removed', async () => {
    const s = await start();
    s.respondWith(() => ({ status: 503 }));
    s.respondWith(undefined);
    expect((await post(`${s.url}/api/v1/licenses/token`, 'Bearer sk-key-pro', TOKEN_BODY)).status).toBe(200);
  });
});

describe('close()', () => {
  it('resolves promptly while a keep-alive connection is open', async () => {
    const s = await start();
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${s.url}/api/v1/licenses/token`, { method: 'POST', agent, headers: { authorization: 'Bearer sk-key-pro' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(JSON.stringify(TOKEN_BODY));
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);

    const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1_000).unref());
    expect(await Promise.race([s.close().then(() => 'closed' as const), timedOut])).toBe('closed');
    agent.destroy();
  });

  it('resolves promptly while a client is still sending a request body', async () => {
    const s = await start();
    const req = httpRequest(`${s.url}/api/v1/licenses/token`, { method: 'POST', headers: { 'content-length': '1000' } });
    const failed = new Promise((resolve) => req.on('error', resolve));
    req.write('{"instance_id":');
    // Give the server time to parse the headers, so the connection counts as active, not idle.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1_000).unref());
    expect(await Promise.race([s.close().then(() => 'closed' as const), timedOut])).toBe('closed');
    await failed;
  });

  it('resolves a second call too', async () => {
    const s = await start();
    await s.close();
    await expect(s.close()).resolves.toBeUndefined();
  });
});
