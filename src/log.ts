/**
 * The agent's logger: a child of the server's pino logger (or pino on stderr), tagged with
 * `component: 'softclient4es-license'`, with every field that could hold a secret redacted as a
 * second line of defence. The first is never to pass a secret to a log call at all.
 */
import pino, { type Logger } from 'pino';

/** Paths pino censors in every record the agent writes. */
export const REDACTED_PATHS = [
  'apiKey',
  'licenseKey',
  'jwt',
  'token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.apiKey',
  '*.licenseKey',
  '*.jwt',
  '*.token',
  '*.authorization',
];

/**
 * The agent's child of each server logger, made once: a redacting child compiles its redaction
 * (some 11 KiB), and agents sharing a logger share the child. A child takes its parent's level when
 * it is made; one reused takes the parent's level of now, as a new child would.
 */
const children = new WeakMap<Logger, Logger>();

export function createAgentLogger(logger: Logger | undefined): Logger {
  if (logger === undefined) return childOf(pino({ name: 'softclient4es-license' }, pino.destination(2)));
  let child = children.get(logger);
  if (child === undefined) children.set(logger, (child = childOf(logger)));
  else if (child.level !== logger.level) child.level = logger.level;
  return child;
}

function childOf(base: Logger): Logger {
  // `err` fields are already reduced by errorFields(): keep pino's error serializer from dressing
  // them up again (type, stack).
  return base.child(
    { component: 'softclient4es-license' },
    { redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: (value: unknown) => value } },
  );
}

/** An error as a log field: its code, message and HTTP status, never its stack or raw cause. */
export function errorFields(error: unknown): { code?: string; message: string; status?: number } {
  const { code, status, message } = (error ?? {}) as { code?: unknown; status?: unknown; message?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    message: typeof message === 'string' ? message : String(error),
    ...(typeof status === 'number' ? { status } : {}),
  };
}
