/**
 * Microbenchmark plumbing shared by the hot-path suites: interleaved timed rounds with medians,
 * and an allocation check (heap growth and garbage collections over a long run of calls).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { gc, nextTurn, sleep } from './suite.js';
import { median } from './stats.js';

export interface Contender {
  readonly name: string;
  /** Calls per round: enough for a round to last tens of milliseconds. */
  readonly calls: number;
  /** Makes `calls` calls; returns something derived from the results, so nothing is dead code. */
  readonly run: (calls: number) => number;
}

export interface Timing {
  readonly name: string;
  readonly calls: number;
  /** Nanoseconds per call, one figure per measured round. */
  readonly rounds: readonly number[];
  readonly median: number;
  /** Sum of what the runs returned: printed into the results so the work is observably used. */
  readonly checksum: number;
}

/**
 * Warm-up rounds, then measured rounds; each round runs every contender once, in an order rotated
 * from round to round, so that drift on a shared machine is spread over all of them.
 */
export function timeInterleaved(contenders: readonly Contender[], options: { warmup: number; rounds: number }): Timing[] {
  const samples = contenders.map(() => [] as number[]);
  const checksums = contenders.map(() => 0);
  for (let round = 0; round < options.warmup + options.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (k + round) % contenders.length;
      const contender = contenders[index] as Contender;
      const started = performance.now();
      const result = contender.run(contender.calls);
      const elapsed = performance.now() - started;
      checksums[index] = (checksums[index] as number) + result;
      if (round >= options.warmup) (samples[index] as number[]).push((elapsed * 1e6) / contender.calls);
    }
  }
  return contenders.map((contender, index) => ({
    name: contender.name,
    calls: contender.calls,
    rounds: samples[index] as number[],
    median: median(samples[index] as number[]),
    checksum: checksums[index] as number,
  }));
}

export interface Allocation {
  readonly calls: number;
  /** heapUsed after the calls minus before, with no collection forced in between. */
  readonly heapGrowthBytes: number;
  readonly bytesPerCall: number;
  /** Garbage collections V8 ran during the calls: any allocation per call would force scavenges. */
  readonly collections: number;
  /** heapUsed after a full collection, minus before the calls: what the calls left behind. */
  readonly retainedBytes: number;
}

/** Heap growth and collections over `calls` calls (run warm: after the timing rounds). */
export async function measureAllocation(run: (calls: number) => number, calls: number): Promise<Allocation> {
  let collections = 0;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  gc();
  observer.observe({ entryTypes: ['gc'] });
  await nextTurn();
  // Entries of the forced collections above may still be queued: let them arrive, then count from zero.
  await sleep(5);
  collections = 0;
  const before = process.memoryUsage().heapUsed;
  run(calls);
  const after = process.memoryUsage().heapUsed;
  await sleep(20);
  observer.disconnect();
  const counted = collections;
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  const growth = after - before;
  return { calls, heapGrowthBytes: growth, bytesPerCall: Math.max(0, growth) / calls, collections: counted, retainedBytes: retained };
}

/** Zero allocation per call: no collection during the run and less than 64 KiB of growth in all. */
export function allocatesNothing(allocation: Allocation): boolean {
  return allocation.collections === 0 && allocation.heapGrowthBytes < 64 * 1024;
}
