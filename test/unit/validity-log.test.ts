/**
 * The validity notices skip the work of a notice the logger would drop, and skipping one does not
 * use up its once-per-stage allowance.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../machines/context.js';
import { createValidityLogs } from '../../src/validity-log.js';
import { API_KEY_INPUT, licenseAt } from '../schedule/support/machine.js';
import { DAY, T0 } from '../schedule/support/world.js';

function capture(level: pino.Level) {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level }, stream), lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A context holding a license that expires in 20 days: the month notice is due. */
function withinMonth(): { context: AgentContext } {
  const context = {
    ...API_KEY_INPUT,
    time: { now: () => T0, random: () => 0 },
    license: licenseAt(T0 - DAY, T0 + 20 * DAY),
    nextRefreshAt: T0 + DAY,
    forcedNotBefore: T0,
    failures: 0,
    attempts: 0,
    lastOutcome: undefined,
  } satisfies AgentContext;
  return { context };
}

describe('validity notices and the logger level', () => {
  it('logs nothing for the month notice when the level is warn', async () => {
    const { log, lines } = capture('warn');
    createValidityLogs(log, () => T0).logExpiryNotice(withinMonth(), { stage: 'month' });
    await flush();

    expect(lines).toEqual([]);
  });

  it('says the month notice once the level allows it, though it was skipped before', async () => {
    const { log, lines } = capture('warn');
    const logs = createValidityLogs(log, () => T0);
    logs.logExpiryNotice(withinMonth(), { stage: 'month' });
    log.level = 'info';
    logs.logExpiryNotice(withinMonth(), { stage: 'month' });
    logs.logExpiryNotice(withinMonth(), { stage: 'month' });
    await flush();

    expect(lines.map((line) => line.level)).toEqual([30]);
    expect(lines[0]?.msg).toMatch(/^license lic-pro expires at /);
  });
});
