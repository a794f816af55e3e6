/**
 * `npm run viz`: writes the statechart's pictures into `visualizations/` from the machine definition
 * (`license-agent.mmd`, `license-agent.svg`, `license-agent.stately.json`). The same machine always
 * gives the same bytes; the drift test fails when the committed files are not what this writes.
 */
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import { writeGenerated } from './files.js';
import { statechartFiles } from './statechart-files.js';

await writeGenerated(await statechartFiles(licenseAgentMachine));
