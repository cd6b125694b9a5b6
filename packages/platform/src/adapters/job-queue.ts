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
  /**
   * `take`, but only while the generation marker `guard.key` (see `Generations`) still reads
   * `guard.expected`, checked in the same atomic step: the capacity the caller passes came from
   * data of that generation. When the marker moved on nothing is taken and its value is returned.
   */
  takeIfCurrent(
    key: string,
    capacity: number,
    refillPeriodMs: number,
    guard: { key: string; expected: string },
  ): Promise<({ current: true } & TokenBucketResult) | { current: false; generation: string }>;
}

/**
 * Generation markers for caches shared by nothing but a key: the owner of some data bumps its
 * marker after every committed change, and a replica holding a copy keeps it only while the
 * marker still reads what it read before fetching the copy. Markers are random (never a counter
 * that a flushed Valkey could bring back to an old value); an absent marker reads ''.
 */
export interface Generations {
  current(key: string): Promise<string>;
  bump(key: string): Promise<void>;
}

/** Adapters behind which the shared (Valkey) and the in-process implementations sit. */
export interface Adapters {
  readonly kind: 'local' | 'bullmq';
  queue<T>(name: string): JobQueue<T>;
  readonly pubsub: PubSub;
  readonly scheduler: Scheduler;
  readonly rateLimiter: RateLimiter;
  readonly generations: Generations;
  close(): Promise<void>;
}
