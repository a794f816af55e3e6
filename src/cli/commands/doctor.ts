/**
 * `softclient4es-license doctor [--json]`: the preflight of `../doctor.ts` against the configured
 * endpoint. Sends no license, no API key and no telemetry: the only requests are a bare `HEAD /`
 * and, when a proxy applies, a `CONNECT` to it that is closed once answered.
 * Exit code 0 when every check passes, 1 otherwise.
 */
import { pino, type Logger } from 'pino';
import { GLOBAL_OPTIONS_HELP } from '../args.js';
import type { Command } from '../command.js';
import { createCliAgent, loadSettings, stateDirOf, type CliSettings } from '../config.js';
import {
  checkClockOffset,
  checkDns,
  checkInstanceId,
  checkProxyTunnel,
  checkStateDir,
  checkTls,
  describeProxy,
  describeTrustedKeys,
  type DoctorCheck,
} from '../doctor.js';
import { proxyFor } from '../../net/proxy-for.js';
import { formatColumns, print, printJson } from '../output.js';

const HELP = `Usage: softclient4es-license doctor [--json]

Checks, without sending a license, an API key or telemetry:
  state dir     writable, and persistent (not tmpfs, not under the OS temp dir)
  instance id   present (created if missing) and stored on disk
  proxy         which of HTTPS_PROXY, HTTP_PROXY, NO_PROXY apply to the license host
  proxy tunnel  when a proxy applies: it is reachable and opens a tunnel (CONNECT) to the license
                host, so a failure below is the license server's, not the proxy's
  dns           the license host resolves
  tls           a TLS handshake with the license host (plain http only to a loopback host)
  clock         the clock offset against the server's Date header (one bare HEAD /)
  trusted keys  the ids of the keys licenses are verified with

The license host is the one refreshes go to: SOFTCLIENT4ES_LICENSE_SERVER_URL in API-key mode, the
license's refresh_url with a static license, the default server otherwise.
Exit code 0 when every check passes, 1 otherwise.

Options:
  --json   print the checks as JSON

${GLOBAL_OPTIONS_HELP}`;

/** Where refreshes would go, as an offline agent that reads the configuration sees it. */
async function endpointOf(settings: CliSettings, log: Logger): Promise<string> {
  const agent = createCliAgent(settings, log, { offline: true });
  try {
    await agent.start();
    return agent.status().endpoint ?? settings.config.serverUrl;
  } finally {
    await agent.stop();
  }
}

/**
 * The checks in order; each reports its own trouble, so the agent's logs are not shown. The proxy
 * tunnel check comes only when a proxy applies to the license endpoint.
 */
export async function runChecks(settings: CliSettings): Promise<DoctorCheck[]> {
  const log = pino({ level: 'silent' });
  const dir = await stateDirOf(settings);
  const checks = [await checkStateDir(dir), await checkInstanceId(dir, log)];
  const endpoint = await endpointOf(settings, log);
  const timeoutMs = settings.config.connectTimeoutMs;
  const host = new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1');
  checks.push(describeProxy(settings.env, endpoint));
  const proxy = proxyFor(endpoint, settings.config.proxies);
  if (proxy !== undefined) checks.push(await checkProxyTunnel(endpoint, proxy, { timeoutMs }));
  checks.push(await checkDns(host));
  checks.push(await checkTls(endpoint, { timeoutMs }));
  checks.push(await checkClockOffset(endpoint, Date.now, { timeoutMs }));
  checks.push(describeTrustedKeys(settings.trustedKeys));
  return checks;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'preflight: state dir, instance id, proxy, proxy tunnel, DNS, TLS, clock, trusted keys',
  help: HELP,
  options: { json: { type: 'boolean' } },
  async run(context) {
    const settings = await loadSettings(context.env, context.globals);
    const checks = await runChecks(settings);
    const ok = checks.every((check) => check.ok);
    if (context.values['json'] === true) {
      printJson({ ok, checks });
    } else {
      print(formatColumns(['result', 'check', 'detail'], checks.map((check) => [check.ok ? 'ok' : 'FAIL', check.name, check.detail])));
    }
    return ok ? 0 : 1;
  },
};
