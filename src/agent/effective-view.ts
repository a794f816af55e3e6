/**
 * The effective license as the server reads it: recomputed only when the license in force or its
 * validity stage changes, frozen, with its feature record beside it, so that `license()` and
 * `hasFeature()` cost a property read. It also tells what a change means: a renewal that only moved
 * the expiry is logged, a change of terms is logged and announced, a cold start is not an upgrade.
 */
import type { Logger } from 'pino';
import { QUOTA_NAMES, type Tier, type VerifiedLicense } from '../license/claims.js';
import {
  COMMUNITY_LICENSE,
  effectiveLicense,
  featureSet,
  type EffectiveLicense,
  type ValidityStage,
} from '../license/effective.js';
import { validityOf, type Snapshot } from './snapshot.js';

/** Same tier, features, quotas and standing: only the expiry (or nothing) moved. */
function sameTerms(a: EffectiveLicense, b: EffectiveLicense): boolean {
  return a.licenseId === b.licenseId && a.tier === b.tier && a.trial === b.trial && a.platform === b.platform
    && a.degraded === b.degraded && a.grace === b.grace
    && a.features.length === b.features.length && a.features.every((f, i) => f === b.features[i])
    && QUOTA_NAMES.every((name) => a.quotas[name] === b.quotas[name]);
}

const TIER_RANK: Readonly<Record<Tier, number>> = { Community: 0, Pro: 1, Enterprise: 2 };

/** The log line of a change of terms, in SoftClient4ES's words. */
function tierChange(previous: EffectiveLicense, next: EffectiveLicense): string {
  if (previous.degraded && !next.degraded && next.tier !== 'Community') return `license restored to ${next.tier}`;
  const [was, now] = [TIER_RANK[previous.tier], TIER_RANK[next.tier]];
  if (now > was) return `license upgraded from ${previous.tier} to ${next.tier}`;
  if (now < was) return `license downgraded from ${previous.tier} to ${next.tier}`;
  return `license terms changed: ${next.tier}`;
}

export interface EffectiveViewEvents {
  /** A license came in (a refresh, a peer's, the first one): the clock is checked against it. */
  readonly onLicense: (license: VerifiedLicense | undefined) => void;
  /** The terms changed: an upgrade, a degradation, a restoration. */
  readonly onChange: (next: EffectiveLicense, previous: EffectiveLicense) => void;
}

export class EffectiveLicenseView {
  readonly #log: Logger;
  readonly #events: EffectiveViewEvents;
  #license: EffectiveLicense = COMMUNITY_LICENSE;
  #features: Readonly<Record<string, true>> = featureSet(COMMUNITY_LICENSE);
  #source: VerifiedLicense | undefined;
  /** The stage and grace part the license was last computed for: `grace/early`. */
  #standing: string | undefined;
  /** The validity stage of the license in force, as of the last snapshot before any stop. */
  #stage: ValidityStage = 'valid';
  /** False until the first license is adopted: a cold start is not an upgrade. */
  #adoptedOnce = false;
  /** Inside {@link announcingRenewal}: a new license is announced even when its terms are the same. */
  #announceRenewal = false;

  constructor(log: Logger, events: EffectiveViewEvents) {
    this.#log = log;
    this.#events = events;
  }

  get license(): EffectiveLicense {
    return this.#license;
  }

  get stage(): ValidityStage {
    return this.#stage;
  }

  hasFeature(name: string): boolean {
    return this.#features[name] === true;
  }

  /**
   * Runs `work`, which puts a replacement license in force (a changed license file), so that the
   * replacement is announced (`onChange`) even when its terms are those of the license it replaces:
   * when only its expiry, or nothing the server reads, moved. A renewal by a refresh is not announced.
   */
  announcingRenewal(work: () => void): void {
    this.#announceRenewal = true;
    try {
      work();
    } finally {
      this.#announceRenewal = false;
    }
  }

  /**
   * Follows a snapshot of the statechart. The successor is computed before anything is replaced:
   * should it throw, the license in force stays as it was.
   */
  follow(snapshot: Snapshot): void {
    const { license } = snapshot.context;
    const { stage, grace } = validityOf(snapshot);
    if (snapshot.matches({ validity: 'stopped' })) return;
    this.#stage = stage;
    const standing = `${stage}/${grace}`;
    if (license === this.#source && standing === this.#standing) return;
    const next = effectiveLicense(license, stage, grace);
    const previous = this.#license;
    const renewed = license !== this.#source;
    this.#source = license;
    this.#standing = standing;
    this.#license = next;
    this.#features = featureSet(next);
    if (renewed) this.#events.onLicense(license);
    if (sameTerms(next, previous)) {
      if (renewed && snapshot.status === 'active') {
        this.#log.info({ licenseId: next.licenseId, expiresAt: next.expiresAt }, 'license renewed');
        if (this.#announceRenewal) this.#events.onChange(next, previous);
      }
      return;
    }
    const coldStart = !this.#adoptedOnce;
    this.#adoptedOnce = true;
    this.#log.info(
      { licenseId: next.licenseId, tier: next.tier, expiresAt: next.expiresAt, previousTier: previous.tier },
      coldStart ? `license in force: ${next.tier}` : tierChange(previous, next),
    );
    this.#events.onChange(next, previous);
  }
}
