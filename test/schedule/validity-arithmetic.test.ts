/**
 * The grace stages, on the pure arithmetic of `machines/validity.ts`: grace splits as SoftClient4ES
 * splits it (early for the first half of its whole days, rounded down; mid for the rest), and the
 * day counts are SoftClient4ES's (`daysExpired` rounded down, `graceDaysRemaining = graceDays -
 * daysExpired`).
 */
import { describe, expect, it } from 'vitest';
import { daysExpired, earlyGraceMs, graceDays, graceDaysRemaining, validityLeafAt } from '../../machines/validity.js';
import { DAY, HOUR, T0 } from './support/world.js';

const EXP = T0;

describe('earlyGraceMs: the early part of grace is the first half of its whole days, rounded down', () => {
  it.each([
    [14, 7],
    [30, 15],
    [15, 7],
    [3, 1],
    [1, 0],
    [0, 0],
  ])('is %i days of grace → %i days early', (days, early) => {
    expect(earlyGraceMs(days * DAY)).toBe(early * DAY);
  });

  it('counts a grace period in whole days first: 14 days and 23 hours split like 14 days', () => {
    expect(graceDays(14 * DAY + 23 * HOUR)).toBe(14);
    expect(earlyGraceMs(14 * DAY + 23 * HOUR)).toBe(7 * DAY);
  });
});

describe('validityLeafAt in a 14-day grace', () => {
  it.each([
    ['early', 'at the instant of expiry', 0],
    ['early', 'after 6 days 23 hours', 7 * DAY - HOUR],
    ['early', '1 ms before day 7', 7 * DAY - 1],
    ['mid', 'at exactly day 7', 7 * DAY],
    ['mid', 'on day 13', 13 * DAY + HOUR],
    ['degraded', 'at exactly day 14', 14 * DAY],
  ])('is %s %s', (leaf, _when, expiredFor) => {
    expect(validityLeafAt(EXP, 14 * DAY, EXP + expiredFor)).toBe(leaf);
  });
});

describe('validityLeafAt in a 30-day grace', () => {
  it.each([
    ['early', 'on day 10', 10 * DAY],
    ['early', '1 ms before day 15', 15 * DAY - 1],
    ['mid', 'at exactly day 15', 15 * DAY],
    ['mid', 'on day 20', 20 * DAY],
    ['mid', '1 ms before day 30', 30 * DAY - 1],
    ['degraded', 'at exactly day 30', 30 * DAY],
  ])('is %s %s', (leaf, _when, expiredFor) => {
    expect(validityLeafAt(EXP, 30 * DAY, EXP + expiredFor)).toBe(leaf);
  });
});

describe('daysExpired: whole days since expiry, rounded down', () => {
  it.each([
    [0, 0],
    [DAY - 1, 0],
    [DAY, 1],
    [6 * DAY + 23 * HOUR, 6],
    [13 * DAY + 12 * HOUR, 13],
  ])('is %i ms after expiry → %i', (expiredFor, days) => {
    expect(daysExpired(EXP, EXP + expiredFor)).toBe(days);
  });
});

describe('graceDaysRemaining = graceDays - daysExpired', () => {
  it.each([
    [14, 0, 14],
    [14, 1, 13],
    [14, 7, 7],
    [14, 13, 1],
    [30, 10, 20],
    [30, 20, 10],
  ])('is %i days of grace, %i days expired → %i', (days, expired, remaining) => {
    // Half a day into the day: the count is of whole days, whatever the hour.
    expect(graceDaysRemaining(EXP, days * DAY, EXP + expired * DAY + 12 * HOUR)).toBe(remaining);
  });

  it('counts whole days of a grace period that is not whole days: 3 days 12 hours is 3 days', () => {
    expect(graceDaysRemaining(EXP, 3 * DAY + 12 * HOUR, EXP + 2 * HOUR)).toBe(3);
  });

  it('never goes below 0', () => {
    expect(graceDaysRemaining(EXP, 14 * DAY, EXP + 20 * DAY)).toBe(0);
  });
});
