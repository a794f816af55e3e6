/**
 * Typed errors of the license agent. Each carries a stable `code` that callers can `switch` on,
 * and the underlying `cause` where there is one. Messages never contain a secret (API key, JWT,
 * Authorization header): they are safe to log as they are.
 */
import { isRejection } from '../machines/refresh-policy.js';

/** The stable `code` of every {@link LicenseError}: match on it, not on the message. The README says what each means. */
export type LicenseErrorCode =
  | 'ERR_LICENSE_CONFIG'
  | 'ERR_LICENSE_NETWORK'
  | 'ERR_LICENSE_HTTP'
  | 'ERR_LICENSE_RESPONSE'
  | 'ERR_LICENSE_VERIFICATION'
  | 'ERR_LICENSE_STATE_DIR'
  | 'ERR_LICENSE_NO_REFRESH_PATH'
  | 'ERR_LICENSE_INTERNAL';

/** Base class of every error the agent raises or reports. */
export class LicenseError extends Error {
  /** What kind of failure this is; stable across releases. */
  readonly code: LicenseErrorCode;

  constructor(code: LicenseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option or environment variable has a value the agent cannot use. Thrown at once. */
export class LicenseConfigError extends LicenseError {
  /** The option at fault, as the user spelled it (`refresh.interval`, `SOFTCLIENT4ES_HOME`). */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super('ERR_LICENSE_CONFIG', `invalid option ${option}: ${message}`, options);
    this.option = option;
  }
}

/** The license server could not be reached, or the request timed out or was aborted. */
export class LicenseNetworkError extends LicenseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LICENSE_NETWORK', message, options);
  }
}

/** The license server answered with a status that is not a success. */
export class LicenseHttpError extends LicenseError {
  /** The HTTP status the server answered. */
  readonly status: number;
  /** Milliseconds the server asked us to wait (`Retry-After`), when it said so. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, message: string, options?: { retryAfterMs?: number | undefined; cause?: unknown }) {
    super('ERR_LICENSE_HTTP', message, options);
    this.status = status;
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** 401 and 403: the key or license was rejected; retrying soon will not help (the schedule's own rule). */
  get isRejection(): boolean {
    return isRejection(this);
  }
}

/** The license server answered 200 with a body that is not `{ "jwt": "<token>" }`. */
export class LicenseResponseError extends LicenseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LICENSE_RESPONSE', message, options);
  }
}

/** A JWT failed verification: signature, algorithm, key, claims, or a rollback. */
export class LicenseVerificationError extends LicenseError {
  /** The claim at fault, where one is (`exp`, `sub`, `iat`, `tier`). */
  readonly claim: string | undefined;

  constructor(message: string, options?: { claim?: string; cause?: unknown }) {
    super('ERR_LICENSE_VERIFICATION', message, options);
    this.claim = options?.claim;
  }
}

/** The state directory (instance id, license cache) could not be read or written. */
export class LicenseStateDirError extends LicenseError {
  /** The file or directory that could not be read or written. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_LICENSE_STATE_DIR', message, options);
    this.path = path;
  }
}

/**
 * A fault in the agent itself (an action, a guard, an observer that threw): reported once, never
 * thrown into the server; the license in force stays in force.
 */
export class LicenseInternalError extends LicenseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LICENSE_INTERNAL', message, options);
  }
}

/** Type guard for any error raised by this package. */
export function isLicenseError(value: unknown): value is LicenseError {
  return value instanceof LicenseError;
}

/** A short, secret-free description of any thrown value, for logs and `refreshNow()` messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
