import { Redis } from 'ioredis';
import { urlTarget } from '../log/redact-url.js';

export interface RedisProbe {
  ok: boolean;
  latencyMs: number | null;
  target: string;
  problem: string;
}

/** One connection attempt with a deadline and no retries, then PING. */
export async function probeRedis(url: string, timeoutMs: number): Promise<RedisProbe> {
  const target = urlTarget(url, 6379);
  const started = performance.now();
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    // The ready check (INFO) would wait on a silent server past the deadline; PING is the probe.
    enableReadyCheck: false,
  });
  // ioredis rejects connect() with a generic "Connection is closed"; the socket's own error says why.
  let socketError: (Error & { code?: string }) | undefined;
  client.on('error', (error: Error & { code?: string }) => {
    socketError ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      deadline,
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started), target, problem: '' };
  } catch (error) {
    const cause = socketError ?? (error as Error & { code?: string });
    const code = cause.code;
    const message = String(cause.message ?? cause);
    let problem: string;
    if (code === 'ECONNREFUSED') problem = 'refused the connection (nothing listens there)';
    else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') problem = 'has a host name that does not resolve';
    else if (/timed? ?out/i.test(message)) problem = `did not answer within ${timeoutMs} ms`;
    else if (/WRONGPASS|NOAUTH/.test(message)) problem = 'rejected the credentials';
    else problem = `failed: ${message.split('\n')[0]}`;
    return { ok: false, latencyMs: null, target, problem };
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
