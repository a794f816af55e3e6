/**
 * Faults of the agent's own (an effect, the observer, the statechart that threw): logged once per
 * place and message at `error` with `ERR_LICENSE_INTERNAL`, never thrown into the server. The
 * effective license is only replaced once its successor is computed, so the one in force stays.
 */
import type { Logger } from 'pino';
import { describeError, LicenseInternalError } from '../errors.js';

export class InternalErrors {
  readonly #log: Logger;
  /** The tier in force, for the log line. */
  readonly #tier: () => string;
  readonly #seen = new Set<string>();

  constructor(log: Logger, tier: () => string) {
    this.#log = log;
    this.#tier = tier;
  }

  report(error: unknown, where: string): void {
    const message = describeError(error);
    const seen = `${where}\n${message}`;
    if (this.#seen.has(seen)) return;
    this.#seen.add(seen);
    const fault = new LicenseInternalError(`internal error in the license agent's ${where}: ${message}`, { cause: error });
    const stopped = where === 'statechart' ? 'refreshes stop until the server restarts; ' : '';
    const tier = this.#tier();
    this.#log.error(
      { err: { message: fault.message, code: fault.code }, where, tier },
      `license agent internal error (${fault.code}): ${stopped}the license in force (${tier}) stays`,
    );
  }

  /** Runs `work`; a throw is reported instead of reaching XState, which would rethrow it. */
  guard(where: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.report(error, where);
    }
  }
}
