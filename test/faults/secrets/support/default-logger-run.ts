/**
 * Child process for the secrets test: runs agents with no `logger` option, so that they log through
 * the agent's default pino logger to stderr, through successes and failures in both modes. Every
 * JWT served is minted here, so that the parent knows them all: at the end, stdout gets
 * `{ "secrets": [...] }` (the API key and every JWT configured, sent or served).
 * Usage: node --import tsx default-logger-run.ts <stateDir>
 */
import path from 'node:path';
import { createLicenseAgent } from '../../../../src/index.js';
import { startLicenseServer, type FaultResponse, type RecordedRequest } from '../../../../src/issuer/index.js';

const stateRoot = process.argv[2] as string;
const API_KEY = 'sk-live_default_logger_9d2f7c1e5a3b8f6d';
const PRO = { sub: 'lic-default-logger', tier: 'Pro' } as const;
const secrets = new Set<string>([API_KEY]);

const server = await startLicenseServer({ apiKeys: { [API_KEY]: PRO } });
const nowSeconds = () => Math.floor(Date.now() / 1000);
let serial = 0;
async function minted(template: object): Promise<string> {
  const jwt = await server.mint({ ...PRO, ...template, extra: { serial: serial++ } });
  secrets.add(jwt);
  return jwt;
}
const jwtAnswer = (jwt: string): FaultResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt }) });
const credentials = (request: RecordedRequest) => (request.headers.authorization ?? '').replace(/^\S+\s+/, '');

/** Each answer in turn; the credentials of each request are secrets too. */
function script(answers: Array<(request: RecordedRequest) => FaultResponse>) {
  server.respondWith((request) => {
    secrets.add(credentials(request));
    return answers.shift()?.(request) ?? { status: 503, body: 'no more answers' };
  });
}

// API-key mode: a fetch, a 401 echoing the key, a 503 echoing the header, a good refresh.
const fetched = await minted({});
const refreshed = await minted({});
script([
  () => jwtAnswer(fetched),
  (request) => ({ status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `unknown key ${credentials(request)}` }) }),
  (request) => ({ status: 503, headers: { 'retry-after': '30' }, body: `down; saw ${request.headers.authorization}` }),
  () => jwtAnswer(refreshed),
]);
const apiKeyAgent = createLicenseAgent({
  version: '1.0.0', apiKey: API_KEY, serverUrl: server.url, stateDir: path.join(stateRoot, 'api-key'),
  trustedKeys: server.keys.jwks, env: {}, refresh: { interval: '24h' },
});
await apiKeyAgent.start();
for (let i = 0; i < 3; i++) await apiKeyAgent.refreshNow();
await apiKeyAgent.stop();

// Static-JWT mode: a fresh license asks nothing at start (its first refresh is one interval after
// iat), so four refreshNow() calls: a good refresh, a 401 echoing the bearer, a forged answer, a good refresh.
const licenseKey = await minted({ refresh_url: server.refreshUrl, iat: nowSeconds() - 60 });
const reissued = await minted({ refresh_url: server.refreshUrl });
const reissuedAgain = await minted({ refresh_url: server.refreshUrl });
script([
  () => jwtAnswer(reissued),
  (request) => ({ status: 401, body: `revoked: ${request.headers.authorization}` }),
  () => jwtAnswer(`${fetched.split('.').slice(0, 2).join('.')}.${reissued.split('.')[2]}`),
  () => jwtAnswer(reissuedAgain),
]);
const staticAgent = createLicenseAgent({
  version: '1.0.0', licenseKey, refreshOrigins: [server.url], stateDir: path.join(stateRoot, 'static'), trustedKeys: server.keys.jwks, env: {}, refresh: { interval: '24h' },
});
await staticAgent.start();
for (let i = 0; i < 4; i++) await staticAgent.refreshNow();
await staticAgent.stop();

await server.close();
process.stdout.write(`${JSON.stringify({ secrets: [...secrets].filter(Boolean) })}\n`);
