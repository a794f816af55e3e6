/**
 * What a changed license file means, while the agent runs. On each cue of `license-file-watch.ts`
 * the file is read and trimmed; content that differs from what the file last held is verified under
 * the rules of a configured JWT (`purpose: 'stored'`: expired is fine within grace), and a license
 * that verifies, is within grace and is not already in force replaces the license in force: the
 * statechart gets it as `license.replaced`. Anything else (a file removed, empty, unreadable, a
 * JWT that does not verify or is past grace) keeps the license in force, with one `warn` per distinct
 * content. Nothing here throws: a fault is reported as an internal error.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { expiresAtMs, isPastGrace } from '../../machines/validity.js';
import { readCredentialFile } from '../config/credential-files.js';
import type { LicenseFileSource } from '../config/options.js';
import { describeError } from '../errors.js';
import { isoInstant } from '../instant.js';
import type { VerifiedLicense } from '../license/claims.js';
import type { LicenseVerifier } from '../license/verify.js';
import type { InternalErrors } from './internal-errors.js';
import { watchLicenseFile, type LicenseFileCue } from './license-file-watch.js';

/** Distinct problems remembered, so that each is warned about once; more than this starts afresh. */
const MAX_REMEMBERED_WARNINGS = 32;

/** What following the license file needs: the file, the rules of a configured JWT, and the statechart. */
export interface LicenseFileReloadDeps {
  readonly source: LicenseFileSource;
  /** What the file held when the agent was created: the configured license key. */
  readonly initialJwt: string;
  readonly reloadOnSighup: boolean;
  readonly gracePeriodMs: number;
  readonly verify: LicenseVerifier;
  readonly now: () => number;
  readonly log: Logger;
  readonly errors: InternalErrors;
  /** The license in force, as the statechart holds it. */
  readonly inForce: () => VerifiedLicense | undefined;
  /** Puts `license` in force (sends `license.replaced`), announcing it even if only its expiry moved. */
  readonly replace: (license: VerifiedLicense) => void;
}

/** Why `next`, for the same license as `current`, is not worth adopting: an earlier issue of it. */
function earlierIssue(current: VerifiedLicense | undefined, next: VerifiedLicense): string | undefined {
  if (current === undefined || next.claims.sub !== current.claims.sub) return undefined;
  const [was, now] = [current.claims.iat, next.claims.iat];
  if (was === undefined || now === undefined || now >= was) return undefined;
  return `it is an earlier issue (iat) of the license in force, ${current.claims.sub}`;
}

/** Follows the license file: re-reads it on each cue, and replaces the license in force when it should. */
export class LicenseFileReload {
  readonly #deps: LicenseFileReloadDeps;
  readonly #file: string;
  /** What the file held the last time it could be read. */
  #lastJwt: string;
  readonly #warned = new Set<string>();
  #running: Promise<void> | undefined;
  #again: LicenseFileCue | undefined;
  /** The read under way was asked for with `SIGHUP`: the operator hears of it, even of a problem told before. */
  #signalled = false;
  #closed = false;

  constructor(deps: LicenseFileReloadDeps) {
    this.#deps = deps;
    this.#file = deps.source.path;
    this.#lastJwt = deps.initialJwt;
  }

