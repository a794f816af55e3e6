/**
 * The license invariant itself: the rules of `support/license-invariant.ts` hold for a license
 * through each stage of its life, and each breaks, naming itself, when one view is made to tell
 * another story. The setup file applies the same rules to every other fault scenario.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DAY } from '../../../machines/schedule.js';
import { createLicenseAgent, type LicenseAgent } from '../../../src/index.js';
import { generateIssuerKeys, mintLicense } from '../../../src/issuer/index.js';
import { captureLogs } from '../../support/logs.js';
import { licenseDisagreements, readLicenseFacts, type LicenseFacts } from '../support/license-invariant.js';

const T0 = Date.UTC(2031, 5, 1);
const keys = await generateIssuerKeys();
const agents: LicenseAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
});

/** An offline agent on a static Pro trial JWT valid 30 days from T0, its clock moved `elapsedMs` after the start. */
async function agentAfter(elapsedMs: number): Promise<LicenseAgent> {
  const clock = new SimulatedClock();
  clock.set(T0);
  const licenseKey = await mintLicense(keys, { sub: 'lic-views', tier: 'Pro', trial: true, platform: 'staging', validFor: 30 * DAY }, { now: T0 });
  const agent = createLicenseAgent({
    version: '1.0.0', env: {}, offline: true, licenseKey, trustedKeys: keys.jwks, clock, logger: captureLogs().logger,
  });
  agents.push(agent);
  await agent.start();
  clock.increment(elapsedMs);
  return agent;
}

const STAGES = [
  { after: 0, validity: 'valid', row: 'Pro (trial)' },
  { after: 29.5 * DAY, validity: 'expiringSoon', row: 'Pro (trial)' },
  { after: 33 * DAY, validity: 'grace', row: 'Pro (trial)' },
  { after: 40 * DAY, validity: 'grace', row: 'Pro (trial)' },
  { after: 45 * DAY, validity: 'degraded', row: 'Community (degraded)' },
] as const;

describe('the license views of one agent', () => {
  it.each(STAGES)('agree $after ms after the start ($validity, $row)', async ({ after, validity, row }) => {
    const facts = readLicenseFacts(await agentAfter(after));
    expect({ validity: facts.status.validity, row: facts.row.license_type }).toEqual({ validity, row });
    expect(licenseDisagreements(facts)).toEqual([]);
  });

  it('tell a row that shows an expiry while degraded', async () => {
    const facts = readLicenseFacts(await agentAfter(45 * DAY));
    const tampered: LicenseFacts = { ...facts, row: { ...facts.row, expires_at: '2031-07-01T00:00:00Z' } };
    expect(licenseDisagreements(tampered)).toEqual([expect.stringMatching(/^the row expiry is the binding expiry/)]);
  });

  it('tell a status that says valid while the license is degraded', async () => {
    const facts = readLicenseFacts(await agentAfter(45 * DAY));
    const tampered: LicenseFacts = { ...facts, status: { ...facts.status, validity: 'valid' } };
    expect(licenseDisagreements(tampered)).toEqual([
      expect.stringMatching(/^degraded exactly when validity is degraded/),
    ]);
  });

  it('tell a paid tier kept in grace by the license but not by the row', async () => {
    const facts = readLicenseFacts(await agentAfter(40 * DAY));
    const tampered: LicenseFacts = { ...facts, row: { ...facts.row, status: 'Active' } };
    expect(licenseDisagreements(tampered)).toEqual([expect.stringMatching(/^the row status follows the validity/)]);
  });
});
