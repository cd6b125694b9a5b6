import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';

export const redisUrl = process.env.MOSAIC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function randomPrefix(): string {
  return `mosaic-test-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under a test's prefix. */
export async function deletePrefix(prefix: string): Promise<void> {
  const client = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export interface ValkeyRelay {
  /** redis:// URL of the relay: the test's Valkey while the relay runs. */
  url: string;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Drops every connection and closes the port, as a Valkey restart or a network failure would. */
  stop(): Promise<void>;
  /** Keeps connections open but forwards nothing more to Valkey, as a hung server or a lost route would. */
  stall(): void;
}

/** A TCP relay to the test Valkey that a test can cut and restore. */
export async function startValkeyRelay(): Promise<ValkeyRelay> {
  const target = new URL(redisUrl);
  const sockets = new Set<net.Socket>();
  const clients = new Map<net.Socket, net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      }
      clients.set(client, upstream);
      client.on('close', () => clients.delete(client));
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
  };
  const stall = () => {
    for (const [client, upstream] of clients) {
      client.unpipe(upstream);
      client.pause();
    }
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, stall };
}