  /** Re-reads the file (after the read under way, if any); the promise never rejects. */
  check(cue: LicenseFileCue): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = this.#again === 'signal' ? 'signal' : cue;
      return this.#running;
    }
    this.#running = this.#run(cue).finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Stops taking cues; resolves once the read under way, if any, has ended. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  /** The watch could not be set up, or broke: the periodic check carries on alone. */
  watchFailed(code: string): void {
    this.#warnOnce(`watch:${code}`, { code }, `cannot watch the directory of license file ${this.#file} (${code}); checking it every minute instead`);
  }

  async #run(cue: LicenseFileCue): Promise<void> {
    for (let next: LicenseFileCue | undefined = cue; next !== undefined && !this.#closed; next = this.#takeAgain()) {
      try {
        await this.#checkOnce(next);
      } catch (error) {
        this.#deps.errors.report(error, 'license file reload');
      }
    }
  }

  #takeAgain(): LicenseFileCue | undefined {
    const again = this.#again;
    this.#again = undefined;
    return again;
  }

  async #checkOnce(cue: LicenseFileCue): Promise<void> {
    const { log, inForce } = this.#deps;
    this.#signalled = cue === 'signal';
    const read = await readCredentialFile(this.#file);
    if (this.#closed) return;
    if ('problem' in read) {
      this.#keep(`problem:${read.problem}`, `license file ${this.#file} ${read.problem}; keeping the license in force`);
      return;
    }
    const jwt = read.text;
    if (jwt === this.#lastJwt || jwt === inForce()?.jwt) {
      this.#lastJwt = jwt;
      // Back to what it held, or to the license in force: a problem seen since is over.
      this.#warned.clear();
      if (cue === 'signal') log.info({ file: this.#file }, `SIGHUP: license file ${this.#file} re-read; no new license in it`);
      return;
    }
    this.#lastJwt = jwt;
    const license = await this.#verified(jwt);
    if (license === undefined || this.#closed) return;
    this.#warned.clear();
    const { sub, tier } = license.claims;
    const expiresAt = isoInstant(expiresAtMs(license.claims));
    log.info({ file: this.#file, licenseId: sub, tier, expiresAt }, `license file changed: adopted license ${sub} (${tier}, expires ${expiresAt ?? 'never'})`);
    this.#deps.replace(license);
  }

  /** The file's license, when it verifies, is within grace and is no earlier issue of the one in force. */
  async #verified(jwt: string): Promise<VerifiedLicense | undefined> {
    const { verify, now, gracePeriodMs, inForce } = this.#deps;
    const key = `jwt:${createHash('sha256').update(jwt).digest('hex')}`;
    let license: VerifiedLicense;
    try {
      license = await verify(jwt, { purpose: 'stored', now: now() });
    } catch (error) {
      this.#keep(key, `license file ${this.#file} changed, but its license does not verify (${describeError(error)}); keeping the license in force`);
      return undefined;
    }
    const expiresAt = expiresAtMs(license.claims);
    if (isPastGrace(expiresAt, gracePeriodMs, now())) {
      const expired = isoInstant(expiresAt) ?? 'long ago';
      this.#keep(key, `license file ${this.#file} changed, but its license expired ${expired}, past the grace period; keeping the license in force`);
      return undefined;
    }
    const earlier = earlierIssue(inForce(), license);
    if (earlier) {
      this.#keep(key, `license file ${this.#file} changed, but ${earlier}; keeping the license in force`);
      return undefined;
    }
    return license;
  }

  #keep(key: string, message: string): void {
    this.#warnOnce(key, {}, message);
  }

  #warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.#warned.has(key) && !this.#signalled) return;
    if (this.#warned.size >= MAX_REMEMBERED_WARNINGS) this.#warned.clear();
    this.#warned.add(key);
    this.#deps.log.warn({ file: this.#file, ...fields }, message);
  }
}

/** The license file followed: `ready` once its first check is done, `stop()` to stop following it. */
export interface FollowedLicenseFile {
  readonly ready: Promise<void>;
  /** Stops it all (watch, timers, SIGHUP listener); resolves once no read is under way. */
  stop(): Promise<void>;
}

/**
 * Follows the license file while the agent runs: a first check at once (the file may have changed
 * since the agent was created), then one on every cue.
 *
 * @example
 * ```ts
 * const followed = followLicenseFile(deps);
 * await followed.ready;
 * await followed.stop();
 * ```
 */
export function followLicenseFile(deps: LicenseFileReloadDeps): FollowedLicenseFile {
  const reload = new LicenseFileReload(deps);
  const stopWatching = watchLicenseFile({
    file: path.resolve(deps.source.path),
    onCue: (cue) => void reload.check(cue),
    onSighup: deps.reloadOnSighup,
    onWatchFailed: (code) => reload.watchFailed(code),
  });
  return {
    ready: reload.check('change'),
    async stop() {
      stopWatching();
      await reload.close();
    },
  };
}
