/**
 * Verifies license JWTs against the trusted Ed25519 keys. Only `EdDSA` is accepted, `kid` selects
 * the key, and the current date comes from the agent's clock so that simulated time drives expiry.
 */
// Deep imports: jose's root entry loads its encryption and signing modules too (about 50 ms at
// start-up) where the agent only ever verifies.
import type { JSONWebKeySet, JWTPayload } from 'jose';
import * as joseErrors from 'jose/errors';
import { createLocalJWKSet } from 'jose/jwks/local';
import { jwtVerify } from 'jose/jwt/verify';
import { LicenseVerificationError } from '../errors.js';
import { endpointProblem } from '../net/url-policy.js';
import { parseClaims, type VerifiedLicense } from './claims.js';

/** Longest token accepted; a license is a few hundred bytes. */
export const MAX_JWT_LENGTH = 16 * 1024;
/** Allowed skew between our clock and the issuer's, for `iat` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 300;

export interface VerifyOptions {
  /** Now, in milliseconds since the epoch, from the agent's clock. */
  readonly now: number;
  /**
   * `received`: a token just returned by the license server, which must not be expired.
   * `stored`: a configured or cached token, whose expiry the agent handles itself (grace period).
   */
  readonly purpose: 'received' | 'stored';
}

export type LicenseVerifier = (jwt: string, options: VerifyOptions) => Promise<VerifiedLicense>;

function describeJoseError(error: unknown): { message: string; claim?: string } {
  if (error instanceof joseErrors.JWTClaimValidationFailed || error instanceof joseErrors.JWTExpired) {
    return { message: `license claim "${error.claim}" ${error.reason}: ${error.message}`, claim: error.claim };
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return { message: 'license is signed by an unknown key' };
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return { message: 'license algorithm is not EdDSA' };
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return { message: 'license signature is invalid' };
  if (error instanceof joseErrors.JOSEError) return { message: `license is malformed (${error.code})` };
  return { message: 'license could not be verified' };
}

/** Creates a verifier bound to a JWKS of trusted public keys. */
export function createVerifier(trustedKeys: JSONWebKeySet): LicenseVerifier {
  const keySet = createLocalJWKSet(trustedKeys);

  return async function verifyLicense(jwt, { now, purpose }) {
    if (typeof jwt !== 'string' || jwt.length === 0) throw new LicenseVerificationError('license is empty');
    if (jwt.length > MAX_JWT_LENGTH) {
      throw new LicenseVerificationError(`license is ${jwt.length} bytes long, over the ${MAX_JWT_LENGTH}-byte limit`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, keySet, {
        algorithms: ['EdDSA'],
        currentDate: new Date(now),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      // The signature is checked before the claims, so an expired token here is authentic.
      if (error instanceof joseErrors.JWTExpired && purpose === 'stored') {
        payload = error.payload;
      } else {
        const { message, claim } = describeJoseError(error);
        throw new LicenseVerificationError(message, { cause: error, ...(claim ? { claim } : {}) });
      }
    }
    const claims = parseClaims(payload as Record<string, unknown>);
    if (claims.iat * 1000 > now + CLOCK_TOLERANCE_SECONDS * 1000) {
      throw new LicenseVerificationError(
        `license claim "iat" is in the future (issued ${new Date(claims.iat * 1000).toISOString()}; is the system clock set back?)`,
        { claim: 'iat' },
      );
    }
    if (claims.refresh_url !== undefined) {
      const problem = endpointProblem(claims.refresh_url);
      if (problem) throw new LicenseVerificationError(`license claim "refresh_url" ${problem}`, { claim: 'refresh_url' });
    }
    return Object.freeze({ jwt, claims });
  };
}

/**
 * Checks that a license received from a refresh may replace the current one: in static-JWT mode it
 * must be the same license (`sub`), and a token for the same license must not be older (`iat`): a
 * rollback to an earlier token, replayed or served by mistake, is refused.
 */
export function checkSuccessor(current: VerifiedLicense | undefined, next: VerifiedLicense, sameLicenseRequired: boolean): void {
  if (!current) return;
  if (sameLicenseRequired && next.claims.sub !== current.claims.sub) {
    throw new LicenseVerificationError(
      `refreshed license is for "${next.claims.sub}", not the current license "${current.claims.sub}"`,
      { claim: 'sub' },
    );
  }
  if (next.claims.sub === current.claims.sub && next.claims.iat < current.claims.iat) {
    throw new LicenseVerificationError('refreshed license is older than the current one (iat)', { claim: 'iat' });
  }
}
