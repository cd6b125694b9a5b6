import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { AuditOutcome, type AuditService, type AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import type { Logger } from '@mosaic/platform';

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
 * Records grant lifecycle events in the audit log through the audit service's API. A failure to
 * record is logged and does not undo the change it describes (the queue with retry replaces this
 * direct call when the audit pipeline lands).
 */
export class AuditRecorder {
  constructor(
    private readonly audit: Client<typeof AuditService>,
    private readonly logger: Logger,
  ) {}

  async record(event: LifecycleEvent): Promise<void> {
    try {
      await this.audit.recordEvent({
        event: {
          id: randomUUID(),
          grantId: event.grantId,
          occurredAt: timestampFromDate(new Date()),
          verb: event.verb,
          outcome: event.outcome ?? AuditOutcome.OK,
          actor: event.actor ?? '',
          reason: event.reason ?? '',
          peer: event.peer ?? '',
        },
      });
    } catch (error) {
      this.logger.error({ err: error, verb: event.verb, grantId: event.grantId }, 'audit event not recorded');
    }
  }
}
