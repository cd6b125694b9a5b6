import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths redacted in every log line. Secrets must never be logged in the first place; this is the
 * second line of defence for objects logged whole.
 */
const redactPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'privateKey',
  '*.privateKey',
  'masterKey',
  '*.masterKey',
  'secret',
  '*.secret',
  // TypeORM's QueryFailedError carries the failed statement's bound values.
  'parameters',
  '*.parameters',
  'err.cause.parameters',
];

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Destination stream; stdout when absent. Tests pass a memory stream. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      redact: { paths: redactPaths, censor: '[redacted]' },
      // An error already reduced by errorForLog is logged as it is: pino's own serializer would
      // take it for an error-like object and overwrite its `type` with the plain object's 'Object'.
      serializers: {
        err: (value: unknown) => (value instanceof Error ? pino.stdSerializers.err(value) : value),
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
