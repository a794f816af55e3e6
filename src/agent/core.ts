/**
 * The parts of an agent that exist from its construction to its end, whether or not it ever starts:
 * the resolved configuration, the logger, the clock, the verifier, the effective license view, clock
 * health and the report of internal faults. Built once, from the options, by the facade.
 */
import type { Logger } from 'pino';
import { createWallClock, type AgentClock } from '../clock.js';
import { loadConfig, mergeOptions } from '../config/environment.js';
import type { AgentConfig, LicenseAgentOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve.js';
import { describeError, LicenseConfigError } from '../errors.js';
import type { EffectiveLicense } from '../license/effective.js';
import { createVerifier, type LicenseVerifier } from '../license/verify.js';
import { createAgentLogger } from '../log.js';
import { ClockHealth } from './clock-health.js';
import { EffectiveLicenseView } from './effective-view.js';
import { InternalErrors } from './internal-errors.js';

export interface AgentCore {
  readonly config: AgentConfig;
  readonly env: Record<string, string | undefined>;
  readonly log: Logger;
  readonly clock: AgentClock;
  readonly random: () => number;
  /** Watch the wall clock for jumps: off for a simulated clock, whose test sends `clock.wake` itself. */
  readonly watchClock: boolean;
  readonly verify: LicenseVerifier;
  readonly clockHealth: ClockHealth;
  readonly view: EffectiveLicenseView;
  readonly errors: InternalErrors;
}

/**
 * Validates the options (a `LicenseConfigError` naming the bad one) and builds the core; `onChange`
 * is told when the effective license's terms change.
 */
export function createAgentCore(options: LicenseAgentOptions, onChange: (next: EffectiveLicense, previous: EffectiveLicense) => void): AgentCore {
  const env = options.env ?? process.env;
  const config = resolveConfig(mergeOptions(loadConfig(env), options), env);
  const log = createAgentLogger(options.logger);
  const clock = options.clock ?? createWallClock();
  const clockHealth = new ClockHealth(log, () => clock.now());
  const view = new EffectiveLicenseView(log, {
    onLicense: (license) => clockHealth.checkLicense(license?.claims.iat),
    onChange,
  });
  const errors = new InternalErrors(log, () => view.license.tier);
  let verify: LicenseVerifier;
  try {
    verify = createVerifier(config.trustedKeys, config.issuer, config.refreshOrigins);
  } catch (error) {
    throw new LicenseConfigError('trustedKeys', `is not a usable JWKS (${describeError(error)})`, { cause: error });
  }
  const random = options.random ?? Math.random;
  return { config, env, log, clock, random, watchClock: options.clock === undefined, verify, clockHealth, view, errors };
}

/** Runs `emit` (a call of the server's listeners); one that throws is logged, never rethrown into the agent. */
export function emitSafely(log: Logger, emit: () => unknown, event: string): void {
  try {
    emit();
  } catch (error) {
    log.error({ err: { message: describeError(error) }, event }, `a ${event} listener threw; the agent carries on`);
  }
}
