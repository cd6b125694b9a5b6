import { randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import type { JobQueue } from '../adapters/job-queue.js';
import { errorForLog } from '../log/error-for-log.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/registry.js';

export const auditQueueName = 'audit-events';

/**
 * One audit event as it travels on the queue: plain JSON, enum fields as the contract's numbers
 * (AuditVerb, Resource, AuditOutcome). Never a token, key, CSR or request body.
 */
export interface AuditEventPayload {
  id: string;
  grantId: string | null;
  occurredAt: string;
  verb: number;
  resource: number;
  queryHash: string;
  outcome: number;
  bytesOut: number;
  latencyMs: number;
  peer: string;
  traceId: string;
  actor: string;
  reason: string;
}

/**
 * What one queue job carries: a batch of events (what this emitter sends), or one bare event (what
 * emitters before batching sent; consumers accept both so replicas can be upgraded one at a time).
 */
export type AuditJobPayload = AuditEventPayload | { events: AuditEventPayload[] };

/** The events of one job, whichever shape it has. */
export function auditEventsOf(job: AuditJobPayload): AuditEventPayload[] {
  return 'events' in job ? job.events : [job];
}

export interface AuditEmitterOptions {
  queue: JobQueue<AuditJobPayload>;
  logger: Logger;
  metrics: Metrics;
  /** Events held while the queue is unreachable; beyond it the oldest are dropped (and counted). */
  maxBuffered?: number;
  /** Events per queue job at most. */
  maxBatch?: number;
  /** How long a batch that is not full waits for more events before it is sent. */
  lingerMs?: number;
}

/**
 * Puts audit events on the durable queue without ever making the caller wait: `emit` returns at
 * once. Events wait in a bounded buffer while the queue (Valkey) is unreachable and are retried
 * with backoff; an event dropped because the buffer is full is counted in
 * `mosaic_audit_events_dropped_total` and logged as an error.
 *
 * Events go out in batches, one queue job each: a batch leaves when it is full or `lingerMs` (100 ms)
 * after its first event, so a busy gateway pays a few queue jobs per second instead of one per
 * request, and an event waits at most `lingerMs` longer to be queryable. A batch, once taken, is
 * retried as it is under the same job id, so a retry never enqueues an event twice.
 */
export class AuditEmitter {
  private readonly buffer: AuditEventPayload[] = [];
  private sending: AuditEventPayload[] | undefined;
  private readonly maxBuffered: number;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private readonly dropped: Counter;
  private readonly buffered: Gauge;

  constructor(private readonly options: AuditEmitterOptions) {
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.maxBatch = options.maxBatch ?? 500;
    this.lingerMs = options.lingerMs ?? 100;
    if (!(this.lingerMs >= 0)) throw new RangeError(`lingerMs must be 0 or more, not ${options.lingerMs}`);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new RangeError(`maxBatch must be a positive integer, not ${options.maxBatch}`);
    }
    const registry = options.metrics.registry;
    this.dropped =
      (registry.getSingleMetric('mosaic_audit_events_dropped_total') as Counter | undefined) ??
      new Counter({
        name: 'mosaic_audit_events_dropped_total',
        help: 'Audit events dropped because the buffer in front of the queue was full.',
        registers: [registry],
      });
    this.buffered =
      (registry.getSingleMetric('mosaic_audit_events_buffered') as Gauge | undefined) ??
      new Gauge({
        name: 'mosaic_audit_events_buffered',
        help: 'Audit events waiting in memory for the queue.',
        registers: [registry],
      });
  }

  /** Records an event; never throws and never waits for the queue or the audit store. */
  emit(event: Omit<AuditEventPayload, 'id' | 'occurredAt'> & { id?: string; occurredAt?: Date }): void {
    if (this.closed) return;
    if (this.pendingCount() >= this.maxBuffered && this.buffer.length > 0) {
      this.buffer.shift();
      this.dropped.inc();
      this.options.logger.error({ maxBuffered: this.maxBuffered }, 'audit buffer full: oldest event dropped');
    }
    this.buffer.push({
      ...event,
      id: event.id ?? randomUUID(),
      occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    });
    this.buffered.set(this.pendingCount());
    this.schedule();
  }

  /** Sends now when a batch is full, else once the linger time has passed; retries wait their turn. */
  private schedule(): void {
    if (this.retryTimer || this.flushing || this.buffer.length === 0) return;
    if (this.buffer.length >= this.maxBatch || this.lingerMs === 0) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      void this.flush();
      return;
    }
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = undefined;
      void this.flush();
    }, this.lingerMs);
  }

  private pendingCount(): number {
    return this.buffer.length + (this.sending?.length ?? 0);
  }

  /** Sends one batch (the one being retried, or the next); `all` sends every buffered event. */
  private flush(all = false): Promise<void> {
    this.flushing ??= this.send(all).finally(() => {
      this.flushing = undefined;
      if (!this.closed) this.schedule();
    });
    return this.flushing;
  }

  private async send(all: boolean): Promise<void> {
    let sent = false;
    try {
      while (this.sending || (this.buffer.length > 0 && (all || !sent))) {
        this.sending ??= this.buffer.splice(0, this.maxBatch);
        const first = this.sending[0]!;
        // The job id names the batch: a retried enqueue of it is not added twice.
        await this.options.queue.add({
          id: `${first.id}+${this.sending.length}`,
          data: { events: this.sending },
        });
        this.sending = undefined;
        sent = true;
        this.failures = 0;
        this.buffered.set(this.pendingCount());
      }
    } catch (error) {
      this.failures += 1;
      const delay = Math.min(30_000, 100 * 2 ** Math.min(this.failures, 8));
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.options.logger.warn(
          { err: errorForLog(error), buffered: this.pendingCount(), retryInMs: delay },
          'audit queue unreachable; events are buffered and retried',
        );
      }
      if (!this.closed) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.flush();
        }, delay);
        this.retryTimer.unref();
      }
    }
  }

  /** Sends what is buffered (waiting up to the deadline), then stops accepting events. */
  async close(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    while (this.pendingCount() > 0 && Date.now() < deadline) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      await this.flush(true);
      if (this.pendingCount() > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.lingerTimer);
    const lost = this.pendingCount();
    if (lost > 0) {
      this.dropped.inc(lost);
      this.options.logger.error({ lost }, 'audit events not delivered before shutdown');
    }
  }
}
