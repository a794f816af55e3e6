/**
 * The start-up line that says what the agent will do on the network: the interval in it is written
 * as every other duration the agent logs (`formatDuration`).
 */
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../machines/context.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { networkNotice } from '../../src/agent/status.js';

const API_KEY = `sk-${'a'.repeat(32)}`;
const context = { networkAllowed: true, mode: 'api-key', license: undefined, needsFirstLicense: true } as unknown as AgentContext;

function noticeFor(interval: string): string {
  const config = resolveConfig({ version: '1.0.0', apiKey: API_KEY, refresh: { interval }, telemetry: { enabled: false } }, {});
  return networkNotice(config, context);
}

describe('networkNotice', () => {
  it.each([
    ['24h', '1d'],
    ['6h', '6h'],
    ['90m', '1h 30m'],
    ['90s', '1m 30s'],
  ])('says a %s interval as "about every %s"', (interval, text) => {
    expect(noticeFor(interval)).toMatch(new RegExp(`^will contact license\\.softclient4es\\.com about every ${text}; telemetry off`));
  });
});
