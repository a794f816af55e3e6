/**
 * The telemetry actor owns the usage figures: the hot path increments its tally in place, gauges
 * reach it as events, the usage channels feed it exactly while it runs, and a body's snapshot is
 * read from it. Recording before start and after stop neither throws, warns, nor loses anything.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { CHANNELS } from '../../src/channels.js';
import { countersOf, createTelemetryActor, reportUsage, type TelemetryActor } from '../../src/telemetry/telemetry-actor.js';

const query = diagnostics_channel.channel(CHANNELS.query);
const join = diagnostics_channel.channel(CHANNELS.join);
const views = diagnostics_channel.channel(CHANNELS.materializedViews);
const clusters = diagnostics_channel.channel(CHANNELS.clusters);

let actor: TelemetryActor;
let warn: MockInstance;

beforeEach(() => {
  actor = createTelemetryActor();
  warn = vi.spyOn(console, 'warn');
});

afterEach(() => {
  actor.stop();
  expect(warn).not.toHaveBeenCalled();
  warn.mockRestore();
});

/** Lets a queued gauge delivery (one microtask) reach the actor. */
const delivered = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the telemetry actor', () => {
  it('puts a usage.gauge event into the snapshot', () => {
    actor.start();
    actor.send({ type: 'usage.gauge', gauge: 'mvs_active', value: 4 });
    actor.send({ type: 'usage.gauge', gauge: 'clusters_connected', value: 2 });
    expect(reportUsage(actor)).toEqual({ queries_total: 0, joins_total: 0, mvs_active: 4, clusters_connected: 2 });
  });

  it('receives the gauges the server sets as usage.gauge events, the last value of a burst once', async () => {
    actor.start();
    const send = vi.spyOn(actor, 'send');
    for (let views = 1; views <= 100; views++) countersOf(actor).setMaterializedViews(views);
    countersOf(actor).setClustersConnected(3);
    await delivered();
    expect(send.mock.calls).toEqual([
      [{ type: 'usage.gauge', gauge: 'mvs_active', value: 100 }],
      [{ type: 'usage.gauge', gauge: 'clusters_connected', value: 3 }],
    ]);
    expect(actor.getSnapshot().context.gauges).toEqual({ mvs_active: 100, clusters_connected: 3 });
  });

  it('reports a gauge in the snapshot taken right after it is set', () => {
    actor.start();
    countersOf(actor).setClustersConnected(5);
    expect(reportUsage(actor).clusters_connected).toBe(5);
  });

  it('shows a hot-path increment in the next snapshot, with no event sent', () => {
    actor.start();
    const send = vi.spyOn(actor, 'send');
    const counters = countersOf(actor);
    counters.recordQuery();
    counters.recordQueries(4);
    counters.recordJoin();
    counters.recordJoins(2);
    expect(reportUsage(actor)).toMatchObject({ queries_total: 5, joins_total: 3 });
    const { recorder } = actor.getSnapshot().context;
    expect([recorder.queries, recorder.joins]).toEqual([5, 3]);
    expect(send).not.toHaveBeenCalled();
  });

  it('hands out the same recorder for the life of the actor', () => {
    const before = countersOf(actor);
    actor.start();
    actor.send({ type: 'usage.gauge', gauge: 'mvs_active', value: 1 });
    expect(countersOf(actor)).toBe(before);
  });
});

describe('recording while the actor does not run', () => {
  it('keeps counts and gauges recorded before start, and delivers the gauges to the actor on start', () => {
    const counters = countersOf(actor);
    counters.recordQuery();
    counters.recordJoins(2);
    counters.setMaterializedViews(3);
    counters.setClustersConnected(1);
    expect(counters.snapshot()).toEqual({ queries_total: 1, joins_total: 2, mvs_active: 3, clusters_connected: 1 });
    actor.start();
    expect(actor.getSnapshot().context.gauges).toEqual({ mvs_active: 3, clusters_connected: 1 });
    expect(reportUsage(actor)).toEqual({ queries_total: 1, joins_total: 2, mvs_active: 3, clusters_connected: 1 });
  });

  it('remembers a gauge set after stop, without a warning', () => {
    actor.start();
    actor.stop();
    countersOf(actor).setClustersConnected(2);
    countersOf(actor).recordQuery();
    expect(reportUsage(actor)).toMatchObject({ queries_total: 1, clusters_connected: 2 });
  });

  it('remembers a gauge set on an actor stopped before it ever started, without a warning', async () => {
    actor.stop();
    countersOf(actor).setMaterializedViews(6);
    await delivered();
    expect(reportUsage(actor).mvs_active).toBe(6);
  });
});

describe('the usage channels', () => {
  it('feed the actor only while it runs', async () => {
    query.publish({});
    actor.start();
    query.publish({});
    query.publish({ count: 3 });
    join.publish(undefined);
    views.publish({ count: 2 });
    clusters.publish({ count: 1 });
    await delivered();
    expect(actor.getSnapshot().context.gauges).toEqual({ mvs_active: 2, clusters_connected: 1 });
    actor.stop();
    query.publish({ count: 10 });
    join.publish({});
    views.publish({ count: 9 });
    expect(reportUsage(actor)).toEqual({ queries_total: 4, joins_total: 1, mvs_active: 2, clusters_connected: 1 });
  });

  it('are subscribed on start and unsubscribed on stop', () => {
    const channels = [query, join, views, clusters];
    expect(channels.some((channel) => channel.hasSubscribers)).toBe(false);
    actor.start();
    expect(channels.every((channel) => channel.hasSubscribers)).toBe(true);
    actor.stop();
    expect(channels.some((channel) => channel.hasSubscribers)).toBe(false);
  });

  it('add a count message to the tally with no event, and ignore a gauge message without a number', async () => {
    actor.start();
    const send = vi.spyOn(actor, 'send');
    query.publish({ count: 2 });
    views.publish({ count: 'many' });
    clusters.publish(null);
    await delivered();
    expect(send).not.toHaveBeenCalled();
    expect(reportUsage(actor)).toEqual({ queries_total: 2, joins_total: 0, mvs_active: 0, clusters_connected: 0 });
  });
});
