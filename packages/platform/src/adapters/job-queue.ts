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

/** Adapters behind which the shared (Valkey) and the in-process implementations sit. */
export interface Adapters {
  readonly kind: 'local' | 'bullmq';
  queue<T>(name: string): JobQueue<T>;
  readonly pubsub: PubSub;
  close(): Promise<void>;
}
