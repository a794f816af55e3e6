/**
 * The actor cannot take the host down: a statechart that throws (here a clock whose reading fails,
 * which every guard and delay reads) is caught, logged once at `error` with `ERR_LICENSE_INTERNAL`,
 * and the license in force stays in force. Nothing reaches the host as an uncaught error (vitest
 * fails a run on one).
 */
import { afterEach, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DAY } from '../../machines/schedule.js';
import { createLicenseAgent, type LicenseAgent } from '../../src/index.js';
import { startLicenseServer, type LicenseServer } from '../../src/issuer/index.js';
import { waitFor } from '../e2e/support/harness.js';
import { T0 } from '../support/clocks.js';
import { captureLogs, ERROR } from '../support/logs.js';

const API_KEY = 'sk-internal_error_key';

let server: LicenseServer | undefined;
let agent: LicenseAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  await server?.close();
});

/** A simulated clock whose reading can be made to throw; its timers run on regardless. */
function breakableClock() {
  const simulated = new SimulatedClock();
  simulated.set(T0);
  let broken = false;
  return {
    clock: {
      now: () => {
        if (broken) throw new Error('the clock is broken');
        return simulated.now();
      },
      setTimeout: (callback: () => void, ms: number) => simulated.setTimeout(callback, ms),
      clearTimeout: (handle: unknown) => simulated.clearTimeout(handle as number),
    },
    break: () => void (broken = true),
    mend: () => void (broken = false),
    advance: (ms: number) => simulated.increment(ms),
  };
}

it('logs a throwing statechart once with its code and keeps the license in force', async () => {
  const time = breakableClock();
  server = await startLicenseServer({ apiKeys: { [API_KEY]: { sub: 'lic-internal', tier: 'Pro' } }, now: () => T0 });
  const logs = captureLogs();
  agent = createLicenseAgent({ version: '1.0.0', apiKey: API_KEY, serverUrl: server.url, trustedKeys: server.keys.jwks, env: {}, clock: time.clock, random: () => 0, logger: logs.logger });
  await agent.start();
  const license = agent.license();
  expect(license.tier).toBe('Pro');

  time.break();
  // The refresh is due: its failure, recorded on the broken clock, throws inside the statechart.
  time.advance(DAY);
  await waitFor(() => logs.at(ERROR).length > 0, 10_000, 'the internal error');
  time.advance(DAY);
  await new Promise((resolve) => setTimeout(resolve, 50));
  time.mend();

  const errors = logs.at(ERROR);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ err: { code: 'ERR_LICENSE_INTERNAL', message: expect.stringContaining('the clock is broken') } });
  expect(errors[0]?.msg).toContain('the license in force (Pro) stays');
  expect(agent.license()).toBe(license);
  expect(agent.showLicense()).toMatchObject({ license_type: 'Pro', status: 'Active' });
});
