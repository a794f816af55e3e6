/**
 * Child process for the wall-clock test: arms a one-hour timer through `createWallClock`, says
 * "armed" on stdout, and then has nothing left to do. An unref'd timer lets the process exit at
 * once; a ref'd one would hold it open for the hour.
 * Usage: node --import tsx arm-wall-clock.ts [delayMs]
 */
import { createWallClock } from '../../../src/clock.js';

const delayMs = Number(process.argv[2] ?? 3_600_000);
createWallClock().setTimeout(() => {
  process.stdout.write('fired\n');
}, delayMs);
process.stdout.write('armed\n');
