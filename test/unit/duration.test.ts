import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['24h', 24 * HOUR],
    ['90s', 90 * SECOND],
    ['1h30m', HOUR + 30 * MINUTE],
    ['500ms', 500],
    ['14d', 14 * DAY],
    ['5m', 5 * MINUTE],
    ['2w', 14 * DAY],
    ['1d12h', DAY + 12 * HOUR],
    ['1.5h', 1.5 * HOUR],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('ignores surrounding whitespace and letter case', () => {
    expect(parseDuration('  24H ')).toBe(24 * HOUR);
  });

  it('reads a string of digits as milliseconds', () => {
    expect(parseDuration('86400000')).toBe(DAY);
  });

  it('passes a non-negative finite number through as milliseconds', () => {
    expect(parseDuration(90_000)).toBe(90_000);
    expect(parseDuration(0)).toBe(0);
  });

  it.each(['soon', '', '   ', '-1h', '1x', 'h', '1h 30m', '24 h', '1h30', '5ms5', 'Infinity', '1e3'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY])('rejects the number %d', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });

  it('gives the same answer when called twice in a row (no regex state leaks between calls)', () => {
    expect(parseDuration('1x')).toBeUndefined();
    expect(parseDuration('1h30m')).toBe(HOUR + 30 * MINUTE);
    expect(parseDuration('1h30m')).toBe(HOUR + 30 * MINUTE);
  });
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [0, '0ms'],
    [90 * SECOND, '1m 30s'],
    [24 * HOUR, '1d'],
    [DAY + 2 * HOUR, '1d 2h'],
    [14 * DAY, '14d'],
    [HOUR + 30 * MINUTE + 5 * SECOND, '1h 30m 5s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes an infinite delay as never', () => {
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('never');
  });

  it('round-trips through parseDuration for whole seconds', () => {
    const ms = 3 * DAY + 4 * HOUR + 5 * MINUTE + 6 * SECOND;
    expect(parseDuration(formatDuration(ms).replace(/ /g, ''))).toBe(ms);
  });
});
