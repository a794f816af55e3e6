/**
 * The SHOW LICENSE and REFRESH LICENSE rows, with the real agent in simulated time: `showLicense()`
 * gives the row SoftClient4ES's SHOW LICENSE gives at each stage of a license's life (Active, early
 * grace, mid grace, degraded), with grace split at half its days, and `refreshLicense()` gives
 * REFRESH LICENSE's row.
 */
import { describe, expect, it } from 'vitest';
import type { LicenseAgentOptions } from '../../src/config/options.js';
import { mintExpiring } from './support/licenses.js';
import { DAY, HOUR, T0, useScheduleWorld } from './support/world.js';

/** Expiry, 40 days after start-up, at a whole second. */
const EXP = T0 + 40 * DAY;
const EXP_ISO = new Date(EXP).toISOString().replace('.000Z', 'Z');

describe('SHOW LICENSE through the life of a static Enterprise license (no refresh path)', () => {
  const world = useScheduleWorld();

  async function start(options: Partial<LicenseAgentOptions> = {}, expiresIn = EXP - T0) {
    const w = world();
    const licenseKey = await mintExpiring(w.server, expiresIn);
    const agent = await w.startAgent({ apiKey: undefined, licenseKey, ...options });
    return { ...w, agent };
  }

  it('is Active, with the quotas as strings and expires_at at seconds precision', async () => {
    const { agent } = await start();

    expect(agent.showLicense()).toEqual({
      license_type: 'Enterprise',
      trial: false,
      platform: 'PRODUCTION',
      max_materialized_views: '50',
      max_clusters: '5',
      max_result_rows: '1000000',
      max_joins: '20',
      expires_at: EXP_ISO,
      days_remaining: 40,
      status: 'Active',
    });
  });

  it('keeps the typed numbers in license() and quota(): the rows alone are text', async () => {
    const { agent } = await start();

    expect(agent.license().quotas).toMatchObject({ max_materialized_views: 50, max_clusters: 5 });
    expect(agent.quota('max_joins')).toBe(20);
  });

  it('says "Expired (3 days ago, in grace period)" three days into a 14-day grace', async () => {
    const { agent, advanceTo } = await start();

    await advanceTo(EXP + 3 * DAY + HOUR);

    expect(agent.showLicense()).toMatchObject({
      license_type: 'Enterprise',
      status: 'Expired (3 days ago, in grace period)',
      expires_at: EXP_ISO,
      days_remaining: -3,
    });
  });

  it('says "Expired (10 days ago, 4 days until Community fallback)" ten days into a 14-day grace', async () => {
    const { agent, advanceTo } = await start();

    await advanceTo(EXP + 10 * DAY + HOUR);

    expect(agent.showLicense()).toMatchObject({
      license_type: 'Enterprise',
      status: 'Expired (10 days ago, 4 days until Community fallback)',
      days_remaining: -10,
    });
  });

  it('switches from the early to the mid text at exactly exp + 7 d of a 14-day grace', async () => {
    const { agent, advanceTo } = await start();

    await advanceTo(EXP + 7 * DAY - 1);
    expect(agent.showLicense().status).toBe('Expired (6 days ago, in grace period)');
    await advanceTo(EXP + 7 * DAY);

    expect(agent.showLicense().status).toBe('Expired (7 days ago, 7 days until Community fallback)');
  });

  it('is still in early grace ten days into a 30-day grace, and mid from day 15', async () => {
    const { agent, advanceTo } = await start({ gracePeriod: '30d' });

    await advanceTo(EXP + 10 * DAY);
    expect(agent.showLicense().status).toBe('Expired (10 days ago, in grace period)');
    await advanceTo(EXP + 20 * DAY);

    expect(agent.showLicense().status).toBe('Expired (20 days ago, 10 days until Community fallback)');
  });

  it('is "Community (degraded)" on Community terms once grace is over', async () => {
    const { agent, advanceTo } = await start();

    await advanceTo(EXP + 14 * DAY);

    expect(agent.showLicense()).toEqual({
      license_type: 'Community (degraded)',
      trial: false,
      platform: 'PRODUCTION',
      max_materialized_views: '1',
      max_clusters: '1',
      max_result_rows: '10000',
      max_joins: '2',
      expires_at: 'never',
      days_remaining: -1,
      status: 'Active',
    });
  });

  it('says the grace text at once when started in mid grace', async () => {
    const { agent } = await start({}, -9 * DAY - HOUR);

    expect(agent.showLicense().status).toBe('Expired (9 days ago, 5 days until Community fallback)');
  });

  it('shows a trial license as "Pro (trial)"', async () => {
    const w = world();
    const licenseKey = await mintExpiring(w.server, EXP - T0, { tier: 'Pro', trial: true });
    const agent = await w.startAgent({ apiKey: undefined, licenseKey });

    expect(agent.showLicense()).toMatchObject({ license_type: 'Pro (trial)', trial: true });
  });
});

describe('REFRESH LICENSE', () => {
  const world = useScheduleWorld();

  it('answers Refreshed with an empty message when the refresh succeeds', async () => {
    const agent = await world().startAgent();

    const row = await agent.refreshLicense();

    expect(row).toMatchObject({ previous_tier: 'Pro', new_tier: 'Pro', trial: false, status: 'Refreshed', message: '' });
    expect(row.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('answers Failed with the reason when the server is down', async () => {
    const { startAgent, server } = world();
    const agent = await startAgent();
    server.respondWith(() => ({ status: 503, body: 'down' }));

    const row = await agent.refreshLicense();

    expect(row).toMatchObject({ previous_tier: 'Pro', new_tier: 'Pro', status: 'Failed' });
    expect(row.message).not.toBe('');
  });

  it('answers the Community refusal without a request when there is no license', async () => {
    const { startAgent, server } = world();
    const agent = await startAgent({ apiKey: undefined });
    const before = server.requests.length;

    expect(await agent.refreshLicense()).toEqual({
      previous_tier: 'Community',
      new_tier: 'Community',
      trial: false,
      expires_at: 'never',
      status: 'Failed',
      message: 'License refresh is not supported in Community mode',
    });
    expect(server.requests).toHaveLength(before);
  });
});
