// Start-up benchmark: the whole life of a short process that embeds the agent. It imports the
// built package, starts an agent on a state dir holding a valid cached JWT (static-JWT mode, no
// refresh_url: no network), checks the license, and stops it.
import pino from 'pino';
import { createLicenseAgent } from '../.build/src/index.js';

const agent = createLicenseAgent({
  version: '1.2.3',
  licenseKey: process.env.BENCH_LICENSE_KEY,
  stateDir: process.env.BENCH_STATE_DIR,
  trustedKeys: JSON.parse(process.env.BENCH_TRUSTED_KEYS ?? '{}'),
  logger: pino({ level: 'silent' }),
  env: {},
});
await agent.start();
if (agent.license().tier !== 'Pro') {
  console.error(`expected the cached Pro license, got ${agent.license().tier}`);
  process.exitCode = 1;
}
await agent.stop();
