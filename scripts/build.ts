/**
 * `npm run build`: the package as it ships, into dist/ (or the directory given as the argument).
 *
 * - Declarations from tsc (`--emitDeclarationOnly`, which type-checks too), one `.d.ts` per module
 *   as before: the `exports` map points at `dist/src/index.d.ts` and `dist/src/issuer/index.d.ts`.
 * - JavaScript from esbuild: the three entry points (the library, the reference issuer, the CLI)
 *   bundled, dependencies left as imports. Forty small ES modules cost the loader about a
 *   millisecond each at start-up (resolve, read, compile, link), which was most of what the agent
 *   added to a server's start-up; a bundle costs a few. Code splitting keeps code shared by the
 *   entry points in shared chunks, so `LicenseError` is one class whichever entry point is
 *   imported, and gives the modules loaded with `import()` (the refresh path, the inspector) chunks
 *   of their own, still loaded only when needed.
 *
 * Not minified: an operator reading a stack trace should find our names and our code. Class names
 * survive bundling (`var LicenseError = class ...` is named by the language itself; the package
 * test checks the error names of the installed tarball), so `keepNames`, which costs about 2 ms at
 * import, is not needed.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(ROOT, process.argv[2] ?? 'dist');

/** The modules users (and the binary) start from; paths under dist/ mirror these. */
export const ENTRY_POINTS = ['src/index.ts', 'src/issuer/index.ts', 'src/cli/main.ts'];

const tsc = spawnSync(
  process.execPath,
  [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--declarationMap', 'false', '--outDir', outDir],
  { cwd: ROOT, stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

await build({
  absWorkingDir: ROOT,
  entryPoints: ENTRY_POINTS,
  outbase: '.',
  outdir: outDir,
  chunkNames: 'src/chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  packages: 'external',
  sourcemap: false,
  logLevel: 'warning',
});
