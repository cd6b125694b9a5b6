import { Redis } from 'ioredis';
import { errorForLog } from '../log/error-for-log.js';
import type { Logger } from '../log/logger.js';

export interface RedisClientOptions {
  url: string;
  /** Shown in CLIENT LIST, so an operator can tell which service holds a connection. */
  connectionName: string;
  connectTimeoutMs?: number;
  /** Where the connection's losses and recoveries are logged; without one ioredis prints its own. */
  logger?: Logger;
}

/**
 * A Redis/Valkey connection with the settings BullMQ requires (no per-command retry limit, so a
 * blocking worker survives a brief outage) and a bounded connect timeout.
 */
export function createRedis(options: RedisClientOptions): Redis {
  const redis = new Redis(options.url, {
    connectionName: options.connectionName,
    connectTimeout: options.connectTimeoutMs ?? 3000,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
  });
  if (options.logger) logConnectionState(redis, options.connectionName, options.logger);
  return redis;
}

/**
 * Logs a connection's loss once (a warning, however many reconnect attempts fail meanwhile) and its
 * recovery, instead of ioredis's unstructured print of every failed attempt. A loss is the first
 * reconnect ioredis starts (a closed socket may reconnect at once, without an error); a close asked
 * for (`disconnect`, `quit`) starts none. The URL is not logged: it may carry a password.
 */
export function logConnectionState(redis: Redis, connectionName: string, logger: Logger): void {
  let lost = false;
  let connected = false;
  let lastError: unknown;
  redis.on('error', (error: unknown) => {
    lastError = error;
  });
  redis.on('reconnecting', () => {
    if (lost) return;
    lost = true;
    logger.warn(
      { ...(lastError ? { err: errorForLog(lastError) } : {}), connection: connectionName },
      connected ? 'Valkey connection lost; reconnecting' : 'Valkey unreachable; retrying',
    );
  });
  redis.on('ready', () => {
    lastError = undefined;
    const wasConnected = connected;
    connected = true;
    if (!lost) return;
    lost = false;
    logger.info({ connection: connectionName }, wasConnected ? 'Valkey connection back' : 'Valkey connected');
  });
}

/**
 * Routes an emitter's 'error' events (a BullMQ queue's or worker's) to the log instead of the
 * library's console print: the first at once, then at most one a minute, since a reconnect loop
 * emits one per attempt (the loss itself is logged once, above). Errors held back are counted and
 * the count is logged when the minute is up, so a burst that stops is still seen whole.
 */
export function logErrorEvents(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  fields: Record<string, string>,
  logger: Logger,
  intervalMs = 60_000,
): void {
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let latest: Error | undefined;
  let held = 0;
  let flush: NodeJS.Timeout | undefined;
  const log = (error: Error, alsoFailed: number) => {
    logger.warn(
      { err: errorForLog(error), ...fields, ...(alsoFailed > 0 ? { alsoFailed } : {}) },
      'queue error (BullMQ)',
    );
    lastLoggedAt = Date.now();
  };
  emitter.on('error', (error: Error) => {
    const sinceLast = Date.now() - lastLoggedAt;
    if (sinceLast >= intervalMs && !flush) {
      log(error, 0);
      return;
    }
    latest = error;
    held += 1;
    // The latest of those held back is logged when the interval is up, with how many came with it.
    flush ??= setTimeout(() => {
      flush = undefined;
      if (latest) log(latest, held - 1);
      latest = undefined;
      held = 0;
    }, intervalMs - sinceLast);
    flush.unref();
  });
}
