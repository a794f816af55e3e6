/**
 * How a test proves that no fragment of a secret got out: no run of {@link FRAGMENT} characters of
 * any secret (an API key as it is and in base64, a JWT) in a text, and where the state dir holds a
 * license by design (its cache), the license is taken out before the files are read for leaks.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

/** The shortest run of a secret that counts as leaked: the agent's own threshold. */
export const FRAGMENT = 8;

/** An API key as a server might echo it: as it is, and in base64 and base64url. */
export function keyForms(apiKey: string): string[] {
  return [apiKey, Buffer.from(apiKey).toString('base64'), Buffer.from(apiKey).toString('base64url')];
}

/** Fails when `text` holds any {@link FRAGMENT}-character run of any of `secrets`, naming where. */
export function expectNoFragment(text: string, secrets: readonly string[], where: string): void {
  expect(secrets.length, 'the scenario gathered its secrets').toBeGreaterThan(0);
  const windows = new Set<string>();
  for (const secret of secrets) for (let i = 0; i + FRAGMENT <= secret.length; i++) windows.add(secret.slice(i, i + FRAGMENT));
  for (let i = 0; i + FRAGMENT <= text.length; i++) {
    if (windows.has(text.slice(i, i + FRAGMENT))) {
      expect.fail(`${where} holds a fragment of a secret (${text.slice(i, i + FRAGMENT)}) in: …${text.slice(Math.max(0, i - 80), i + 40)}…`);
    }
  }
}

/**
 * Every file of the state dir as text, with the licenses it holds by design (the JWT of
 * `license-cache.jwt`, a static refresh's `jwt` in `license-state.json`) replaced by `<license>`
 * once each is checked to be one the agent was given.
 */
export async function stateDirText(dir: string, licenses: readonly string[]): Promise<string> {
  const names = await readdir(dir, { recursive: true });
  const parts: string[] = [];
  for (const name of names.sort()) {
    let text: string;
    try {
      text = await readFile(path.join(dir, name), 'utf8');
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EISDIR') continue;
      throw error;
    }
    if (name === 'license-cache.jwt') {
      expect(licenses, 'the cache holds a license the agent was given').toContain(text.trim());
      text = '<license>';
    } else if (name === 'license-state.json') {
      const state = JSON.parse(text) as { static_jwt?: { jwt?: string } };
      if (state.static_jwt?.jwt !== undefined) {
        expect(licenses, 'the state file holds a license the agent was given').toContain(state.static_jwt.jwt);
        state.static_jwt.jwt = '<license>';
      }
      text = JSON.stringify(state);
    }
    parts.push(`${name}: ${text}`);
  }
  return parts.join('\n');
}
