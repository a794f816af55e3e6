/**
 * `npm run bench`: builds the package, runs the six benchmarks of issue 5 and the fleet under an
 * outage of issue 12 (each in its own child process, against its baseline in the same run), prints
 * one table and writes it, with every sample, to bench/results.json. Exits with 1 when a target is
 * missed.
 *
 * The harness runs under tsx (`node --import tsx`), but what it measures is the built package,
 * built by `scripts/build.ts` exactly as `npm run build` builds dist/ (one bundle per entry point),
 * imported by path: tsx only transpiles the bench files themselves, once, at load (esbuild keeps
 * classes, private fields and loops as they are for Node 20), and its loader thread is idle while
 * the timed loops run. The start-up benchmark spawns plain `node` on .mjs scripts, with no loader
 * at all. The fleet benchmarks also need modules the package does not export (the statechart and
 * `createAgentActor`): tsc compiles every module into bench/.build/modules for them, and the start-up
 * benchmark imports that unbundled build too, to show what bundling buys.
 *
 * The build goes to bench/.build rather than dist/: `npm run build` starts by deleting dist/, and
 * whatever else uses dist/ meanwhile (a test run, the CLI) would fail; a bench run must neither
 * break nor be broken by a concurrent build.
 *
 * `npm run bench -- telemetry fleet` runs only the suites named.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderTable, type Row, type SuiteResult } from './lib/report.js';
import { formatDuration } from './lib/stats.js';
import { BENCH_DIR, BUILD_DIR, MODULES_DIR, ROOT_DIR, runSuiteInChild } from './lib/suite.js';

interface Suite {
  readonly name: string;
  readonly title: string;
  readonly flags: readonly string[];
}

const SUITES: readonly Suite[] = [
  { name: 'telemetry', title: '1. telemetry hot path', flags: ['--expose-gc'] },
  { name: 'license-reads', title: '2. license reads', flags: ['--expose-gc'] },
  { name: 'startup', title: '3. start-up', flags: [] },
  { name: 'refresh-cycle', title: '4. one refresh cycle', flags: [] },
  { name: 'ten-years', title: '5. ten years in simulated time', flags: ['--expose-gc'] },
  { name: 'fleet', title: '6. fleet', flags: ['--expose-gc', '--max-old-space-size=4096'] },
  // A larger young generation: the statechart allocates on every transition, and scavenges were a third of the run.
  { name: 'outage', title: '7. fleet under an outage', flags: ['--max-semi-space-size=64'] },
];

const TIME_BUDGET_MS = 10 * 60_000;

function runNode(args: readonly string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT_DIR, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited with ${code}`))));
  });
}

/** The package as `npm run build` builds it, into bench/.build; every module compiled by tsc into bench/.build/modules. */
async function build(): Promise<void> {
  await rm(BUILD_DIR, { recursive: true, force: true });
  await runNode(['--import', 'tsx', path.join(ROOT_DIR, 'scripts', 'build.ts'), BUILD_DIR]);
  const tsc = path.join(ROOT_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
  await runNode([tsc, '-p', 'tsconfig.build.json', '--sourceMap', 'false', '--outDir', MODULES_DIR]);
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) throw new Error(`unknown suite(s): ${unknown.join(', ')} (known: ${SUITES.map((s) => s.name).join(', ')})`);
  const suites = wanted.length === 0 ? SUITES : SUITES.filter((suite) => wanted.includes(suite.name));

  const started = performance.now();
  const loadBefore = os.loadavg();
  process.stderr.write(`softclient4es-license benchmarks: Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, load ${loadBefore.map((l) => l.toFixed(1)).join(' ')}\n`);
  process.stderr.write('building (scripts/build.ts into bench/.build, tsc into bench/.build/modules)...\n');
  await build();
  if (!existsSync(path.join(BUILD_DIR, 'src', 'index.js'))) throw new Error('the build left no bench/.build/src/index.js');

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'softclient4es-bench-results-'));
  const results: SuiteResult[] = [];
  try {
    for (const suite of suites) {
      process.stderr.write(`\n${suite.title}\n`);
      const result = await runSuiteInChild(suite.name, suite.flags, path.join(scratch, `${suite.name}.json`));
      process.stderr.write(`  done in ${formatDuration(result.elapsedMs ?? 0)}\n`);
      results.push(result);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const rows: Row[] = results.flatMap((result) => result.rows);
  const elapsedMs = performance.now() - started;
  const failed = rows.filter((r) => r.pass === false);
  const table = renderTable(rows);
  console.log(`\n${table}\n`);
  console.log(`${rows.filter((r) => r.pass === true).length} targets met, ${failed.length} missed; ${rows.filter((r) => r.pass === null).length} rows for information.`);
  console.log(`Whole run: ${formatDuration(elapsedMs)} (budget ${formatDuration(TIME_BUDGET_MS)}); load average ${loadBefore[0]?.toFixed(1)} before, ${os.loadavg()[0]?.toFixed(1)} after.`);
  for (const miss of failed) console.log(`  missed: [${miss.bench}] ${miss.figure}: ${miss.ours} (target ${miss.target})`);

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? null,
    loadAverage: { before: loadBefore, after: os.loadavg() },
    elapsedMs: Math.round(elapsedMs),
    suites: suites.map((suite) => suite.name),
    rows,
    table,
    details: Object.fromEntries(results.map((result) => [result.suite, { elapsedMs: result.elapsedMs, ...((result.details as object | undefined) ?? {}) }])),
  };
  await writeFile(path.join(BENCH_DIR, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Written to ${path.relative(process.cwd(), path.join(BENCH_DIR, 'results.json'))}.`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  },
);
