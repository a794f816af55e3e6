/**
 * Benchmark 4, one refresh cycle against the reference server on 127.0.0.1: `agent.refreshNow()`
 * (API-key mode, a real state dir on disk) from the call until the new license is on disk (the
 * cache replaced and every file operation of the cycle finished: the writes of `license-cache.jwt`
 * and `license-state.json` with fsync, ledger append), against a hand-written baseline doing the
 * same work directly: `fetch` + `jose.jwtVerify` + for each of the two files a temp file, `fsync`,
 * `rename`, directory `fsync`, and an assignment for the state update.
 * Rounds of the two alternate, so that drift on a shared machine hits both alike.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { createLicenseAgent } from '../.build/src/index.js';
import { startLicenseServer } from '../.build/src/issuer/index.js';
import { API_KEY, sha256Hex, silentLogger, tempDir, VERSION } from '../lib/fixtures.js';
import { row } from '../lib/report.js';
import { formatDuration, formatRatio, median, quantile } from '../lib/stats.js';
import { fileSystemBusy, pollUntil, progress, runSuite } from '../lib/suite.js';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 1_000);
const WARMUP_CYCLES = 50;
const ROUND_CYCLES = 50;
const TARGET_RATIO = 1.5;
/** The JWT alone, as SoftClient4ES reads it. */
const CACHE_FILE = 'license-cache.jwt';
/** The agent's record of that JWT: written after it, so its replacement ends a cycle's writes. */
const STATE_FILE = 'license-state.json';

/** The cache file's identity: a new file (new inode, new mtime) replaces it on every write. */
function fileStamp(file: string): string {
  try {
    const { ino, mtimeNs, size } = statSync(file, { bigint: true });
    return `${ino}:${mtimeNs}:${size}`;
  } catch {
    return 'missing';
  }
}

/**
 * Resolves once `file` was replaced and no file operation is in flight any more: checked at every
 * turn of the event loop, with a 50 µs nap between turns (see `nap`), for ours and the baseline alike.
 */
function settledOnDisk(file: string, before: string): Promise<void> {
  return pollUntil(() => fileStamp(file) !== before && !fileSystemBusy(), 'the cache write');
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The baseline: what a developer would write by hand for one refresh. */
function createBaseline(options: { url: string; dir: string; jwks: Parameters<typeof createLocalJWKSet>[0] }) {
  const keySet = createLocalJWKSet(options.jwks);
  const file = path.join(options.dir, STATE_FILE);
  const writeAtomic = async (name: string, data: string) => {
    const temp = path.join(options.dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path.join(options.dir, name));
    await syncDirectory(options.dir);
  };
  const instanceId = '9f1c2a0b-7d3e-4c1e-9a53-2f5f2a9d7c10';
  const startedAt = Date.now();
  let license: { jwt: string; claims: JWTPayload } | undefined;
  let queries = 0;
  return {
    file,
    get license() {
      return license;
    },
    async cycle(): Promise<void> {
      queries += 1;
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          instance_id: instanceId,
          version: VERSION,
          uptime_hours: Math.round((Date.now() - startedAt) / 3_600) / 1_000,
          telemetry: { queries_total: queries, joins_total: 0, mvs_active: 0, clusters_connected: 0 },
        }),
      });
      if (response.status !== 200) throw new Error(`baseline: HTTP ${response.status}`);
      const { jwt } = (await response.json()) as { jwt: string };
      const { payload } = await jwtVerify(jwt, keySet, { algorithms: ['EdDSA'], currentDate: new Date() });
      const record = { jwt_sha256: sha256Hex(jwt), license_id: payload.sub, fetched_at: new Date().toISOString(), key_fingerprint: sha256Hex(API_KEY) };
      await writeAtomic(CACHE_FILE, jwt);
      await writeAtomic(STATE_FILE, `${JSON.stringify({ format: 1, api_key: record }, null, 2)}\n`);
      license = { jwt, claims: payload };
    },
  };
}

runSuite(async () => {
  const server = await startLicenseServer({ apiKeys: { [API_KEY]: { sub: 'lic-cycle', tier: 'Pro', features: ['federation'] } } });
  const oursDir = await tempDir('cycle-ours');
  const baseDir = await tempDir('cycle-baseline');
  const agent = createLicenseAgent({
    version: VERSION,
    apiKey: API_KEY,
    serverUrl: server.url,
    stateDir: oursDir.dir,
    trustedKeys: server.keys.jwks,
    logger: silentLogger(),
    env: {},
  });
  await agent.start();
  if (agent.license().tier !== 'Pro') throw new Error('the agent did not get its first license');
  const cacheFile = path.join(oursDir.dir, STATE_FILE);
  await settledOnDisk(cacheFile, 'missing');
  const baseline = createBaseline({ url: `${server.url}/api/v1/licenses/token`, dir: baseDir.dir, jwks: server.keys.jwks });

  async function oursCycle(): Promise<number> {
    const before = fileStamp(cacheFile);
    const started = performance.now();
    const result = await agent.refreshNow();
    if (result.status !== 'refreshed') throw new Error(`refreshNow: ${result.message}`);
    await settledOnDisk(cacheFile, before);
    return performance.now() - started;
  }
  async function baselineCycle(): Promise<number> {
    const before = fileStamp(baseline.file);
    const started = performance.now();
    await baseline.cycle();
    // The same end-of-cycle check as ours, so both pay its event-loop turn.
    await settledOnDisk(baseline.file, before);
    return performance.now() - started;
  }

  progress(`warm-up: ${WARMUP_CYCLES} cycles each`);
  for (let i = 0; i < WARMUP_CYCLES; i++) {
    await oursCycle();
    await baselineCycle();
  }
  progress(`${CYCLES} cycles each, in alternating rounds of ${ROUND_CYCLES}`);
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; ours.length < CYCLES; round++) {
    const first = round % 2 === 0 ? oursCycle : baselineCycle;
    const second = first === oursCycle ? baselineCycle : oursCycle;
    for (const run of [first, second]) {
      const into = run === oursCycle ? ours : base;
      for (let i = 0; i < ROUND_CYCLES; i++) into.push(await run());
    }
  }
  const requests = server.requests.length;
  await agent.stop();
  await server.close();
  await oursDir.remove();
  await baseDir.remove();

  const oursMedian = median(ours);
  const baseMedian = median(base);
  const ratio = oursMedian / baseMedian;
  return {
    suite: 'refresh-cycle',
    rows: [
      row(4, `refresh cycle (HTTP, verify, fsync'd write), median of ${CYCLES}`, {
        ours: formatDuration(oursMedian),
        baseline: formatDuration(baseMedian),
        ratio: formatRatio(ratio),
        target: `≤ ${TARGET_RATIO}×`,
        pass: ratio <= TARGET_RATIO,
        values: { oursMs: oursMedian, baselineMs: baseMedian, ratio },
      }),
      row(4, 'refresh cycle, 90th percentile', {
        ours: formatDuration(quantile(ours, 0.9)),
        baseline: formatDuration(quantile(base, 0.9)),
        ratio: formatRatio(quantile(ours, 0.9) / quantile(base, 0.9)),
        target: '—',
        pass: null,
        values: { oursMs: quantile(ours, 0.9), baselineMs: quantile(base, 0.9) },
      }),
    ],
    details: { cycles: CYCLES, requests, oursMs: ours, baselineMs: base },
  };
});
