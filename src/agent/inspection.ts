/**
 * Live inspection, when the `inspect` option asks for it: the inspector module (and the optional
 * `@statelyai/inspect` package) is loaded only then. A missing package or a failing relay only warns:
 * inspection is a debugging aid, never a reason for the agent not to start.
 */
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/options.js';
import { describeError } from '../errors.js';
import type { AgentInspector } from '../inspector/inspector.js';
import { errorFields } from '../log.js';

export async function connectInspector(config: AgentConfig, log: Logger): Promise<AgentInspector | undefined> {
  const url = config.inspectUrl;
  if (url === undefined) return undefined;
  try {
    const { startInspector } = await import('../inspector/inspector.js');
    return await startInspector(url, [config.apiKey, config.licenseKey], {
      onConnected: (at) => log.info({ url: at }, 'live inspection: sending the statechart (secrets redacted) to the inspector relay'),
      onUnreachable: (at) => log.warn({ url: at }, 'live inspection: the inspector relay cannot be reached; retrying every 5 s'),
    });
  } catch (error) {
    const missing = (error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
    const reason = missing ? 'install the optional package @statelyai/inspect' : describeError(error);
    log.warn({ err: errorFields(error) }, `live inspection is off: ${reason}`);
    return undefined;
  }
}

/** Closes the connection once the last events have gone (the inspector sends each a macrotask later). */
export async function disconnectInspector(inspector: AgentInspector | undefined): Promise<void> {
  if (!inspector) return;
  await new Promise((resolve) => setTimeout(resolve, 0));
  inspector.stop();
}
