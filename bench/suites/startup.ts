/**
 * Benchmark 3, start-up: the wall time of whole Node processes, spawned and timed from here (spawn
 * to exit), in interleaved rounds with medians. The agent's script imports the built package
 * (bench/.build, bundled like dist/), starts an agent from a state dir holding a valid cached JWT
 * (static-JWT mode, no refresh_url, so no network) and stops it. Baselines: bare `node -e ''`, and (b) a script that
 * only imports what the agent needs on that path. Each dependency's import cost is measured alone.
 */
import { spawn } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateIssuerKeys, mintLicense } from '../.build/src/issuer/index.js';
import { tempDir, writeLicenseCache } from '../lib/fixtures.js';
import { row, type Row } from '../lib/report.js';
import { formatDuration, formatRatio, median } from '../lib/stats.js';
import { BENCH_DIR, BUILD_DIR, MODULES_DIR, progress, ROOT_DIR, runSuite } from '../lib/suite.js';

const WARMUP_ROUNDS = 1;
const ROUNDS = 20;
const OVERHEAD_TARGET_MS = 20;

const script = (name: string) => path.join(BENCH_DIR, 'startup', name);
const IMPORT = script('import.mjs');
const PACKAGE_URL = pathToFileURL(path.join(BUILD_DIR, 'src', 'index.js')).href;
const MODULES_URL = pathToFileURL(path.join(MODULES_DIR, 'src', 'index.js')).href;

interface Variant {
  readonly name: string;
  readonly label: string;
  readonly args: readonly string[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'bare', label: "node -e ''", args: ['-e', ''] },
  { name: 'import:none', label: 'import.mjs with nothing to import', args: [IMPORT] },
  { name: 'import:xstate', label: 'xstate', args: [IMPORT, 'xstate'] },
  { name: 'import:jose-verify', label: 'jose verify entries (jwt/verify, jwks/local, errors)', args: [IMPORT, 'jose/jwt/verify', 'jose/jwks/local', 'jose/errors'] },
  { name: 'import:jose', label: 'jose root entry (not imported by the agent)', args: [IMPORT, 'jose'] },
  { name: 'import:pino', label: 'pino', args: [IMPORT, 'pino'] },
  { name: 'import:env-paths', label: 'env-paths', args: [IMPORT, 'env-paths'] },
  { name: 'import:undici', label: 'undici', args: [IMPORT, 'undici'] },
  { name: 'deps', label: '(b) xstate + jose verify + pino + env-paths', args: [script('deps.mjs')] },
  { name: 'import:package', label: 'the package, imported only', args: [IMPORT, PACKAGE_URL] },
  { name: 'import:modules', label: 'the package unbundled (tsc output, one file per module), imported only', args: [IMPORT, MODULES_URL] },
  { name: 'agent', label: 'import + start + stop with a cached JWT', args: [script('agent.mjs')] },
];

function timeProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: ROOT_DIR, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(elapsedMs);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** The packages (under node_modules) that the agent's start path resolves, from one traced run. */
async function packagesLoaded(env: NodeJS.ProcessEnv, traceFile: string): Promise<string[]> {
  await timeProcess(['--import', script('trace-loads.mjs'), script('agent.mjs')], { ...env, BENCH_TRACE_FILE: traceFile });
  const urls = (await readFile(traceFile, 'utf8')).split('\n').filter(Boolean);
  const packages = new Set<string>();
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1]) packages.add(match[1]);
  }
  return [...packages].sort();
}

