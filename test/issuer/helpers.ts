/** Shared set-up for the reference issuer's tests: a server on a simulated clock and small HTTP helpers. */
import { afterEach, expect } from 'vitest';
import type { LicenseTemplate } from '../../src/issuer/mint.js';
import { startLicenseServer, type LicenseServer, type LicenseServerOptions } from '../../src/issuer/server.js';
import { T0 } from '../support/clocks.js';

export const HOUR = 3_600_000;
export const PRO: LicenseTemplate = { sub: 'lic-pro', tier: 'Pro', features: ['federation'], quotas: { max_clusters: 3 }, platform: 'linux' };
export const TOKEN_BODY = { instance_id: 'inst-1', version: '1.0.0', uptime_hours: 2 };

/** The simulated now of the servers started by {@link useLicenseServer}; reset after each test. */
export const clock = { now: T0 };

/** Registers an `afterEach` that closes the server, and returns a function that starts one. */
export function useLicenseServer(): (options?: LicenseServerOptions) => Promise<LicenseServer> {
  let server: LicenseServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    clock.now = T0;
  });
  return async (options = {}) => {
    server = await startLicenseServer({ now: () => clock.now, apiKeys: { 'sk-key-pro': PRO }, ...options });
    return server;
  };
}

export function post(url: string, authorization: string | undefined, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function jwtOf(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { jwt: string }).jwt;
}

export function refreshBody(licenseId: string): Record<string, unknown> {
  return { license_id: licenseId, instance_id: 'inst-1', version: '1.0.0', uptime_hours: 5 };
}
