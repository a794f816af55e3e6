/**
 * Verifies license JWTs against the trusted Ed25519 keys. Only `EdDSA` is accepted, `kid` selects
 * the key, and the current date comes from the agent's clock so that simulated time drives expiry.
 */
// Deep imports: jose's root entry loads its encryption and signing modules too (about 50 ms at
// start-up) where the agent only ever verifies.
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import * as joseErrors from 'jose/errors';
import { createLocalJWKSet } from 'jose/jwks/local';
import { jwtVerify } from 'jose/jwt/verify';
import { LicenseVerificationError } from '../errors.js';
import { refreshUrlProblem } from '../net/url-policy.js';
import { parseClaims, type LicenseClaims, type VerifiedLicense } from './claims.js';
import { DEFAULT_ISSUER } from './keys.js';

/** Longest token accepted; a license is a few hundred bytes. */
export const MAX_JWT_LENGTH = 16 * 1024;
/** Allowed skew between our clock and the issuer's, for `iat` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 300;

export interface VerifyOptions {
  /** Now, in milliseconds since the epoch, from the agent's clock. */
  readonly now: number;
  /**
   * `received`: a token just returned by the license server, which must not be expired and must not
   * be issued ahead of the server's own clock.
   * `stored`: a configured or cached token, whose expiry the agent handles itself (grace period) and
   * whose `iat` is not judged at all: SoftClient4ES does not check it, and a clock set back (a VM
   * restored from a snapshot, a dead RTC battery) must not cost a signed license.
   */
  readonly purpose: 'received' | 'stored';
  /**
   * For a received token: the license server's clock, from the `Date` header of its answer, when
   * known. A token is judged by the clock of whoever issued it; without it, by ours.
   */
  readonly issuerNow?: number | undefined;
}

export type LicenseVerifier = (jwt: string, options: VerifyOptions) => Promise<VerifiedLicense>;

function describeJoseError(error: unknown): { message: string; claim?: string } {
  if (error instanceof joseErrors.JWTClaimValidationFailed || error instanceof joseErrors.JWTExpired) {
    return { message: `license claim "${error.claim}" ${error.reason}: ${error.message}`, claim: error.claim };
  }
  if (error instanceof LicenseVerificationError) return { message: error.message };
  if (error instanceof joseErrors.JWKSNoMatchingKey) return { message: 'license is signed by an unknown key' };
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return { message: 'license algorithm is not EdDSA' };
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return { message: 'license signature is invalid' };
  if (error instanceof joseErrors.JOSEError) return { message: `license is malformed (${error.code})` };
  return { message: 'license could not be verified' };
}

/**
 * The payload of a signed token refused only for a time that a stored token may have: an expiry
 * (the agent's grace period judges it), or a `nbf` no later than its own `iat` (the token was valid
 * when issued; only a clock set back puts it "in the future"). `undefined` for any other refusal.
 */
function authenticPayload(error: unknown, purpose: VerifyOptions['purpose']): JWTPayload | undefined {
  if (purpose !== 'stored') return undefined;
  if (error instanceof joseErrors.JWTExpired) return error.payload;
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
    const { nbf, iat } = error.payload;
    if (typeof nbf === 'number' && typeof iat === 'number' && nbf <= iat) return error.payload;
  }
  return undefined;
}

/**
 * The trusted key a token's `kid` names. A token without `kid` is refused even where a single
 * trusted key would do, as SoftClient4ES refuses it: keys rotate, and a token must say which it uses.
 */
function keyById(trustedKeys: JSONWebKeySet): JWTVerifyGetKey {
  const keySet = createLocalJWKSet(trustedKeys);
  const kids = new Set(trustedKeys.keys.map((key) => key.kid));
  return (header, token) => {
    if (typeof header.kid !== 'string' || header.kid.length === 0) throw new LicenseVerificationError('license has a missing key id (kid)');
    if (!kids.has(header.kid)) {
      // The kid comes from the token: quote it only when it is short and printable.
      const shown = /^[\w.-]{1,64}$/.test(header.kid) ? header.kid : '(unprintable)';
      throw new LicenseVerificationError(`license is signed by an unknown key id: ${shown}`);
    }
    return keySet(header, token);
  };
}

