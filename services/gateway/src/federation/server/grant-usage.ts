import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import type { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import { errorForLog, type Logger } from '@mosaic/platform';

/** The contract's bound on one RecordGrantUsage call. */
const usagesPerCall = 1000;

/**
 * Keeps each grant's last federated request and reports them to the grants service in batches
 * (RecordGrantUsage), so `last used` is true within the flush interval without a write per
 * request. A report that fails is kept and sent again with the next one: the service keeps the
 * latest time whatever order reports arrive in.
 */
export class GrantUsageReporter {
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  /** A report failed and no report has succeeded since (one warning per outage). */
  private failing = false;
  private closing = false;

  constructor(
    private readonly options: {
      grants: Client<typeof GrantsService>;
      logger: Logger;
      /** How often pending uses are reported (config grantUsageReportMs). */
      flushMs: number;
    },
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushMs);
    this.timer.unref();
  }

  /** A request of the grant was admitted now. */
  used(grantId: string, atMs = Date.now()): void {
    const known = this.pending.get(grantId);
    if (known === undefined || known < atMs) this.pending.set(grantId, atMs);
  }

  /** Sends what is pending; one flush at a time (a call meanwhile waits for the one running). */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and sends what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    await this.flush();
  }

  private async send(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Map();
    try {
      for (let first = 0; first < batch.length; first += usagesPerCall) {
        await this.options.grants.recordGrantUsage({
          usages: batch
            .slice(first, first + usagesPerCall)
            .map(([grantId, atMs]) => ({ grantId, lastUsedAt: timestampFromMs(atMs) })),
        });
      }
      if (this.failing) {
        this.options.logger.info({ grants: batch.length }, 'grant usage reported again');
        this.failing = false;
      }
    } catch (error) {
      if (this.closing) {
        // At shutdown the grants service may be gone first (one process: its listener closes
        // before the gateway); the last seconds of use are all that is lost.
        this.options.logger.info(
          { err: errorForLog(error), grants: batch.length },
          'grant usage of the last moments not reported at shutdown',
        );
        return;
      }
      for (const [grantId, atMs] of batch) this.used(grantId, atMs);
      // Once per outage, not once per flush.
      if (!this.failing) {
        this.failing = true;
        this.options.logger.warn(
          { err: errorForLog(error), grants: this.pending.size },
          "grant usage not reported (grants' last used stays behind); kept for the next report",
        );
      }
    }
  }
}
