import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { createRedis, logErrorEvents } from '../redis/redis-client.js';
import { createRequestPathRedis, type RequestPathRedis } from '../redis/request-path-redis.js';
import { CoalescedTakes } from './coalesced-takes.js';
import type {
  Adapters,
  Generations,
  JobQueue,
  PubSub,
  RateLimiter,
  Scheduler,
  TokenBucketResult,
} from './job-queue.js';

const tokenBucketScript = readFileSync(new URL('./token-bucket-2.lua', import.meta.url), 'utf8');
/** The guard value that makes token-bucket-2.lua take without reading a generation marker. */
const unguarded = '*';
/** Markers outlive any cached copy (copies are re-read far sooner); an expired one just reads ''. */
const generationTtlSeconds = 30 * 24 * 60 * 60;

type RedisWithBucket = Redis & {
  tokenBucket(
    key: string,
    generationKey: string,
    capacity: number,
    periodMs: number,
    expected: string,
    count?: number,
  ): Promise<[number, number, number, number, string]>;
};

export interface BullmqAdaptersOptions {
  url: string;
  /** Key prefix; tests use a random one so runs never see each other's jobs. */
  prefix: string;
  connectionName: string;
  /**
   * How long the rate limiter and the generation markers wait for Valkey before failing (default
   * 2 s): they sit on a request's path, which must be refused, not held, while Valkey is away.
   */
  requestPathTimeoutMs?: number;
  /** Where each connection's losses and recoveries are logged (once per outage). */
  logger?: Logger;
}

const defaultRequestPathTimeoutMs = 2_000;

const loggerOf = (options: BullmqAdaptersOptions) => (options.logger ? { logger: options.logger } : {});

class BullmqJobQueue<T> implements JobQueue<T> {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;

