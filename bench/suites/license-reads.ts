/**
 * Benchmark 2, license reads: `agent.license()`, `agent.hasFeature('federation')` and
 * `agent.quota('max_joins')` on a started agent holding a Pro license (static JWT, no refresh URL,
 * so no network), against a plain property read of a frozen object. Each loop consumes what it
 * reads the same way (a tally), and the tallies are checked.
 */
import { createLicenseAgent, type EffectiveLicense, type LicenseAgent } from '../.build/src/index.js';
import { generateIssuerKeys, mintLicense } from '../.build/src/issuer/index.js';
import { silentLogger, tempDir, VERSION } from '../lib/fixtures.js';
import { allocatesNothing, measureAllocation, timeInterleaved, type Contender, type Timing } from '../lib/micro.js';
import { row, type Row } from '../lib/report.js';
import { formatBytes, formatDuration, formatRatio } from '../lib/stats.js';
import { progress, runSuite } from '../lib/suite.js';

const CALLS = 10_000_000;
const WARMUP = 3;
const ROUNDS = 15;
const QUOTA = 5;

interface Frozen {
  readonly license: EffectiveLicense;
  readonly federation: boolean;
  readonly max_joins: number | null;
}

function oursLicense(agent: LicenseAgent, calls: number): number {
  let changes = 0;
  let last: EffectiveLicense | undefined;
  for (let i = 0; i < calls; i++) {
    const license = agent.license();
    if (license !== last) {
      changes++;
      last = license;
    }
  }
  return changes;
}
function plainLicense(frozen: Frozen, calls: number): number {
  let changes = 0;
  let last: EffectiveLicense | undefined;
  for (let i = 0; i < calls; i++) {
    const license = frozen.license;
    if (license !== last) {
      changes++;
      last = license;
    }
  }
  return changes;
}
function oursFeature(agent: LicenseAgent, calls: number): number {
  let hits = 0;
  for (let i = 0; i < calls; i++) if (agent.hasFeature('federation')) hits++;
  return hits;
}
function plainFeature(frozen: Frozen, calls: number): number {
  let hits = 0;
  for (let i = 0; i < calls; i++) if (frozen.federation) hits++;
  return hits;
}
function oursQuota(agent: LicenseAgent, calls: number): number {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    const quota = agent.quota('max_joins');
    if (quota !== null) sum += quota;
  }
  return sum;
}
function plainQuota(frozen: Frozen, calls: number): number {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    const quota = frozen.max_joins;
    if (quota !== null) sum += quota;
  }
  return sum;
}

function find(timings: readonly Timing[], name: string): Timing {
  const found = timings.find((t) => t.name === name);
  if (!found) throw new Error(`no timing for ${name}`);
  return found;
}

runSuite(async () => {
  const keys = await generateIssuerKeys();
  const jwt = await mintLicense(keys, { sub: 'lic-reads', tier: 'Pro', features: ['federation', 'repl'], quotas: { max_joins: QUOTA } }, { now: Date.now() });
  const state = await tempDir('reads');
  const agent = createLicenseAgent({ version: VERSION, licenseKey: jwt, stateDir: state.dir, trustedKeys: keys.jwks, logger: silentLogger(), env: {} });
  await agent.start();
  if (agent.license().tier !== 'Pro' || !agent.hasFeature('federation') || agent.quota('max_joins') !== QUOTA) {
    throw new Error('the agent did not adopt the benchmark license');
  }
  const frozen: Frozen = Object.freeze({ license: agent.license(), federation: true, max_joins: QUOTA });

  const pairs = [
    { call: 'license()', ours: (n: number) => oursLicense(agent, n), plain: (n: number) => plainLicense(frozen, n), expect: 1 },
    { call: "hasFeature('federation')", ours: (n: number) => oursFeature(agent, n), plain: (n: number) => plainFeature(frozen, n), expect: CALLS },
    { call: "quota('max_joins')", ours: (n: number) => oursQuota(agent, n), plain: (n: number) => plainQuota(frozen, n), expect: CALLS * QUOTA },
  ];
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  for (const pair of pairs) {
    progress(`${pair.call}: ${WARMUP} warm-up + ${ROUNDS} rounds of 10 M calls, against a frozen object's property`);
    const contenders: Contender[] = [
      { name: 'ours', calls: CALLS, run: pair.ours },
      { name: 'plain', calls: CALLS, run: pair.plain },
    ];
    const timings = timeInterleaved(contenders, { warmup: WARMUP, rounds: ROUNDS });
    const rounds = WARMUP + ROUNDS;
    for (const timing of timings) {
      if (timing.checksum !== pair.expect * rounds) throw new Error(`${pair.call} ${timing.name}: tally ${timing.checksum}, expected ${pair.expect * rounds}`);
    }
    const allocation = await measureAllocation(pair.ours, CALLS);
    const ours = find(timings, 'ours');
    const plain = find(timings, 'plain');
    const ratio = ours.median / plain.median;
    rows.push(row(2, `${pair.call} vs frozen-object property read`, {
      ours: formatDuration(ours.median / 1e6),
      baseline: formatDuration(plain.median / 1e6),
      ratio: formatRatio(ratio),
      target: '≤ 3×',
      pass: ratio <= 3,
      values: { oursNs: ours.median, baselineNs: plain.median, ratio },
    }));
    rows.push(row(2, `${pair.call}: heap growth over 10 M calls`, {
      ours: `${formatBytes(allocation.heapGrowthBytes)}, ${allocation.collections} GC`,
      baseline: '—',
      ratio: '—',
      target: '0 B/call (no GC, < 64 KiB)',
      pass: allocatesNothing(allocation),
      values: { bytes: allocation.heapGrowthBytes, collections: allocation.collections, bytesPerCall: allocation.bytesPerCall },
    }));
    details[pair.call] = { timings, allocation };
  }
  await agent.stop();
  await state.remove();
  return { suite: 'license-reads', rows, details };
});
