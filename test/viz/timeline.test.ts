/**
 * `visualizations/timeline.svg` is drawn from a 60-day run of the real agent against the reference
 * server in simulated time. The run takes several seconds, so it has its own test: it runs the
 * scenario once, checks the story the agent lived through, and fails when the committed picture is
 * not what `npm run viz:timeline` draws.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DAY, EXPIRY_THRESHOLD_MS } from '../../machines/schedule.js';
import { readCommitted } from '../../scripts/viz/files.js';
import { drawTimeline } from '../../scripts/viz/timeline/draw.js';
import { runTimeline, STORY, type TimelineRecord } from '../../scripts/viz/timeline/scenario.js';

describe('the 60-day timeline', () => {
  let record: TimelineRecord;
  beforeAll(async () => {
    record = await runTimeline();
  }, 60_000);

  const statesOf = (region: string) => record.changes.filter((change) => change.region === region);
  const firstAt = (region: string, state: string) => statesOf(region).find((change) => change.state === state)?.at;

  it('fails the regular refreshes of the 2-day outage with the 503 and recovers after it', () => {
    const during = record.requests.filter((request) => request.at >= STORY.outageFrom && request.at < STORY.outageUntil);
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during.every((request) => request.outcome === 'failed' && request.reason === 'HTTP 503')).toBe(true);
    expect(record.requests.find((request) => request.at >= STORY.outageUntil)?.outcome).toBe('renewed');
  });

  it('starts forcing refreshes 48 hours before the license that is no longer renewed expires', () => {
    const [expiry] = record.expiries;
    const firstForced = record.requests.find((request) => request.forced);
    expect(expiry).toBeDefined();
    expect(firstForced?.at).toBe((expiry?.at ?? 0) - EXPIRY_THRESHOLD_MS);
  });

  it('goes through grace to degraded, then restores the tier with the license issued on day 40', () => {
    const expiry = record.expiries[0]?.at ?? Number.NaN;
    expect(firstAt('validity', 'grace.early')).toBe(expiry);
    expect(firstAt('validity', 'degraded')).toBe(expiry + 14 * DAY);
    const tiers = statesOf('tier').filter((change) => change.at > expiry).map((change) => change.state);
    expect(tiers).toContain('Community (degraded)');
    const restored = statesOf('tier').find((change) => change.at >= STORY.newLicenseAt);
    expect(restored?.state).toBe('Pro');
    expect(restored?.at).toBeLessThanOrEqual(STORY.newLicenseAt + 1.5 * 60 * 60 * 1000);
  });

  it('has visualizations/timeline.svg as npm run viz:timeline draws it', async () => {
    const committed = await readCommitted('timeline.svg');
    const hint = 'visualizations/timeline.svg is out of date with the agent: run `npm run viz:timeline` and commit the result';
    expect(committed, `${hint} (the file is missing)`).toBeDefined();
    if (committed !== drawTimeline(record)) expect.fail(hint);
  });
});