  constructor(
    readonly name: string,
    private readonly options: BullmqAdaptersOptions & { connection: Redis },
  ) {
    this.queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
    if (options.logger) logErrorEvents(this.queue, { queue: name }, options.logger);
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
    if (this.worker) throw new Error(`queue ${this.name} already has a consumer in this process`);
    // A worker blocks on its connection, so it gets its own; BullMQ treats a passed-in connection as
    // shared and leaves it open, so close() quits it.
    this.workerConnection = createRedis({
      url: this.options.url,
      connectionName: `${this.options.connectionName}:worker`,
      ...loggerOf(this.options),
    });
    this.worker = new Worker(this.name, async (job) => handler(job.data as T), {
      connection: this.workerConnection,
      prefix: this.options.prefix,
      concurrency: options.concurrency ?? 1,
    });
    if (this.options.logger) logErrorEvents(this.worker, { worker: this.name }, this.options.logger);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.workerConnection?.quit().catch(() => this.workerConnection?.disconnect());
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
        ...loggerOf(this.options),
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

/** Repeating tasks as BullMQ job schedulers: one tick runs on one replica, whichever takes it. */
class BullmqScheduler implements Scheduler {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;
  private readonly tasks = new Map<string, () => Promise<void>>();

  constructor(private readonly options: BullmqAdaptersOptions & { connection: Redis }) {
    this.queue = new Queue('mosaic-scheduler', { connection: options.connection, prefix: options.prefix });
    if (options.logger) logErrorEvents(this.queue, { queue: 'mosaic-scheduler' }, options.logger);
  }

  async every(name: string, intervalMs: number, task: () => Promise<void>): Promise<void> {
    this.tasks.set(name, task);
    await this.queue.upsertJobScheduler(
      name,
      { every: intervalMs },
      { name, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    // The worker blocks on a connection of its own; BullMQ leaves a passed-in connection open, so
    // close() quits it.
    this.workerConnection ??= createRedis({
      url: this.options.url,
      connectionName: `${this.options.connectionName}:scheduler`,
      ...loggerOf(this.options),
    });
    if (!this.worker) {
      this.worker = new Worker(
        'mosaic-scheduler',
        async (job) => {
          // A replica that does not run this task (another service) leaves it for one that does.
          const run = this.tasks.get(job.name);
          if (run) await run();
        },
        { connection: this.workerConnection, prefix: this.options.prefix },
      );
      if (this.options.logger)
        logErrorEvents(this.worker, { worker: 'mosaic-scheduler' }, this.options.logger);
    }
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.workerConnection?.quit().catch(() => this.workerConnection?.disconnect());
    await this.queue.close();
  }
}

class RedisRateLimiter implements RateLimiter {
  private readonly guarded: CoalescedTakes;
  private readonly connection: RedisWithBucket;

  constructor(
    private readonly requestPath: RequestPathRedis,
    private readonly prefix: string,
  ) {
    this.connection = requestPath.redis as RedisWithBucket;
    this.guarded = new CoalescedTakes(async (take, count) => {
      const [current, allowed, remaining, retryAfterMs, generation] = await this.requestPath.call(() =>
        this.connection.tokenBucket(
          take.bucketKey,
          take.generationKey,
          take.capacity,
          take.refillPeriodMs,
          take.expected,
          count,
        ),
      );
      return { current: current === 1, allowed, remaining, retryAfterMs, generation };
    });
  }

  async take(key: string, capacity: number, refillPeriodMs: number): Promise<TokenBucketResult> {
    const bucket = `${this.prefix}:bucket:${key}`;
    const [, allowed, remaining, retryAfterMs] = await this.requestPath.call(() =>
      this.connection.tokenBucket(bucket, bucket, capacity, refillPeriodMs, unguarded),
    );
    return { allowed: allowed === 1, remaining, retryAfterMs };
  }

  /** Takes made in the same turn on the same bucket and guard share one script call (coalesced-takes.ts). */
  takeIfCurrent(
    key: string,
    capacity: number,
    refillPeriodMs: number,
    guard: { key: string; expected: string },
  ): Promise<({ current: true } & TokenBucketResult) | { current: false; generation: string }> {
    return this.guarded.take({
      bucketKey: `${this.prefix}:bucket:${key}`,
      generationKey: `${this.prefix}:generation:${guard.key}`,
      capacity,
      refillPeriodMs,
      expected: guard.expected,
    });
  }
}

class RedisGenerations implements Generations {
  constructor(
    private readonly requestPath: RequestPathRedis,
    private readonly prefix: string,
  ) {}

  async current(key: string): Promise<string> {
    return (await this.requestPath.call((redis) => redis.get(`${this.prefix}:generation:${key}`))) ?? '';
  }

  async bump(key: string): Promise<void> {
    await this.requestPath.call((redis) =>
      redis.set(`${this.prefix}:generation:${key}`, randomUUID(), 'EX', generationTtlSeconds),
    );
  }
}

export function createBullmqAdapters(options: BullmqAdaptersOptions): Adapters {
  const connection = createRedis({
    url: options.url,
    connectionName: options.connectionName,
    ...loggerOf(options),
  });
  // A connection of their own for the rate limiter and the markers: the shared one waits for Valkey
  // as long as it takes (BullMQ's workers need that), which would hold every federation request
  // while Valkey is away instead of refusing it (503).
  const requestPath = createRequestPathRedis({
    url: options.url,
    connectionName: `${options.connectionName}:requests`,
    timeoutMs: options.requestPathTimeoutMs ?? defaultRequestPathTimeoutMs,
    ...loggerOf(options),
  });
  requestPath.redis.defineCommand('tokenBucket', { numberOfKeys: 2, lua: tokenBucketScript });
  const queues = new Map<string, BullmqJobQueue<unknown>>();
  const pubsub = new RedisPubSub(connection, options);
  const scheduler = new BullmqScheduler({ ...options, connection });
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
    scheduler,
    rateLimiter: new RedisRateLimiter(requestPath, options.prefix),
    generations: new RedisGenerations(requestPath, options.prefix),
    close() {
      closing ??= (async () => {
        // First: it waits for nothing, while a worker's close waits for Valkey to answer.
        requestPath.disconnect();
        try {
          await scheduler.close();
          await Promise.all([...queues.values()].map((queue) => queue.close()));
          await pubsub.close();
        } finally {
          connection.disconnect();
        }
      })();
      return closing;
    },
  };
}
