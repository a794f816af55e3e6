/**
 * Conformance: SoftClient4ES's grace stages (GraceStatus), through the public API with licenses
 * minted by the reference issuer and the real clock.
 */
import { describe, expect, it } from 'vitest';
import { useE2E } from '../e2e/support/harness.js';
import { expiredAgent } from './support/expired-license.js';

const e2e = useE2E();
const messages = () => e2e.logs.lines.map((line) => line.msg);

describe('GraceStatus', () => {
  it('is early grace for the first half of 14 days, with "Renew at https://portal.softclient4es.com"', async () => {
    const agent = await expiredAgent(e2e, 3);
    expect(agent.license()).toMatchObject({ tier: 'Pro', grace: 'early' });
    expect(messages()).toContain('License expired 3 days ago. Renew at https://portal.softclient4es.com');
  });

  it('is mid grace from day 7 of 14, with "Service will degrade to Community in M days"', async () => {
    const agent = await expiredAgent(e2e, 10);
    expect(agent.license()).toMatchObject({ tier: 'Pro', grace: 'mid' });
    expect(messages()).toContain('License expired 10 days ago. Service will degrade to Community in 4 days.');
  });

  it('splits a 30-day grace period at day 15: day 14 is early, day 15 mid', async () => {
    expect((await expiredAgent(e2e, 14, '30d')).license().grace).toBe('early');
    expect((await expiredAgent(e2e, 15, '30d')).license().grace).toBe('mid');
  });

  it('degrades to Community once grace is over', async () => {
    const agent = await expiredAgent(e2e, 15);
    expect(agent.license()).toMatchObject({ tier: 'Community', degraded: true });
  });
});

