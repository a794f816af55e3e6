/**
 * A stand-in SQL endpoint on node:http that embeds the license agent: what a SoftClient4ES server
 * does with it, in one file. The agent is configured from the environment (loadConfig) plus the
 * server's own version; the request handlers never hold a reference to the agent for usage
 * reporting: they publish on the `softclient4es:query` and `softclient4es:join` diagnostics channels.
 *
 *   POST /query            runs a "query" ({ joins, clusters, rows, materializedViews } in a JSON body
 *                          or the query string); 402 when it exceeds a quota of the license in force
 *   GET  /license          the SHOW LICENSE row
 *   POST /license/refresh  the REFRESH LICENSE row
 *   GET  /metrics          the agent's metrics: OpenMetrics when the Accept header asks for it, else
 *                          the Prometheus text format
 *
 * Run it from a clone of the repository after `npm run build` (`node examples/http-server/server.mjs`),
 * or copy it into a project that depends on softclient4es-license: the import is the same.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { CHANNELS, METRICS_CONTENT_TYPE, createLicenseAgent, loadConfig } from 'softclient4es-license';

const VERSION = '1.0.0-example';
const MAX_BODY_BYTES = 64 * 1024;
/** What a query may ask for, and the quota that bounds it. */
const QUOTA_OF = Object.freeze({
  joins: 'max_joins',
  clusters: 'max_clusters',
  rows: 'max_query_results',
  materializedViews: 'max_materialized_views',
});

const queries = diagnostics_channel.channel(CHANNELS.query);
const joins = diagnostics_channel.channel(CHANNELS.join);

/**
 * Example-only: the JWKS of a private or test issuer (the reference license server's keys in the
 * tests). The library itself never takes keys from the environment: a license anyone can sign is no
 * license. Without this variable the agent trusts the keys shipped with the package.
 */
function trustedKeysFromFile(env) {
  const file = env.EXAMPLE_TRUSTED_KEYS_FILE;
  return file ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/**
 * Answers with a JSON body and its length in bytes: without `content-length`, an HTTP/1.0 answer
 * can only end with its connection, so a keep-alive client could not send another request on it.
 */
function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text, 'utf8') });
  response.end(text);
}

/**
 * True when `Accept` lists OpenMetrics (with a q above 0), as Prometheus's scrapes do; anything
 * else, no header included, gets the Prometheus text format, which every scraper reads.
 */
function wantsOpenMetrics(accept = '') {
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return type === 'application/openmetrics-text' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function sendMetrics(agent, request, response) {
  const format = wantsOpenMetrics(request.headers.accept) ? 'openmetrics' : 'prometheus';
  const text = agent.metrics(format);
  // Vary: the same URL answers in two forms, so a cache between must key on Accept.
  response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE[format], 'content-length': Buffer.byteLength(text, 'utf8'), vary: 'Accept' });
  response.end(text);
}

class BadRequest extends Error {}

async function readJson(request) {
  let size = 0;
  const chunks = [];
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest('request body over 64 KiB');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body;
  } catch {
    // Reported below, like any body that is not a JSON object.
  }
  throw new BadRequest('request body is not a JSON object');
}

/** The query's demands: query-string values, overridden by the JSON body's. */
async function demandsOf(request, url) {
  const body = await readJson(request);
  const demands = {};
  for (const field of Object.keys(QUOTA_OF)) {
    const raw = body[field] ?? url.searchParams.get(field) ?? 0;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new BadRequest(`${field} must be a non-negative integer`);
    demands[field] = value;
  }
  return demands;
}

/** The first quota of the license in force that the query exceeds, as the 402 message. */
function quotaExceeded(agent, demands) {
  for (const [field, quota] of Object.entries(QUOTA_OF)) {
    const limit = agent.quota(quota); // null: unlimited
    if (limit !== null && demands[field] > limit) {
      return `Quota exceeded: ${quota} is ${limit} on the ${agent.license().tier} tier`;
    }
  }
  return undefined;
}

async function runQuery(agent, request, response, url) {
  const demands = await demandsOf(request, url);
  const refusal = quotaExceeded(agent, demands);
  if (refusal) return send(response, 402, { error: refusal });
  // Only queries that ran are counted. Publishing costs nothing when no agent listens.
  queries.publish({ count: 1 });
  if (demands.joins > 0) joins.publish({ count: demands.joins });
  send(response, 200, { ok: true, tier: agent.license().tier, ...demands });
}

function handler(agent) {
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = `${request.method} ${url.pathname}`;
    try {
      if (route === 'POST /query') return await runQuery(agent, request, response, url);
      if (route === 'GET /license') return send(response, 200, agent.showLicense());
      if (route === 'GET /metrics') return sendMetrics(agent, request, response);
      // A failed refresh is still an answer to REFRESH LICENSE: the row says Failed and why.
      if (route === 'POST /license/refresh') return send(response, 200, await agent.refreshLicense());
      send(response, 404, { error: `no route for ${route}` });
    } catch (error) {
      if (error instanceof BadRequest) return send(response, 400, { error: error.message });
      console.error(error);
      send(response, 500, { error: 'internal error' });
    }
  };
}

const agent = createLicenseAgent({
  ...loadConfig(process.env),
  version: VERSION,
  trustedKeys: trustedKeysFromFile(process.env),
});
// Resolves once the initial license is known; never throws for license or network trouble.
await agent.start();

const handle = handler(agent);
const server = createServer((request, response) => void handle(request, response));
const host = process.env.HOST ?? '127.0.0.1';
// A port that is taken (or not ours to take) is an operator's mistake: one line and exit 1, no stack.
server.once('error', (error) => {
  const reasons = { EADDRINUSE: 'is already in use', EACCES: 'needs privileges this process does not have' };
  const reason = reasons[error.code] ?? `cannot be listened on (${error.code ?? error.message})`;
  console.error(`cannot listen on ${host}:${process.env.PORT ?? 8080}: the port ${reason}`);
  process.exitCode = 1;
  void agent.stop();
});
server.listen(Number(process.env.PORT ?? 8080), host, () => {
  const { port } = server.address();
  console.log(`SQL endpoint listening on http://${host}:${port} (license: ${agent.license().tier})`);
});

async function shutdown(signal) {
  console.log(`${signal}: stopping`);
  // A safety net for a copy of this file in production; unref'd, so it never holds the process.
  setTimeout(() => process.exit(1), 10_000).unref();
  server.close();
  server.closeIdleConnections();
  // Clears every timer, aborts a refresh in flight, flushes the cache: the process then exits by
  // itself, with code 0, because nothing is left running.
  await agent.stop();
}
process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
