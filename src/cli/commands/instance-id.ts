/**
 * `softclient4es-license instance-id`: prints the instance id of this installation, creating it
 * (and the state directory) on first use. Fails, rather than print an id that the next run would
 * not share, when the state directory cannot hold it.
 */
import path from 'node:path';
import { INSTANCE_ID_FILE, loadInstanceId } from '../../state/instance-id.js';
import { ensureStateDir } from '../../state/state-dir.js';
import { GLOBAL_OPTIONS_HELP } from '../args.js';
import { oneShotLogger, type Command } from '../command.js';
import { loadSettings, stateDirOf } from '../config.js';
import { fail, print } from '../output.js';

const HELP = `Usage: softclient4es-license instance-id

Prints the instance id: the random UUID that names this installation in refresh bodies, kept in
<state dir>/${INSTANCE_ID_FILE} (SOFTCLIENT4ES_HOME, default ~/.softclient4es). Creates it on first use.

${GLOBAL_OPTIONS_HELP}`;

export const instanceIdCommand: Command = {
  name: 'instance-id',
  summary: 'print the instance id (created on first use)',
  help: HELP,
  options: {},
  async run(context) {
    const settings = await loadSettings(context.env, context.globals);
    const dir = await stateDirOf(settings);
    await ensureStateDir(dir);
    const { id, persisted } = await loadInstanceId(dir, oneShotLogger(context).logger);
    if (!persisted) {
      fail(`cannot store the instance id in ${path.join(dir, INSTANCE_ID_FILE)}`);
      return 1;
    }
    print(id);
    return 0;
  },
};
