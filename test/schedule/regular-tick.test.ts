/**
 * The regular tick in simulated time: API-key mode with the default 24-hour interval fetches at
 * start-up, then once per interval, never early beyond the jitter and never late.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLicenseClaims } from '../../src/issuer/index.js';
import { DAY, HOUR, SECOND, T0, useScheduleWorld } from './support/world.js';

describe('the regular 24-hour tick (API-key mode, default interval)', () => {
  const world = useScheduleWorld();

  it('fetches a license at start-up', async () => {
    const { startAgent, requestTimes } = world();
    const agent = await startAgent();

    expect(requestTimes()).toEqual([0]);
    expect(agent.status().tier).toBe('Pro');
  });

  it('makes no request between start-up and one second before the interval', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + DAY - SECOND);

    expect(requestTimes()).toEqual([0]);
  });

  it('fetches again exactly 24 hours after start-up when the jitter draws 0', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + DAY);

    expect(requestTimes()).toEqual([0, DAY]);
  });

  it('fetches again 48 hours after start-up', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + 2 * DAY - SECOND);
    expect(requestTimes()).toEqual([0, DAY]);
    await advanceTo(T0 + 2 * DAY);

    expect(requestTimes()).toEqual([0, DAY, 2 * DAY]);
  });

  it('makes exactly 11 requests over 10 simulated days, one per day', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent();

    await advanceTo(T0 + 10 * DAY);

    expect(requestTimes()).toEqual(Array.from({ length: 11 }, (_, day) => day * DAY));
  });

  it('writes the license fetched at the 24-hour tick to the disk cache', async () => {
    const { startAgent, advanceTo, stateDir } = world();
    const agent = await startAgent();
    await advanceTo(T0 + DAY);
    await agent.stop();

    const jwt = await readFile(path.join(stateDir, 'license-cache.jwt'), 'utf8');
    const state = JSON.parse(await readFile(path.join(stateDir, 'license-state.json'), 'utf8')) as { api_key: { fetched_at: string } };
    expect(state.api_key.fetched_at).toBe(new Date(T0 + DAY).toISOString());
    expect(decodeLicenseClaims(jwt).iat).toBe((T0 + DAY) / 1000);
  });

  it('reports the uptime from the agent clock in the body of the 24-hour tick', async () => {
    const { startAgent, advanceTo, server } = world();
    await startAgent();

    await advanceTo(T0 + DAY);

    expect(server.requests.map((request) => (request.body as { uptime_hours: number }).uptime_hours)).toEqual([0, 24]);
  });

  it('comes at most 5% early with the default jitter: the delay lies within [22.8 h, 24 h]', async () => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent({ random: () => 0.999 });

    await advanceTo(T0 + DAY);

    const [first, second] = requestTimes();
    expect(requestTimes()).toHaveLength(2);
    const delay = (second as number) - (first as number);
    expect(delay).toBeGreaterThanOrEqual(22.8 * HOUR);
    expect(delay).toBeLessThan(DAY);
  });

  it.each([
    [0, DAY],
    [0.5, Math.round(DAY * (1 - 0.5 * 0.5))],
    [0.999, Math.round(DAY * (1 - 0.999 * 0.5))],
  ])('with the jitter option at 0.5 and a draw of %s, waits exactly %i ms: early by up to half the interval, never late', async (draw, delay) => {
    const { startAgent, advanceTo, requestTimes } = world();
    await startAgent({ refresh: { jitter: 0.5 }, random: () => draw });

    await advanceTo(T0 + delay - 1);
    expect(requestTimes()).toEqual([0]);
    await advanceTo(T0 + delay);
    expect(requestTimes()).toEqual([0, delay]);
  });
});
