/**
 * `softclient4es-license telemetry [--json] [--sent]`: what leaves the machine. Without `--sent`,
 * the exact JSON body the next refresh would send, where it would go, and whether telemetry is on
 * (and which switch turned it off). With `--sent`, the ledger of every body actually sent.
 */
import type { TelemetryPreview } from '../../agent/types.js';
import { SENT_LEDGER_FILE, SentLedger, type SentRecord } from '../../state/sent-ledger.js';
import { GLOBAL_OPTIONS_HELP } from '../args.js';
import { oneShotLogger, type Command, type CommandContext } from '../command.js';
import { createCliAgent, loadSettings, stateDirOf } from '../config.js';
import { cell, formatColumns, formatTable, print, printJson } from '../output.js';

const HELP = `Usage: softclient4es-license telemetry [--json]
       softclient4es-license telemetry --sent [--json]

Without --sent: prints the exact JSON body the next refresh would send (the usage counters are
in it only while telemetry is on), where it would go, and whether telemetry is on; when it is off,
which switch turned it off (SOFTCLIENT4ES_TELEMETRY_ENABLED, SOFTCLIENT4ES_LICENSE_TELEMETRY_ENABLED
or DO_NOT_TRACK). Contacts no server.

With --sent: prints the ledger of every body actually sent, <state dir>/${SENT_LEDGER_FILE}: time,
destination host, endpoint, HTTP status and body, oldest first.

Options:
  --sent   print the ledger of what was sent
  --json   print JSON

${GLOBAL_OPTIONS_HELP}`;

function printPreview(preview: TelemetryPreview, json: boolean): void {
  if (json) return printJson(preview);
  const switchText = preview.enabled ? 'on (disable with SOFTCLIENT4ES_TELEMETRY_ENABLED=false)' : `off (disabled by ${preview.disabledBy ?? 'configuration'})`;
  print(formatTable([
    ['telemetry', switchText],
    ['endpoint', preview.endpoint ?? 'none: this configuration never contacts a server'],
  ]));
  print('body of the next refresh:');
  print(JSON.stringify(preview.body, null, 2));
}

function printLedger(records: readonly SentRecord[], ledgerPath: string, json: boolean): void {
  if (json) return printJson(records);
  if (records.length === 0) return print(`nothing sent yet (${ledgerPath} is empty or missing)`);
  const rows = records.map((record) => [record.at, record.host, record.endpoint, cell(record.status), JSON.stringify(record.body)]);
  print(formatColumns(['time', 'host', 'endpoint', 'status', 'body'], rows));
}

async function preview(context: CommandContext): Promise<TelemetryPreview> {
  const settings = await loadSettings(context.env, context.globals);
  const agent = createCliAgent(settings, oneShotLogger(context).logger, { offline: true });
  try {
    await agent.start();
    return agent.previewTelemetry();
  } finally {
    await agent.stop();
  }
}

export const telemetryCommand: Command = {
  name: 'telemetry',
  summary: 'print the body the next refresh would send; --sent: what was sent',
  help: HELP,
  options: { json: { type: 'boolean' }, sent: { type: 'boolean' } },
  async run(context) {
    const json = context.values['json'] === true;
    if (context.values['sent'] !== true) {
      printPreview(await preview(context), json);
      return 0;
    }
    const settings = await loadSettings(context.env, context.globals);
    const ledger = new SentLedger(await stateDirOf(settings), oneShotLogger(context).logger);
    printLedger(await ledger.read(), ledger.path, json);
    return 0;
  },
};
