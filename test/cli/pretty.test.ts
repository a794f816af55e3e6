import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../src/cli/pretty.js';

const record = (fields: Record<string, unknown>) => `${JSON.stringify({ level: 30, time: 0, pid: 1, hostname: 'h', ...fields })}\n`;

describe('formatLogLine', () => {
  it('writes time, level and message, then the fields as key=value', () => {
    expect(formatLogLine(record({ level: 40, msg: 'license refresh failed', status: 503, mode: 'api-key' }))).toBe(
      '1970-01-01T00:00:00.000Z WARN  license refresh failed status=503 mode=api-key\n',
    );
  });

  it('quotes values with spaces and flattens err without its type and stack', () => {
    const line = record({ msg: 'x', err: { type: 'Error', message: 'connection refused', stack: 'Error: ...', code: 'ERR_LICENSE_NETWORK' } });
    expect(formatLogLine(line)).toBe('1970-01-01T00:00:00.000Z INFO  x err.message="connection refused" err.code=ERR_LICENSE_NETWORK\n');
  });

  it('leaves the pid, hostname and component fields out', () => {
    expect(formatLogLine(record({ msg: 'started', component: 'softclient4es-license', name: 'softclient4es-license' }))).toBe(
      '1970-01-01T00:00:00.000Z INFO  started\n',
    );
  });

  it('passes a line that is not JSON through unchanged', () => {
    expect(formatLogLine('not json')).toBe('not json\n');
  });
});
