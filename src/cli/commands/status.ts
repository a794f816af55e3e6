/**
 * `softclient4es-license status [--json]`: what the agent would run with, read from the state dir
 * and the environment without contacting the license server (an offline agent): mode, tier,
 * license, expiry, grace or degradation, where refreshes go, the last and next refresh, instance id,
 * state dir, and any warning or error met on the way (a malformed license key, say).
 */
import type { AgentStatus } from '../../agent/status.js';
import { GLOBAL_OPTIONS_HELP } from '../args.js';
import { oneShotLogger, type Command } from '../command.js';
import { createCliAgent, loadSettings } from '../config.js';
import type { LoggedProblem } from '../logger.js';
import { cell, formatTable, print, printJson } from '../output.js';

const HELP = `Usage: softclient4es-license status [--json]

Shows the license the agent would run with, from the environment and the state directory, without
contacting the license server: mode, tier, license id, expiry and days left, grace or degradation,
the refresh endpoint, the last refresh and the next one due, telemetry, instance id and state dir,
and any problem met (a malformed SOFTCLIENT4ES_LICENSE_KEY, an unusable state directory).

Options:
  --json   print the status as JSON

${GLOBAL_OPTIONS_HELP}`;

function expiryText(status: AgentStatus): string {
  if (status.expiresAt === null) return status.licenseId === null ? '-' : 'never';
  const days = status.daysRemaining ?? 0;
  return days >= 0 ? `${status.expiresAt} (${days} day(s) left)` : `${status.expiresAt} (expired)`;
}

function validityText(status: AgentStatus): string {
  switch (status.validity) {
    case 'expiringSoon':
      return 'expiring soon: under 48 h left, a refresh is forced';
    case 'grace':
      return `grace (${status.grace}): expired ${status.daysExpired} day(s) ago, ${status.graceDaysRemaining} day(s) of grace left`;
    case 'degraded': {
      const from = status.degradedFrom;
      return from ? `degraded: ${from.tier} license ${from.licenseId} lapsed; running as Community` : 'degraded: running as Community';
    }
    default:
      return 'valid';
  }
}

function refreshText(status: AgentStatus): string {
  if (status.endpoint === null) return 'none: no outbound connections';
  return status.refreshEnabled ? status.endpoint : `${status.endpoint} (scheduled refresh disabled)`;
}

function rowsOf(status: AgentStatus, problems: readonly LoggedProblem[]): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['mode', status.mode],
    ['tier', status.tier],
    ['license id', cell(status.licenseId)],
    ['expires', expiryText(status)],
    ['validity', validityText(status)],
    ['refresh', refreshText(status)],
    ['last refresh', status.lastRefresh ?? 'never'],
    ['next refresh', cell(status.nextRefreshAt)],
    ['telemetry', status.telemetryEnabled ? 'on' : `off (disabled by ${status.telemetryDisabledBy ?? 'configuration'})`],
    ['instance id', cell(status.instanceId)],
    ['state dir', status.stateDir ?? '- (in memory only)'],
  ];
  for (const problem of problems) rows.push([problem.level, problem.message]);
  return rows;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the license, its expiry, the refresh schedule and the state dir',
  help: HELP,
  options: { json: { type: 'boolean' } },
  async run(context) {
    const settings = await loadSettings(context.env, context.globals);
    const log = oneShotLogger(context);
    const agent = createCliAgent(settings, log.logger, { offline: true });
    let status: AgentStatus;
    try {
      await agent.start();
      status = agent.status();
    } finally {
      await agent.stop();
    }
    const problems = log.problems();
    if (context.values['json'] === true) printJson({ ...status, problems });
    else print(formatTable(rowsOf(status, problems)));
    return 0;
  },
};