runSuite(async () => {
  const keys = await generateIssuerKeys();
  const now = Date.now();
  const template = { sub: 'lic-startup', tier: 'Pro' as const, features: ['federation'] };
  const configured = await mintLicense(keys, template, { now: now - 3_600_000 });
  // An earlier refresh left a newer token for the same license in the cache: start-up reads it,
  // verifies both, and uses the newer one.
  const cached = await mintLicense(keys, template, { now: now - 600_000 });
  const state = await tempDir('startup');
  await writeLicenseCache(state.dir, { jwt: cached, licenseId: template.sub, fetchedAt: now - 600_000 });

  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_LICENSE_KEY: configured, BENCH_STATE_DIR: state.dir, BENCH_TRUSTED_KEYS: JSON.stringify(keys.jwks) };
  // A loader inherited through NODE_OPTIONS (tsx) would be paid by every spawned process.
  delete env['NODE_OPTIONS'];

  // The earlier run: creates the instance id, as the server's first start did.
  await timeProcess([script('agent.mjs')], env);
  await stat(path.join(state.dir, 'instance-id'));
  const loaded = await packagesLoaded(env, path.join(state.dir, 'trace.txt'));
  await rm(path.join(state.dir, 'trace.txt'), { force: true });

  progress(`${VARIANTS.length} scripts × (${WARMUP_ROUNDS} warm-up + ${ROUNDS} measured runs), interleaved`);
  const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(k + round) % VARIANTS.length] as Variant;
      const elapsed = await timeProcess(variant.args, env);
      if (round >= WARMUP_ROUNDS) samples.get(variant.name)?.push(elapsed);
    }
  }
  await state.remove();

  const med = (name: string) => median(samples.get(name) ?? []);
  const best = (name: string) => Math.min(...(samples.get(name) ?? []));
  const agent = med('agent');
  const deps = med('deps');
  const over = agent - deps;
  const rows: Row[] = [
    row(3, 'start-up: import + start + stop (cached JWT) vs (b) deps only', {
      ours: `${formatDuration(agent)} (+${formatDuration(over)})`,
      baseline: formatDuration(deps),
      ratio: formatRatio(agent / deps),
      target: `≤ (b) + ${OVERHEAD_TARGET_MS} ms`,
      pass: over <= OVERHEAD_TARGET_MS,
      values: { oursMs: agent, baselineMs: deps, overMs: over },
    }),
    row(3, 'start-up, fastest run of each', {
      ours: `${formatDuration(best('agent'))} (+${formatDuration(best('agent') - best('deps'))})`,
      baseline: formatDuration(best('deps')),
      ratio: formatRatio(best('agent') / best('deps')),
      target: '—',
      pass: null,
      values: { oursMs: best('agent'), baselineMs: best('deps'), overMs: best('agent') - best('deps') },
    }),
    row(3, "start-up vs bare node -e ''", {
      ours: formatDuration(agent),
      baseline: formatDuration(med('bare')),
      ratio: formatRatio(agent / med('bare')),
      target: '—',
      pass: null,
      values: { oursMs: agent, baselineMs: med('bare') },
    }),
  ];
  const none = med('import:none');
  for (const variant of VARIANTS.filter((v) => v.name.startsWith('import:') && v.name !== 'import:none')) {
    const cost = med(variant.name) - none;
    rows.push(row(3, `import cost: ${variant.label}`, {
      ours: formatDuration(cost),
      baseline: '—',
      ratio: '—',
      target: '—',
      pass: null,
      values: { costMs: cost, medianMs: med(variant.name), emptyScriptMs: none },
    }));
  }
  const own = med('import:package') - deps;
  const unbundled = med('import:modules') - deps;
  rows.push(row(3, 'import cost: our own code, bundled (package − (b)) vs one file per module', {
    ours: formatDuration(own), baseline: formatDuration(unbundled), ratio: formatRatio(own / unbundled), target: '—', pass: null, values: { costMs: own, unbundledCostMs: unbundled },
  }));
  const work = agent - med('import:package');
  rows.push(row(3, 'start + stop after import (agent − package)', {
    ours: formatDuration(work), baseline: '—', ratio: '—', target: '—', pass: null, values: { costMs: work },
  }));
  rows.push(row(3, 'packages loaded on the start path', {
    ours: loaded.join(', '),
    baseline: '—',
    ratio: '—',
    target: 'no undici',
    pass: !loaded.includes('undici'),
    values: { packages: loaded.join(',') },
  }));

  return {
    suite: 'startup',
    rows,
    details: {
      rounds: ROUNDS,
      medians: Object.fromEntries(VARIANTS.map((v) => [v.name, med(v.name)])),
      samples: Object.fromEntries(samples),
      packagesLoaded: loaded,
    },
  };
});
