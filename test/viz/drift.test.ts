/**
 * The pictures in `visualizations/` are generated from the machine definition and committed; these
 * tests regenerate them in memory and fail when a committed file differs, so that the diagrams
 * never drift from the code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { licenseAgentMachine } from '../../machines/license-agent.machine.js';
import { readCommitted } from '../../scripts/viz/files.js';
import { statechartFiles, type GeneratedFiles } from '../../scripts/viz/statechart-files.js';

const STATECHART_FILES = ['license-agent.mmd', 'license-agent.svg', 'license-agent.stately.json'];

/** Where the first difference is: a line number and both lines, to say what changed. */
function firstDifference(committed: string, generated: string): string {
  const was = committed.split('\n');
  const now = generated.split('\n');
  const line = was.findIndex((text, index) => text !== now[index]);
  const at = line === -1 ? was.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(was[at] ?? '(end of file)')}, generated ${JSON.stringify(now[at] ?? '(end of file)')}`;
}

describe('the committed statechart pictures', () => {
  let generated: GeneratedFiles;
  beforeAll(async () => {
    generated = await statechartFiles(licenseAgentMachine);
  });

  it('are all the files the generator writes', () => {
    expect(Object.keys(generated).sort()).toEqual([...STATECHART_FILES].sort());
  });

  for (const name of STATECHART_FILES) {
    it(`has visualizations/${name} as npm run viz writes it`, async () => {
      const committed = await readCommitted(name);
      const hint = `visualizations/${name} is out of date with machines/license-agent.machine.ts: run \`npm run viz\` and commit the result`;
      expect(committed, `${hint} (the file is missing)`).toBeDefined();
      const content = generated[name] as string;
      if (committed !== content) expect.fail(`${hint} (${firstDifference(committed as string, content)})`);
    });
  }
});
