/**
 * The `refreshOrigins` option: the origins a license's `refresh_url` may name. The default is the
 * origin of `serverUrl` and SoftClient4ES's own license server, so that its licenses work unchanged
 * and a private license server configured as `serverUrl` is trusted for its own tokens; anything
 * else must be listed by the operator. Link-local and metadata addresses cannot be listed at all.
 */
import { LicenseConfigError } from '../errors.js';
import { endpointProblem, isLinkLocalHost } from '../net/url-policy.js';

/** SoftClient4ES's license server, trusted by default whatever `serverUrl` says. */
export const VENDOR_ORIGIN = 'https://license.softclient4es.com';

/** The environment form: origins separated by commas or spaces. */
export const REFRESH_ORIGINS_VARIABLE = 'SOFTCLIENT4ES_LICENSE_REFRESH_ORIGINS';

function originOf(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new LicenseConfigError(name, 'must list origins as non-empty strings');
  const problem = endpointProblem(value.trim());
  if (problem) throw new LicenseConfigError(name, `${JSON.stringify(value)} ${problem}`);
  const url = new URL(value.trim());
  if (isLinkLocalHost(url.hostname)) throw new LicenseConfigError(name, `${url.origin} is a link-local or cloud-metadata address and cannot be trusted`);
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new LicenseConfigError(name, `${JSON.stringify(value)} is not an origin (scheme, host and port only, e.g. ${url.origin})`);
  }
  return url.origin;
}

/** The trusted origins: the option's list when given (it replaces the default), else the default. */
export function refreshOriginsOption(value: unknown, serverUrl: string): readonly string[] {
  if (value === undefined) return Object.freeze([...new Set([new URL(serverUrl).origin, VENDOR_ORIGIN])]);
  if (!Array.isArray(value)) throw new LicenseConfigError('refreshOrigins', 'must be an array of origins');
  return Object.freeze([...new Set(value.map((item) => originOf(item, 'refreshOrigins')))]);
}

/** The variable's origins, validated, or `undefined` when it is not set. */
export function readRefreshOriginsVariable(env: Record<string, string | undefined>): string[] | undefined {
  const raw = env[REFRESH_ORIGINS_VARIABLE]?.trim();
  if (!raw) return undefined;
  return raw.split(/[\s,]+/).filter(Boolean).map((item) => originOf(item, REFRESH_ORIGINS_VARIABLE));
}
