/**
 * Hostile licenses configured at start-up, as the `licenseKey` option or as
 * `SOFTCLIENT4ES_LICENSE_KEY`: `start()` resolves, the agent runs as Community with one `error`
 * naming the problem, and the token's `refresh_url` is never called.
 */
import { describe, expect, it } from 'vitest';
import { nowSeconds, sleep, useE2E } from '../../e2e/support/harness.js';
import { ERROR } from '../../support/logs.js';
import { HOSTILE_CASES } from './support/hostile-tokens.js';

const e2e = useE2E();

const SUB = 'lic-hostile-startup';

type Source = 'the licenseKey option' | 'SOFTCLIENT4ES_LICENSE_KEY';

const STARTUP_CASES = HOSTILE_CASES.filter((hostile) => hostile.startupProblem !== undefined);

describe.each<Source>(['the licenseKey option', 'SOFTCLIENT4ES_LICENSE_KEY'])('a hostile license configured as %s', (source) => {
  it.each(STARTUP_CASES.map((hostile) => [hostile.name, hostile] as const))(
    'leaves the agent on Community with an error: %s',
    async (_name, hostile) => {
      const server = await e2e.server();
      const jwt = await hostile.build({ server, sub: SUB, currentIat: nowSeconds() - 60, refreshUrl: server.refreshUrl });
      const agent = e2e.agent({
        stateDir: await e2e.tempDir(),
        trustedKeys: server.keys.jwks,
        // A short interval: a license wrongly taken for a refresh path would be refreshed at once.
        refresh: { interval: '50ms' },
        ...(source === 'SOFTCLIENT4ES_LICENSE_KEY' ? { env: { SOFTCLIENT4ES_LICENSE_KEY: jwt } } : { licenseKey: jwt }),
      });

      await expect(agent.start()).resolves.toBeUndefined();
      await sleep(150);

      expect(agent.status()).toMatchObject({ mode: 'community', tier: 'Community', licenseId: null });
      expect(agent.license().tier).toBe('Community');
      const errors = e2e.logs.at(ERROR);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toBe('license expired or invalid - running in Community mode (the configured license key does not verify)');
      expect((errors[0]!['err'] as { message: string }).message).toMatch(hostile.startupProblem as RegExp);
      expect(server.requests).toHaveLength(0);
    },
  );
});
