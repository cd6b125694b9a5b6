import { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { logConnectionState } from './redis-client.js';

/** A Valkey connection for calls on a request's path: answered within a bound, or failed. */
export interface RequestPathRedis {
  readonly redis: Redis;
  /** Resolves once the connection takes commands; rejects after the bound (at once once closed). */
  ready(): Promise<void>;
}

export class ValkeyUnreachableError extends Error {
  override readonly name = 'ValkeyUnreachableError';
}

/**
 * A connection that never holds a command for Valkey to come back, unlike the shared one (whose
 * settings BullMQ's workers need): nothing waits in ioredis's offline queue, a command in flight
 * when the connection drops fails instead of being sent again after the reconnect, and an answer
 * that does not come within `timeoutMs` fails the call. A request refused during an outage so
 * leaves nothing behind to run once Valkey is back (a replayed token-bucket take would spend a
 * token for a request already answered 503). Until the connection is ready (at start, or while it
 * reconnects) a call waits for it, up to the same bound.
 */
export function createRequestPathRedis(options: {
  url: string;
  connectionName: string;
  timeoutMs: number;
  logger?: Logger;
}): RequestPathRedis {
  const redis = new Redis(options.url, {
    connectionName: options.connectionName,
    connectTimeout: Math.max(options.timeoutMs, 1000),
    commandTimeout: options.timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    lazyConnect: false,
  });
  // Errors reach each call too; without a listener ioredis would print every reconnect attempt.
  if (options.logger) logConnectionState(redis, options.connectionName, options.logger);
  else redis.on('error', () => {});
  let becomingReady: Promise<void> | undefined;
  return {
    redis,
    ready() {
      if (redis.status === 'ready') return Promise.resolve();
      if (redis.status === 'end')
        return Promise.reject(new ValkeyUnreachableError('the Valkey connection is closed'));
      becomingReady ??= new Promise<void>((resolve) => {
        redis.once('ready', () => {
          becomingReady = undefined;
          resolve();
        });
      });
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new ValkeyUnreachableError(`Valkey did not become reachable within ${options.timeoutMs} ms`),
            ),
          options.timeoutMs,
        );
        becomingReady!.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
