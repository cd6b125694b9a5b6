import type { AuditEventStore, AuditRow } from './audit-event-store.js';

type PendingEvent = {
  row: Omit<AuditRow, 'recordedAt' | 'cold'>;
  resolve: () => void;
  reject: (error: unknown) => void;
};

/**
 * Writes queued audit events in batches: whatever arrives within `maxWaitMs` (or up to
 * `maxBatch` events) goes in one INSERT. Each event's promise settles with its batch, so the queue
 * acknowledges a job only once its row is committed; a failed batch fails all of its jobs, which
 * the queue retries (the insert is idempotent by event id).
 */
export class AuditBatchWriter {
  private pending: PendingEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AuditEventStore,
    private readonly options: { maxBatch: number; maxWaitMs: number } = { maxBatch: 200, maxWaitMs: 25 },
  ) {}

  write(row: PendingEvent['row']): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (this.pending.length >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.store.insert(batch.map((event) => event.row)).then(
      () => {
        for (const event of batch) event.resolve();
      },
      (error: unknown) => {
        for (const event of batch) event.reject(error);
      },
    );
  }
}