/** Refuses what is not worth handing to jose: no token at all, or one too long to be a license. */
function refuseUnfitInput(jwt: unknown): asserts jwt is string {
  if (typeof jwt !== 'string' || jwt.length === 0) throw new LicenseVerificationError('license is empty');
  if (jwt.length > MAX_JWT_LENGTH) {
    throw new LicenseVerificationError(`license is ${jwt.length} bytes long, over the ${MAX_JWT_LENGTH}-byte limit`);
  }
}

/** The payload of `jwt` once its signature, algorithm, issuer and times hold at `judgedAt`. */
async function signedPayload(
  jwt: string,
  keySet: JWTVerifyGetKey,
  issuer: string,
  judgedAt: number,
  purpose: VerifyOptions['purpose'],
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(jwt, keySet, {
      algorithms: ['EdDSA'],
      issuer,
      currentDate: new Date(judgedAt),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    return payload;
  } catch (error) {
    // The signature is checked before the claims, so a token refused for a time claim here is authentic.
    const authentic = authenticPayload(error, purpose);
    if (authentic) return authentic;
    const { message, claim } = describeJoseError(error);
    throw new LicenseVerificationError(message, { cause: error, ...(claim ? { claim } : {}) });
  }
}

/** Refuses a received token issued ahead of the clock it is judged by. */
function refuseFutureIssue(claims: LicenseClaims, judgedAt: number, issuerNow: number | undefined): void {
  if (claims.iat === undefined || claims.iat * 1000 <= judgedAt + CLOCK_TOLERANCE_SECONDS * 1000) return;
  // A token from the future would block every later one through the rollback check.
  const whose = issuerNow === undefined ? 'our clock' : "the license server's own clock";
  throw new LicenseVerificationError(
    `license claim "iat" is in the future: issued ${new Date(claims.iat * 1000).toISOString()}, ahead of ${whose} (${new Date(judgedAt).toISOString()})`,
    { claim: 'iat' },
  );
}

function refuseForeignRefreshUrl(claims: LicenseClaims, refreshOrigins: readonly string[] | undefined): void {
  if (claims.refresh_url === undefined) return;
  const problem = refreshUrlProblem(claims.refresh_url, refreshOrigins);
  if (problem) throw new LicenseVerificationError(`license claim "refresh_url" ${problem}`, { claim: 'refresh_url' });
}

/**
 * Creates a verifier bound to a JWKS of trusted public keys, the expected issuer (`iss`), by
 * default SoftClient4ES's own, and the origins a license may send its refreshes to. A token whose
 * `refresh_url` is elsewhere is refused whether configured, cached or received: refused at start
 * it is never called, and a refresh answer cannot move the next refresh to another origin.
 */
export function createVerifier(
  trustedKeys: JSONWebKeySet,
  issuer: string = DEFAULT_ISSUER,
  /** The origins a license's `refresh_url` may name; absent: any acceptable endpoint but link-local ones. */
  refreshOrigins?: readonly string[],
): LicenseVerifier {
  const keySet = keyById(trustedKeys);

  return async function verifyLicense(jwt, { now, purpose, issuerNow }) {
    refuseUnfitInput(jwt);
    const judgedAt = purpose === 'received' ? issuerNow ?? now : now;
    const payload = await signedPayload(jwt, keySet, issuer, judgedAt, purpose);
    const claims = parseClaims(payload);
    if (purpose === 'received') refuseFutureIssue(claims, judgedAt, issuerNow);
    refuseForeignRefreshUrl(claims, refreshOrigins);
    return Object.freeze({ jwt, claims });
  };
}

/**
 * Checks that a license received from a refresh may replace the current one: in static-JWT mode it
 * must be the same license (`sub`), and a token for the same license must not be older (`iat`): a
 * rollback to an earlier token, replayed or served by mistake, is refused. Tokens without `iat`
 * (SoftClient4ES issues them) cannot be ordered, so the check is skipped for them.
 */
export function checkSuccessor(current: VerifiedLicense | undefined, next: VerifiedLicense, sameLicenseRequired: boolean): void {
  if (!current) return;
  if (sameLicenseRequired && next.claims.sub !== current.claims.sub) {
    throw new LicenseVerificationError(
      `refreshed license is for "${next.claims.sub}", not the current license "${current.claims.sub}"`,
      { claim: 'sub' },
    );
  }
  const [was, now] = [current.claims.iat, next.claims.iat];
  if (next.claims.sub === current.claims.sub && was !== undefined && now !== undefined && now < was) {
    throw new LicenseVerificationError('refreshed license is older than the current one (iat)', { claim: 'iat' });
  }
}
