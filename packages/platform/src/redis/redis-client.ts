import { Redis } from 'ioredis';

export interface RedisClientOptions {
  url: string;
  /** Shown in CLIENT LIST, so an operator can tell which service holds a connection. */
  connectionName: string;
  connectTimeoutMs?: number;
}

/**
 * A Redis/Valkey connection with the settings BullMQ requires (no per-command retry limit, so a
 * blocking worker survives a brief outage) and a bounded connect timeout.
 */
export function createRedis(options: RedisClientOptions): Redis {
  return new Redis(options.url, {
    connectionName: options.connectionName,
    connectTimeout: options.connectTimeoutMs ?? 3000,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
  });
}
