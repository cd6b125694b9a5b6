/** A durable queue of jobs: BullMQ on Valkey in shared tiers, in process in the `local` tier. */
export interface JobQueue<T> {
  readonly name: string;
  /** Enqueues one job. `id` makes the enqueue idempotent: a job with a known id is not added twice. */
  add(job: { id?: string; data: T }): Promise<void>;
  /** Starts consuming. A handler that throws gets the job again later (retry with backoff). */
  consume(handler: (data: T) => Promise<void>, options?: { concurrency?: number }): void;
  close(): Promise<void>;
}

export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Returns a function that ends the subscription. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Runs a task every `intervalMs`. With several replicas sharing Valkey, each tick runs on exactly
 * one of them (BullMQ job scheduler); in the local tier it is a timer.
 */
export interface Scheduler {
  every(name: string, intervalMs: number, task: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface TokenBucketResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: how long until one token is back. */
  retryAfterMs: number;
}

/**
 * A token bucket per key: `capacity` tokens, refilled continuously at `capacity` per
 * `refillPeriodMs`. Shared by every replica through Valkey (one atomic script, Valkey's clock);
 * in process in the local tier. Changing the capacity takes effect on the next call.
 */
export interface RateLimiter {
  take(key: string, capacity: number, refillPeriodMs: number): Promise<TokenBucketResult>;
}

/** Adapters behind which the shared (Valkey) and the in-process implementations sit. */
export interface Adapters {
  readonly kind: 'local' | 'bullmq';
  queue<T>(name: string): JobQueue<T>;
  readonly pubsub: PubSub;
  readonly scheduler: Scheduler;
  readonly rateLimiter: RateLimiter;
  close(): Promise<void>;
}
