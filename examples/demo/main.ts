/**
 * `npm start`: the smallest end-to-end run. A reference license server on loopback, a throwaway
 * state directory, and an agent in API-key mode with a short interval under a small simulated query
 * load. It prints each transition and every request body the server receives, until Ctrl-C or
 * `--duration`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseDuration } from '../../src/config/duration.js';
import { createLicenseAgent } from '../../src/index.js';
import { startLicenseServer, type RecordedRequest } from '../../src/issuer/index.js';

const USAGE = `Usage: npm start -- [--interval 10s] [--duration 45s] [--no-telemetry]`;

function readArgs() {
  const { values } = parseArgs({
    options: {
      interval: { type: 'string', default: '10s' },
      duration: { type: 'string' },
      'no-telemetry': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const durationMs = values.duration === undefined ? undefined : parseDuration(values.duration);
  if (values.duration !== undefined && durationMs === undefined) {
    console.error(`--duration: "${values.duration}" is not a duration (e.g. 45s, 2m)\n${USAGE}`);
    process.exit(2);
  }
  return { interval: values.interval, durationMs, telemetry: !values['no-telemetry'] };
}

function clockTime(): string {
  return new Date().toISOString().slice(11, 23);
}

function printRequest(request: RecordedRequest): void {
  const scheme = (request.headers.authorization ?? '').split(' ')[0] || 'none';
  console.log(`${clockTime()}  server <- ${request.method} ${request.path} (Authorization: ${scheme} …)`);
  console.log(`              body ${JSON.stringify(request.body)}`);
}

async function main(): Promise<void> {
  const args = readArgs();
  const apiKey = 'sk-demo-api-key';
  const server = await startLicenseServer({
    apiKeys: { [apiKey]: { sub: 'demo-license', tier: 'Pro', features: ['materialized_views', 'jdbc_driver', 'flight_sql'], quotas: { max_clusters: 3 } } },
    onRequest: printRequest,
  });
  const stateDir = await mkdtemp(join(tmpdir(), 'softclient4es-demo-'));
  const agent = createLicenseAgent({
    version: '1.0.0-demo',
    apiKey,
    serverUrl: server.url,
    stateDir,
    trustedKeys: server.keys.jwks,
    refresh: { interval: args.interval },
    telemetry: { enabled: args.telemetry },
    logger: pino({ level: 'warn' }),
    env: {},
  });
  const until = args.durationMs === undefined ? 'until Ctrl-C' : `for ${args.durationMs / 1000} s (Ctrl-C stops sooner)`;
  console.log(`${clockTime()}  license server on ${server.url}; state dir ${stateDir}; refresh every ${args.interval}; running ${until}`);

  agent.on('licenseChanged', (next, previous) => {
    console.log(`${clockTime()}  license ${previous.tier} -> ${next.tier} (${next.licenseId}, expires ${next.expiresAt})`);
  });
  agent.on('stateChanged', (state, previous) => {
    const next = agent.status().nextRefreshAt;
    console.log(`${clockTime()}  agent ${previous ?? 'created'} -> ${state}${next ? `; next refresh at ${next.slice(11, 23)}` : ''}`);
  });

  await agent.start();
  // A small simulated query load: a few queries a second, a join now and then.
  agent.telemetry.setClustersConnected(2);
  agent.telemetry.setMaterializedViews(1);
  const load = setInterval(() => {
    agent.telemetry.recordQuery();
    if (Math.random() < 0.3) agent.telemetry.recordJoin();
  }, 250);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(load);
    await agent.stop();
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
    console.log(`${clockTime()}  stopped after ${server.requests.length} request(s)`);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  if (args.durationMs !== undefined) setTimeout(() => void shutdown(), args.durationMs);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
