/** The reference license server, for tests, the demo and vendors: named re-exports only. */
export { generateIssuerKeys, type IssuerKeys } from './keys.js';
export { DEFAULT_VALIDITY_MS, decodeLicenseClaims, mintLicense, type LicenseTemplate, type MintOptions } from './mint.js';
export { REFRESH_PATH, TOKEN_PATH, type RefreshAnswer } from './endpoints.js';
export { MAX_REQUEST_BODY_BYTES, type FaultResponse, type RecordedRequest } from './exchange.js';
export { startLicenseServer, type FaultHandler, type LicenseServer, type LicenseServerOptions } from './server.js';
