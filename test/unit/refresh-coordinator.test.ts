/**
 * Peer coordination in one process, its lock replaced by one whose owner this test plays: when a
 * peer finishes its refresh in the instant between this process's look at the cache and its taking
 * of the lock, the process takes the peer's result instead of going to the server again.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FetchInput } from '../../machines/context.js';
import { RefreshCoordinator } from '../../src/effects/refresh-coordinator.js';
import { generateIssuerKeys, mintLicense, type IssuerKeys } from '../../src/issuer/index.js';
import { createVerifier, type LicenseVerifier } from '../../src/license/verify.js';
import { fingerprintApiKey, LicenseCache } from '../../src/state/license-cache.js';
import { useTempDir } from '../state/helpers.js';
import { captureLogs } from '../support/logs.js';

/** What the mocked lock does just before it is taken: the peer's write and release, or nothing. */
const beforeTaken = vi.hoisted(() => ({ run: async () => {}, released: 0 }));

vi.mock('../../src/state/refresh-lock.js', () => ({
  tryAcquireRefreshLock: async () => {
    await beforeTaken.run();
    return {
      release: async () => {
        beforeTaken.released++;
      },
    };
  },
}));

const API_KEY = 'sk-coordinator_key';
const SUB = 'lic-coordinated';
let keys: IssuerKeys;
let verify: LicenseVerifier;
let fingerprint: string;
const dir = useTempDir();

beforeAll(async () => {
  keys = await generateIssuerKeys();
  verify = createVerifier(keys.jwks);
  fingerprint = await fingerprintApiKey(API_KEY);
});
beforeEach(() => {
  beforeTaken.run = async () => {};
  beforeTaken.released = 0;
});

async function licenseIssued(secondsAgo: number) {
  const now = Date.now();
  return verify(await mintLicense(keys, { sub: SUB, tier: 'Pro', iat: Math.floor(now / 1000) - secondsAgo }, { now }), { now, purpose: 'received' });
}

/**
 * A cache holding this process's own license, refreshed a minute ago, and the coordinator and the
 * fetch input of its next scheduled refresh.
 */
async function onOwnLicense() {
  const cache = new LicenseCache(dir(), captureLogs().logger);
  const current = await licenseIssued(3_600);
  const lastRefreshAt = Date.now() - 60_000;
  await cache.write({ jwt: current.jwt, fetchedAt: lastRefreshAt, keyFingerprint: fingerprint, licenseId: SUB });
  const input: FetchInput = { mode: 'api-key', license: current, forced: false, manual: false, lastRefreshAt };
  const coordinator = new RefreshCoordinator({
    dir: dir(), cache, verify, keyFingerprint: fingerprint, log: captureLogs().logger, lockTtlMs: 60_000, now: Date.now,
  });
  return { cache, input, coordinator };
}

describe('RefreshCoordinator', () => {
  it("takes the peer's license written just before it took the lock, and fetches nothing", async () => {
    const { cache, input, coordinator } = await onOwnLicense();
    const peers = (await licenseIssued(10)).jwt;
    beforeTaken.run = () => cache.write({ jwt: peers, fetchedAt: Date.now(), keyFingerprint: fingerprint, licenseId: SUB });
    const fetch = vi.fn(async () => undefined);

    const result = await coordinator.run(input, new AbortController().signal, fetch);

    expect(result?.jwt).toBe(peers);
    expect(fetch).not.toHaveBeenCalled();
    expect(beforeTaken.released).toBe(1);
  });

  it('fetches, keeping the lock until the write, when no peer wrote anything', async () => {
    const { input, coordinator } = await onOwnLicense();
    const fetched = await licenseIssued(0);

    expect(await coordinator.run(input, new AbortController().signal, async () => fetched)).toBe(fetched);
    expect(beforeTaken.released).toBe(0);
    coordinator.releaseAfter(Promise.resolve());
    await coordinator.idle();
    expect(beforeTaken.released).toBe(1);
  });
});
