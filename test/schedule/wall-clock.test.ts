/**
 * The production clock (`createWallClock`): delays beyond Node's timer limit (2^31 − 1 ms, about
 * 24.8 days) are chained instead of firing at once, `clearTimeout` cancels a chain wherever it is,
 * an infinite delay never fires, and no timer keeps the process alive.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWallClock, MAX_TIMER_DELAY_MS } from '../../src/clock.js';
import { DAY, HOUR } from '../../machines/schedule.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'arm-wall-clock.ts');

describe('the wall clock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2030, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a short delay when it is due, not before', () => {
    const clock = createWallClock();
    const fired = vi.fn();
    clock.setTimeout(fired, HOUR);

    vi.advanceTimersByTime(HOUR - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('reads now from Date.now()', () => {
    const clock = createWallClock();
    vi.advanceTimersByTime(5 * DAY);

    expect(clock.now()).toBe(Date.UTC(2030, 0, 6));
  });

  it('does not fire a 40-day delay at once', () => {
    const fired = vi.fn();
    createWallClock().setTimeout(fired, 40 * DAY);

    vi.advanceTimersByTime(1_000);

    expect(fired).not.toHaveBeenCalled();
  });

  it('does not fire a 40-day delay at the timer limit (about 24.8 days)', () => {
    const fired = vi.fn();
    createWallClock().setTimeout(fired, 40 * DAY);

    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 1_000);

    expect(fired).not.toHaveBeenCalled();
  });

  it('fires a 40-day delay at 40 days, once', () => {
    const fired = vi.fn();
    createWallClock().setTimeout(fired, 40 * DAY);

    vi.advanceTimersByTime(40 * DAY - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100 * DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires a delay of several timer limits (100 days) at its due time', () => {
    const fired = vi.fn();
    createWallClock().setTimeout(fired, 100 * DAY);

    vi.advanceTimersByTime(100 * DAY - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('cancels a chained timer with clearTimeout in the middle of the chain', () => {
    const clock = createWallClock();
    const fired = vi.fn();
    const timer = clock.setTimeout(fired, 40 * DAY);
    vi.advanceTimersByTime(30 * DAY);

    clock.clearTimeout(timer);
    vi.advanceTimersByTime(30 * DAY);

    expect(fired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancels a chained timer with clearTimeout before its first link ends', () => {
    const clock = createWallClock();
    const fired = vi.fn();
    const timer = clock.setTimeout(fired, 40 * DAY);

    clock.clearTimeout(timer);
    vi.advanceTimersByTime(60 * DAY);

    expect(fired).not.toHaveBeenCalled();
  });

  it('never fires an infinite delay, and arms nothing for it', () => {
    const fired = vi.fn();
    createWallClock().setTimeout(fired, Number.POSITIVE_INFINITY);

    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000 * DAY);
    expect(fired).not.toHaveBeenCalled();
  });

  it('fires a negative delay at once, as setTimeout does', () => {
    const fired = vi.fn();
    createWallClock().setTimeout(fired, -5);

    vi.advanceTimersByTime(0);

    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('accepts clearTimeout of an infinite-delay timer and of undefined', () => {
    const clock = createWallClock();
    const timer = clock.setTimeout(() => {}, Number.POSITIVE_INFINITY);

    expect(() => clock.clearTimeout(timer)).not.toThrow();
    expect(() => clock.clearTimeout(undefined)).not.toThrow();
  });
});

describe('the wall clock in a real process', () => {
  it('does not keep the process alive: a process that armed a 1-hour timer exits at once with code 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, String(HOUR)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let armedAt: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (armedAt === undefined && stdout.includes('armed')) armedAt = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    // tsx needs a moment to load; the timer must not add to it.
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
    const exitedAt = Date.now();
    clearTimeout(killer);

    expect(code, stderr).toBe(0);
    expect(stdout).toBe('armed\n');
    expect(exitedAt - (armedAt as number)).toBeLessThan(2_000);
  });
});
