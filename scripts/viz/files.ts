/** Where the generated pictures live, and how they are written and read. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratedFiles } from './statechart-files.js';

export const VISUALIZATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../visualizations');

export async function writeGenerated(files: GeneratedFiles): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(VISUALIZATIONS_DIR, name), content);
    console.log(`wrote visualizations/${name} (${Buffer.byteLength(content)} bytes)`);
  }
}

/** The committed content of a generated file, or `undefined` when it is missing. */
export async function readCommitted(name: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(VISUALIZATIONS_DIR, name), 'utf8');
  } catch {
    return undefined;
  }
}
