import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  Adapters,
  Generations,
  JobQueue,
  PubSub,
  RateLimiter,
  Scheduler,
  TokenBucketResult,
} from './job-queue.js';
import { type BucketState, takeToken } from './token-bucket.js';

const retryDelaysMs = [50, 200, 1000, 5000];

/** In-process queue for the single-process `local` tier: same contract, no durability across restarts. */
class LocalJobQueue<T> implements JobQueue<T> {
  private readonly pending: Array<{ id?: string; data: T; attempt: number }> = [];
  private readonly seen = new Set<string>();
  private handler: ((data: T) => Promise<void>) | undefined;
  private running = 0;
  private concurrency = 1;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly name: string) {}

  async add(job: { id?: string; data: T }): Promise<void> {
    if (this.closed) throw new Error(`queue ${this.name} is closed`);
    if (job.id !== undefined) {
      if (this.seen.has(job.id)) return;
      this.seen.add(job.id);
    }
    this.pending.push({ ...job, attempt: 0 });
    this.pump();
  }

  consume(handler: (data: T) => Promise<void>, options: { concurrency?: number } = {}): void {
    this.handler = handler;
    this.concurrency = options.concurrency ?? 1;
    this.pump();
  }

  private pump(): void {
    while (this.handler && !this.closed && this.running < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift()!;
      const handler = this.handler;
      this.running += 1;
      handler(job.data)
        .then(() => {
          // Only pending jobs are deduplicated: the set stays as small as the backlog.
          if (job.id !== undefined) this.seen.delete(job.id);
        })
        .catch(() => {
          const delay = retryDelaysMs[Math.min(job.attempt, retryDelaysMs.length - 1)]!;
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.pending.push({ ...job, attempt: job.attempt + 1 });
            this.pump();
          }, delay);
          this.timers.add(timer);
        })
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
  }
}

class LocalPubSub implements PubSub {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  async publish(channel: string, message: string): Promise<void> {
    this.emitter.emit(channel, message);
  }
  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.emitter.on(channel, handler);
    return async () => {
      this.emitter.off(channel, handler);
    };
  }
  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

class LocalScheduler implements Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  async every(name: string, intervalMs: number, task: () => Promise<void>): Promise<void> {
    clearInterval(this.timers.get(name));
    let running = false;
    const timer = setInterval(() => {
      // A tick that is still running is not started again (no overlap, as with one BullMQ job).
      if (running) return;
      running = true;
      task()
        .catch(() => {})
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    this.timers.set(name, timer);
  }

  async close(): Promise<void> {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
  }
}

class LocalGenerations implements Generations {
  private readonly markers = new Map<string, string>();

  async current(key: string): Promise<string> {
    return this.read(key);
  }

  /** Synchronous read for the rate limiter's guarded take, atomic within this process. */
  read(key: string): string {
    return this.markers.get(key) ?? '';
  }

  async bump(key: string): Promise<void> {
    this.markers.set(key, randomUUID());
  }
}

class LocalRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();

  constructor(private readonly generations: LocalGenerations) {}

  async takeIfCurrent(
    key: string,
    capacity: number,
    refillPeriodMs: number,
    guard: { key: string; expected: string },
  ): Promise<({ current: true } & TokenBucketResult) | { current: false; generation: string }> {
    const generation = this.generations.read(guard.key);
    if (generation !== guard.expected) return { current: false, generation };
    return { current: true, ...(await this.take(key, capacity, refillPeriodMs)) };
  }

  async take(key: string, capacity: number, refillPeriodMs: number): Promise<TokenBucketResult> {
    const { state, result } = takeToken(this.buckets.get(key), {
      capacity,
      refillPeriodMs,
      nowMs: Date.now(),
    });
    this.buckets.set(key, state);
    return result;
  }
}

export function createLocalAdapters(): Adapters {
  const queues = new Map<string, LocalJobQueue<unknown>>();
  const pubsub = new LocalPubSub();
  const scheduler = new LocalScheduler();
  const generations = new LocalGenerations();
  return {
    kind: 'local',
    queue<T>(name: string): JobQueue<T> {
      let queue = queues.get(name);
      if (!queue) {
        queue = new LocalJobQueue<unknown>(name);
        queues.set(name, queue);
      }
      return queue as JobQueue<T>;
    },
    pubsub,
    scheduler,
    rateLimiter: new LocalRateLimiter(generations),
    generations,
    async close() {
      await scheduler.close();
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await pubsub.close();
    },
  };
}
