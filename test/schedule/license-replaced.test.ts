/**
 * A configured license replaced while the agent runs (`license.replaced`: its license file changed),
 * on the statechart alone in simulated time: the replacement is in force at once, static-JWT mode
 * from then on, its schedule counted from its own `iat` as at a restart, and its validity decided
 * afresh.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VerifiedLicense } from '../../src/license/claims.js';
import { httpFailure, licenseAt, runMachine } from './support/machine.js';
import { DAY, HOUR, T0 } from './support/world.js';

const REFRESH_URL = 'https://license.example.test/api/v1/licenses/refresh';

/** A license issued at `issuedAt` for a year, refreshable at `REFRESH_URL` unless told otherwise. */
function fileLicense(issuedAt: number, options: { refreshUrl?: string | undefined; expiresAt?: number } = {}): VerifiedLicense {
  const base = licenseAt(issuedAt, options.expiresAt ?? issuedAt + 365 * DAY);
  const refreshUrl = 'refreshUrl' in options ? options.refreshUrl : REFRESH_URL;
  return { jwt: `${base.jwt}-file`, claims: { ...base.claims, sub: 'lic-file', refresh_url: refreshUrl } };
}

describe('license.replaced', () => {
  let machine: ReturnType<typeof runMachine> | undefined;
  afterEach(() => machine?.stop());

  it('refreshes the replacement one interval after its iat, not on the schedule of the license it replaced', async () => {
    machine = runMachine({ input: { mode: 'static-jwt', needsFirstLicense: false, license: fileLicense(T0) }, answer: () => undefined });
    await machine.advanceTo(T0 + 5 * HOUR);

    machine.actor.send({ type: 'license.replaced', license: fileLicense(T0 + 5 * HOUR) });
    await machine.advanceTo(T0 + 2 * DAY);

    expect(machine.calls.map((call) => call.at)).toEqual([DAY + 5 * HOUR]);
    expect(machine.actor.getSnapshot().context.license?.jwt).toBe(fileLicense(T0 + 5 * HOUR).jwt);
  });

  it('stops refreshing when the replacement has no refresh_url', async () => {
    machine = runMachine({ input: { mode: 'static-jwt', needsFirstLicense: false, license: fileLicense(T0) }, answer: () => undefined });

    machine.actor.send({ type: 'license.replaced', license: fileLicense(T0, { refreshUrl: undefined }) });
    await machine.advanceTo(T0 + 3 * DAY);

    expect(machine.state()).toBe('offline');
    expect(machine.calls).toEqual([]);
  });

  it('ends the API key\'s first-license retries: static-JWT mode, with the key as its fallback again', async () => {
    machine = runMachine({ answer: () => { throw httpFailure(503); } });
    await machine.advanceTo(T0 + 2 * 60_000);
    const retries = machine.calls.length;
    expect(retries).toBeGreaterThan(1);

    machine.actor.send({ type: 'license.replaced', license: fileLicense(T0 + 2 * 60_000, { refreshUrl: undefined }) });
    await machine.advanceTo(T0 + DAY);

    expect(machine.calls.length).toBe(retries);
    expect(machine.state()).toBe('offline');
    expect(machine.actor.getSnapshot().context).toMatchObject({ mode: 'static-jwt', apiKeyFallback: true, failures: 0 });
  });

  it('leaves Community mode for the replacement\'s tier, with no API key to fall back on', () => {
    machine = runMachine({ input: { mode: 'community', needsFirstLicense: false }, answer: () => undefined });

    machine.actor.send({ type: 'license.replaced', license: fileLicense(T0, { refreshUrl: undefined }) });

    expect(machine.actor.getSnapshot().context).toMatchObject({ mode: 'static-jwt', apiKeyFallback: false });
    expect(machine.validity()).toBe('valid.longTerm');
  });

  it('restores a degraded license: the validity stage is decided afresh for the replacement', async () => {
    const lapsed = fileLicense(T0 - 40 * DAY, { refreshUrl: undefined, expiresAt: T0 - 20 * DAY });
    machine = runMachine({ input: { mode: 'static-jwt', needsFirstLicense: false, license: lapsed }, answer: () => undefined });
    expect(machine.validity()).toBe('degraded');

    machine.actor.send({ type: 'license.replaced', license: fileLicense(T0, { refreshUrl: undefined, expiresAt: T0 + 10 * DAY }) });

    expect(machine.validity()).toBe('valid.withinMonth');
    expect(machine.validityLogs.map((log) => log.kind)).toEqual(['degraded', 'month']);
  });
});
