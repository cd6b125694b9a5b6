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

export interface AuditEmitterOptions {
  queue: JobQueue<AuditEventPayload>;
  logger: Logger;
  metrics: Metrics;
  /** Events held while the queue is unreachable; beyond it the oldest are dropped (and counted). */
  maxBuffered?: number;
}

/**
 * Puts audit events on the durable queue without ever making the caller wait: `emit` returns at
 * once. Events wait in a bounded buffer while the queue (Valkey) is unreachable and are retried
 * with backoff; an event dropped because the buffer is full is counted in
 * `mosaic_audit_events_dropped_total` and logged as an error.
 */
export class AuditEmitter {
  private readonly buffer: AuditEventPayload[] = [];
  private readonly maxBuffered: number;
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private readonly dropped: Counter;
  private readonly buffered: Gauge;

  constructor(private readonly options: AuditEmitterOptions) {
    this.maxBuffered = options.maxBuffered ?? 10_000;
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
    if (this.buffer.length >= this.maxBuffered) {
      this.buffer.shift();
      this.dropped.inc();
      this.options.logger.error({ maxBuffered: this.maxBuffered }, 'audit buffer full: oldest event dropped');
    }
    this.buffer.push({
      ...event,
      id: event.id ?? randomUUID(),
      occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    });
    this.buffered.set(this.buffer.length);
    if (!this.retryTimer) void this.flush();
  }

  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.buffer.length > 0) {
          const event = this.buffer[0]!;
          // The event id is the job id: a retried enqueue never duplicates the event.
          await this.options.queue.add({ id: event.id, data: event });
          this.buffer.shift();
          this.failures = 0;
          this.buffered.set(this.buffer.length);
        }
      } catch (error) {
        this.failures += 1;
        const delay = Math.min(30_000, 100 * 2 ** Math.min(this.failures, 8));
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.options.logger.warn(
            { err: errorForLog(error), buffered: this.buffer.length, retryInMs: delay },
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
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** Sends what is buffered (waiting up to the deadline), then stops accepting events. */
  async close(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (this.buffer.length > 0 && Date.now() < deadline) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      await this.flush();
      if (this.buffer.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.buffer.length > 0) {
      this.dropped.inc(this.buffer.length);
      this.options.logger.error({ lost: this.buffer.length }, 'audit events not delivered before shutdown');
    }
  }
}
