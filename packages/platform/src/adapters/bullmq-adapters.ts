import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '../redis/redis-client.js';
import type { Adapters, JobQueue, PubSub } from './job-queue.js';

export interface BullmqAdaptersOptions {
  url: string;
  /** Key prefix; tests use a random one so runs never see each other's jobs. */
  prefix: string;
  connectionName: string;
}

class BullmqJobQueue<T> implements JobQueue<T> {
  private readonly queue: Queue;
  private worker: Worker | undefined;

  constructor(
    readonly name: string,
    private readonly options: BullmqAdaptersOptions & { connection: Redis },
  ) {
    this.queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
  }

  async add(job: { id?: string; data: T }): Promise<void> {
    await this.queue.add(this.name, job.data, {
      ...(job.id === undefined ? {} : { jobId: job.id }),
      attempts: 20,
      backoff: { type: 'exponential', delay: 100 },
      removeOnComplete: 1000,
      removeOnFail: 10000,
    });
  }

  consume(handler: (data: T) => Promise<void>, options: { concurrency?: number } = {}): void {
    // A worker blocks on its connection, so it gets its own.
    this.worker = new Worker(this.name, async (job) => handler(job.data as T), {
      connection: createRedis({
        url: this.options.url,
        connectionName: `${this.options.connectionName}:worker`,
      }),
      prefix: this.options.prefix,
      concurrency: options.concurrency ?? 1,
    });
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}

class RedisPubSub implements PubSub {
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  constructor(
    private readonly publisher: Redis,
    private readonly options: BullmqAdaptersOptions,
  ) {}

  private channel(name: string): string {
    return `${this.options.prefix}:${name}`;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(this.channel(channel), message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      this.subscriber = createRedis({
        url: this.options.url,
        connectionName: `${this.options.connectionName}:sub`,
      });
      this.subscriber.on('message', (fullChannel: string, message: string) => {
        const name = fullChannel.slice(this.options.prefix.length + 1);
        for (const listener of this.handlers.get(name) ?? []) listener(message);
      });
    }
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.subscriber.subscribe(this.channel(channel));
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
  }
}

export function createBullmqAdapters(options: BullmqAdaptersOptions): Adapters {
  const connection = createRedis({ url: options.url, connectionName: options.connectionName });
  const queues = new Map<string, BullmqJobQueue<unknown>>();
  const pubsub = new RedisPubSub(connection, options);
  let closing: Promise<void> | undefined;
  return {
    kind: 'bullmq',
    queue<T>(name: string): JobQueue<T> {
      let queue = queues.get(name);
      if (!queue) {
        queue = new BullmqJobQueue<unknown>(name, { ...options, connection });
        queues.set(name, queue);
      }
      return queue as JobQueue<T>;
    },
    pubsub,
    close() {
      closing ??= (async () => {
        await Promise.all([...queues.values()].map((queue) => queue.close()));
        await pubsub.close();
        connection.disconnect();
      })();
      return closing;
    },
  };
}
