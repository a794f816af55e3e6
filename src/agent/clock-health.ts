/**
 * How far the system clock can be trusted, from the two witnesses the agent has: the issue time
 * (`iat`) of the license in force, which cannot lie about the past since it is signed, and the
 * license server's `Date` header on every answer. A clock set back (a VM restored from a snapshot,
 * a dead RTC battery) costs no license: the verifier judges stored tokens without it and received
 * ones by the server's clock. It is reported here instead, in one `status().clockWarning` and one
 * warning per episode, however many answers or re-checks repeat it.
 */
import type { Logger } from 'pino';
import { formatDuration } from '../config/duration.js';
import { isoInstant } from '../instant.js';
import { CLOCK_TOLERANCE_SECONDS } from '../license/verify.js';
import type { AnswerFacts } from '../net/http.js';

const TOLERANCE_MS = CLOCK_TOLERANCE_SECONDS * 1000;

export class ClockHealth {
  readonly #log: Logger;
  readonly #now: () => number;
  #serverOffsetMs: number | null = null;
  /** The license's issue time (ms) when it is ahead of our clock beyond the tolerance. */
  #issuedAhead: { issuedAt: number; behindMs: number } | undefined;
  #warning: string | null = null;

  constructor(log: Logger, now: () => number) {
    this.#log = log;
    this.#now = now;
  }

  /** The license server's clock minus ours, from its last answer with a `Date` header; `null` before one. */
  get serverOffsetMs(): number | null {
    return this.#serverOffsetMs;
  }

  /** What is wrong with the clock, for `status().clockWarning`; `null` while it agrees with both witnesses. */
  get warning(): string | null {
    return this.#warning;
  }

  /** The license server's estimate: its `Date` against the middle of our request's round trip. */
  noteServerAnswer({ date, sentAt, receivedAt }: AnswerFacts): void {
    const serverTime = date === undefined ? Number.NaN : Date.parse(date);
    if (Number.isNaN(serverTime)) return;
    this.#serverOffsetMs = Math.round(serverTime - (sentAt + receivedAt) / 2);
    this.#update();
  }

  /** The license server's clock now, as far as its last answer tells; `undefined` before one. */
  serverNow(): number | undefined {
    return this.#serverOffsetMs === null ? undefined : this.#now() + this.#serverOffsetMs;
  }

  /** Compares our clock with the issue time (epoch seconds) of the license in force. */
  checkLicense(iatSeconds: number | undefined): void {
    const behindMs = iatSeconds === undefined ? 0 : iatSeconds * 1000 - this.#now();
    this.#issuedAhead = behindMs > TOLERANCE_MS ? { issuedAt: iatSeconds! * 1000, behindMs } : undefined;
    this.#update();
  }

  #update(): void {
    const was = this.#warning;
    const { message, fields } = this.#diagnose() ?? { message: null, fields: {} };
    this.#warning = message;
    if (message !== null && was === null) this.#log.warn(fields, message);
  }

  /** The license's word first: it is signed; the server's clock is the next best witness. */
  #diagnose(): { message: string; fields: Record<string, unknown> } | undefined {
    const ahead = this.#issuedAhead;
    if (ahead) {
      const issuedAt = isoInstant(ahead.issuedAt);
      return {
        message: `the system clock (${isoInstant(this.#now())}) is ${formatDuration(ahead.behindMs)} behind the license's issue time (${issuedAt}): was it set back? The license is kept; fix the clock (NTP)`,
        fields: { issuedAt, behindMs: Math.round(ahead.behindMs) },
      };
    }
    const offset = this.#serverOffsetMs;
    if (offset === null || Math.abs(offset) <= TOLERANCE_MS) return undefined;
    const side = offset > 0 ? 'behind' : 'ahead of';
    return {
      message: `the system clock is ${formatDuration(Math.abs(offset))} ${side} the license server's: license times will be misjudged; fix the clock (NTP)`,
      fields: { offsetMs: offset },
    };
  }
}
