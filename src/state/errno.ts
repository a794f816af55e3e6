/**
 * Reduces a thrown value to the errno code an operator can act on (`EACCES`, `ENOSPC`, ...).
 * Our own `LicenseStateDirError` wraps the fs error, so the code is looked for along the cause chain.
 */
import { LicenseError } from '../errors.js';

/**
 * The first Node.js error code found on `error` or its causes, skipping our own `ERR_LICENSE_*`
 * codes; `'UNKNOWN'` when there is none.
 *
 * @example
 * ```ts
 * errnoCode(new LicenseStateDirError(dir, 'cannot write', { cause: enoent })); // 'ENOENT'
 * ```
 */
export function errnoCode(error: unknown): string {
  let current: unknown = error;
  // Bounded: a cause chain can be cyclic.
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (!(current instanceof LicenseError) && typeof code === 'string') return code;
    current = current.cause;
  }
  return 'UNKNOWN';
}
