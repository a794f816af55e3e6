/**
 * `softclient4es-license refresh [--json]`: one refresh now (API key or `refresh_url`), the cache
 * updated on success, and the row of `REFRESH LICENSE`. Exit code 0 when it was refreshed, 1 with
 * the reason on stderr when it was not.
 */
import type { LicenseAgent } from '../../agent/license-agent.js';
import type { Tier } from '../../license/claims.js';
import { refreshLicenseRow, type RefreshLicenseRow } from '../../agent/status.js';
import { GLOBAL_OPTIONS_HELP } from '../args.js';
import { oneShotLogger, type Command } from '../command.js';
import { createCliAgent, loadSettings } from '../config.js';
import { cell, fail, formatTable, print, printJson } from '../output.js';

const HELP = `Usage: softclient4es-license refresh [--json]

Refreshes the license once, now: in API-key mode from SOFTCLIENT4ES_LICENSE_SERVER_URL, with a
static license from its refresh_url. A new license is verified and written to the cache in the
state directory. Prints the row of REFRESH LICENSE (previous_tier, new_tier, trial, expires_at,
status, message).

Exit code 0 when the license was refreshed, 1 when it was not (the reason is printed on stderr).

Options:
  --json   print the row as JSON

${GLOBAL_OPTIONS_HELP}`;

/**
 * Refreshes through `agent`, which is not started yet. An agent in API-key mode with no cached
 * license fetches one as it starts: that fetch is the refresh, and no second request is sent.
 */
async function refreshOnce(agent: LicenseAgent): Promise<RefreshLicenseRow> {
  let tierBeforeFetch: Tier | undefined;
  agent.on('stateChanged', (state) => {
    if (tierBeforeFetch === undefined && (state === 'refreshing' || state === 'forcedRefresh')) tierBeforeFetch = agent.license().tier;
  });
  await agent.start();
  const attempt = agent.status().lastAttempt;
  if (!attempt) return agent.refreshLicense();
  const license = agent.license();
  const message = attempt.ok ? `license refreshed: tier ${license.tier}` : attempt.message;
  return refreshLicenseRow(tierBeforeFetch ?? 'Community', license, { ok: attempt.ok, message });
}

export const refreshCommand: Command = {
  name: 'refresh',
  summary: 'refresh the license now and print the REFRESH LICENSE row (exit 1 on failure)',
  help: HELP,
  options: { json: { type: 'boolean' } },
  async run(context) {
    const settings = await loadSettings(context.env, context.globals);
    const agent = createCliAgent(settings, oneShotLogger(context).logger);
    let row: RefreshLicenseRow;
    try {
      row = await refreshOnce(agent);
    } finally {
      // Also flushes the cache the refresh updated.
      await agent.stop();
    }
    if (context.values['json'] === true) printJson(row);
    else print(formatTable(Object.entries(row).map(([name, value]) => [name, cell(value)] as [string, string])));
    if (row.status === 'Refreshed') return 0;
    fail(`refresh failed: ${row.message}`);
    return 1;
  },
};
