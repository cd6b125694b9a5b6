import { AuditOutcome, type AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import type { AuditEmitter } from '@mosaic/platform';

export interface LifecycleEvent {
  verb: AuditVerb;
  grantId: string;
  outcome?: AuditOutcome;
  actor?: string;
  /** Why, in words; never a token, key or CSR. */
  reason?: string;
  peer?: string;
}

/**
 * Grant lifecycle events for the audit log. They go onto the audit queue and never hold up the
 * change they describe; the emitter buffers and retries while the queue is unreachable.
 */
export class AuditRecorder {
  constructor(private readonly emitter: AuditEmitter) {}

  async record(event: LifecycleEvent): Promise<void> {
    this.emitter.emit({
      grantId: event.grantId,
      verb: event.verb,
      resource: 0,
      queryHash: '',
      outcome: event.outcome ?? AuditOutcome.OK,
      bytesOut: 0,
      latencyMs: 0,
      peer: event.peer ?? '',
      traceId: '',
      actor: event.actor ?? '',
      reason: event.reason ?? '',
    });
  }
}
