import { Redis, ReplyError } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { logConnectionState } from './redis-client.js';

/** A Valkey connection for calls on a request's path: answered within a bound, or failed. */
export interface RequestPathRedis {
  readonly redis: Redis;
  /**
   * Runs `command` once the connection takes commands, all within one bound: the wait for the
   * connection and the answer share it. Rejects with ValkeyUnreachableError past the bound, or at
   * once if the connection is closed.
   */
  call<T>(command: (redis: Redis) => Promise<T>): Promise<T>;
  /** Closes the connection; calls waiting for it fail at once. */
  disconnect(): void;
}

export class ValkeyUnreachableError extends Error {
  override readonly name = 'ValkeyUnreachableError';
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * A connection that never holds a command for Valkey to come back, unlike the shared one (whose
 * settings BullMQ's workers need): nothing waits in ioredis's offline queue, and a command in
 * flight when the connection drops fails at once instead of being sent again after the reconnect
 * (a replayed token-bucket take would spend a token for a request already refused). A call made
 * while the connection reconnects waits for it, within the same bound as the answer. A call that
 * runs out of time is failed, but a command already written may still run on Valkey: a take refused
 * that way can have spent its token, as a take whose answer was lost in transit would.
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
    // The bound of a command sent while ready (one that waited for the connection races what is
    // left). A script whose SHA Valkey lost is sent again as EVAL with a bound of its own: rare
    // (a SCRIPT FLUSH, a failover), so such a call may take up to twice the bound.
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

  let closedByUs = false;
  const unreachable = () =>
    new ValkeyUnreachableError(`Valkey did not answer within ${options.timeoutMs} ms`);
  const closed = () => new ValkeyUnreachableError('the Valkey connection is closed');
  // Valkey's own answers (a script's error) stay as they are; the rest mean it was not reached.
  const namingFailures = (error: unknown): never => {
    if (error instanceof ReplyError) throw error;
    if (error instanceof Error && error.message === 'Command timed out') {
      // An open connection that answers nothing (a hung server, a lost route) stays 'ready' until
      // TCP gives up, minutes later, and every call would wait out its bound on it: drop it, so
      // the calls after this one wait for a new connection instead, and nothing piles up in it.
      if (redis.status === 'ready') redis.disconnect(true);
      throw unreachable();
    }
    if (closedByUs) throw closed();
    const dropped =
      error instanceof Error &&
      (error.name === 'MaxRetriesPerRequestError' || error.message === 'Connection is closed.');
    throw new ValkeyUnreachableError(
      dropped
        ? 'the connection to Valkey dropped before it answered'
        : `Valkey is unreachable: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  };

  // Calls waiting for the connection; one that times out leaves, so an outage holds none of them.
  const waiters = new Set<Waiter>();
  redis.on('ready', () => {
    for (const waiter of waiters) waiter.resolve();
  });
  redis.on('end', () => {
    for (const waiter of waiters) waiter.reject(closed());
  });

  return {
    redis,
    async call<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
      // ioredis leaves a connection closed while it was reconnecting in 'reconnecting', not 'end'.
      if (closedByUs || redis.status === 'end') throw closed();
      // Ready: ioredis's commandTimeout is the bound, without a timer of ours on the hot path.
      if (redis.status === 'ready') return command(redis).catch(namingFailures);
      const deadline = performance.now() + options.timeoutMs;
      await new Promise<void>((resolve, reject) => {
        const leave = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        const waiter: Waiter = {
          resolve() {
            leave();
            resolve();
          },
          reject(error) {
            leave();
            reject(error);
          },
        };
        const timer = setTimeout(() => waiter.reject(unreachable()), options.timeoutMs);
        waiters.add(waiter);
      });
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) throw unreachable();
      return withDeadline(command(redis).catch(namingFailures), leftMs, unreachable);
    },
    disconnect() {
      closedByUs = true;
      redis.disconnect();
      // 'end' comes on a later tick, and never for a connection that was reconnecting.
      for (const waiter of waiters) waiter.reject(closed());
    },
  };
}

function withDeadline<T>(answer: Promise<T>, leftMs: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    answer,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), leftMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
