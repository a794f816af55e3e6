/**
 * SoftClient4ES's resolution order over time, in simulated time against the reference server: a
 * configured JWT that verifies and is within grace wins over the API key, and hands over to the API
 * key once it lapses past grace.
 */
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, PRO, T0, useScheduleWorld } from './support/world.js';

describe('a configured JWT and an API key together', () => {
  const world = useScheduleWorld();

  /** A Pro license without refresh_url that expired 13 days before T0: one day of grace left. */
  function lapsingLicense(): Promise<string> {
    return world().server.mint({ ...PRO, sub: 'lic-static', tier: 'Enterprise', validFor: 7 * DAY }, T0 - 20 * DAY);
  }

  it('runs on the JWT while it is within grace, without calling the API key', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    const agent = await startAgent({ licenseKey: await lapsingLicense() });
    await advanceTo(T0 + DAY - HOUR);

    expect(requestTimes()).toEqual([]);
    expect(agent.status()).toMatchObject({ mode: 'static-jwt', tier: 'Enterprise', licenseId: 'lic-static', validity: 'grace' });
  });

  it('falls back to the API key the moment the JWT lapses past grace, and keeps using it', async () => {
    const { startAgent, advanceTo, requestTimes, server } = world();
    const agent = await startAgent({ licenseKey: await lapsingLicense() });
    await advanceTo(T0 + 3 * DAY);

    const times = requestTimes();
    expect(times[0]).toBe(DAY);
    expect(server.requests.every((request) => request.path === '/api/v1/licenses/token')).toBe(true);
    expect(agent.status()).toMatchObject({ mode: 'api-key', tier: 'Pro', licenseId: 'lic-pro', degraded: false });
  });
});
