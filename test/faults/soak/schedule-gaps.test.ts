/**
 * The two schedules behind the soak's gap invariant, found by it and pinned here deterministically
 * (simulated time, the real agent, the reference server, `random: () => 0`): no two requests closer
 * than the smallest allowed backoff, even where a kept regular tick or the start of a license's last
 * week meets a refresh that has just happened.
 */
import { describe, expect, it } from 'vitest';
import { FORCED_BACKOFF } from '../../../machines/schedule.js';
import { LAST_WEEK_MAX_INTERVAL_MS } from '../../../machines/validity.js';
import { gaps } from '../../e2e/support/harness.js';
import { API_KEY, DAY, HOUR, MINUTE, PRO, SECOND, T0, useScheduleWorld } from '../../schedule/support/world.js';

describe('a license inside its last 48 hours whose refreshes fail (forced refreshes back off)', () => {
  // 40-hour licenses: every refresh is a forced one's neighbour.
  const world = useScheduleWorld({ [API_KEY]: { ...PRO, validFor: 40 * HOUR } });
  // The regular tick lands 1 s after the sixth forced retry (backoffs 1, 2, 4, 8, 16 min).
  const INTERVAL = 31 * MINUTE + SECOND;

  it('sends no regular refresh within the forced backoff of a failed forced refresh', async () => {
    const { startAgent, advanceTo, server, requestTimes } = world();
    await startAgent({ refresh: { interval: INTERVAL, jitter: 0 } });
    server.respondWith(() => ({ status: 503, body: 'unavailable' }));

    await advanceTo(T0 + 2 * INTERVAL + MINUTE);

    expect(requestTimes().length).toBeGreaterThanOrEqual(7);
    expect(Math.min(...gaps(requestTimes()))).toBeGreaterThanOrEqual(FORCED_BACKOFF.initialMs * 0.8);
  });
});

describe('a static license refreshed with 204 (no change) as its last week begins', () => {
  const world = useScheduleWorld();
  // The fourth daily refresh comes 1 s before the license enters its last week.
  const EXP = T0 + 3 * DAY + SECOND + 7 * DAY;

  it('does not refresh again 1 s after a refresh when the last week begins', async () => {
    const { startAgent, advanceTo, server, requestTimes } = world();
    const licenseKey = await server.mint({ ...PRO, refresh_url: server.refreshUrl, exp: EXP / 1000 }, T0 - DAY);
    server.setRefreshAnswer('unchanged');
    await startAgent({ apiKey: undefined, licenseKey, refresh: { interval: '24h', jitter: 0 } });

    await advanceTo(T0 + 3 * DAY + HOUR);

    expect(requestTimes().slice(0, 4)).toEqual([0, DAY, 2 * DAY, 3 * DAY]);
    expect(Math.min(...gaps(requestTimes()))).toBeGreaterThanOrEqual(LAST_WEEK_MAX_INTERVAL_MS);
  });
});
