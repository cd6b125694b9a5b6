import { AuditService } from '@mosaic/contracts/v1/audit_pb';
import {
  type AuditJobPayload,
  auditEventsOf,
  auditQueueName,
  policyForService,
  type ServiceModule,
} from '@mosaic/platform';
import { AuditApi } from './api/audit-api.js';
import { AuditBatchWriter } from './store/audit-batch-writer.js';
import { AuditEventStore } from './store/audit-event-store.js';
import { CreateAuditTables1763800000000 } from './store/migrations/1763800000000-create-audit-tables.js';

export const auditModule: ServiceModule = {
  name: 'audit',
  schema: 'audit',
  services: [AuditService],
  policy: policyForService(
    AuditService,
    { kind: 'internal', callers: ['gateway', 'grants', 'ca'] },
    { QueryEvents: { kind: 'internal', callers: ['gateway'] } },
  ),
  entities: [],
  migrations: [CreateAuditTables1763800000000],
  async create(deps) {
    const store = new AuditEventStore(deps.dataSource);
    const api = new AuditApi(store);
    const writer = new AuditBatchWriter(store);
    // Events from every gateway and grants replica arrive on the queue, a batch per job; many jobs
    // in flight at once let the writer batch across them. A job is acknowledged once all of its
    // rows are committed.
    deps.adapters.queue<AuditJobPayload>(auditQueueName).consume(
      async (job) => {
        await Promise.all(
          auditEventsOf(job).map((event) =>
            writer.write({
              id: event.id,
              grantId: event.grantId,
              occurredAt: new Date(event.occurredAt),
              verb: event.verb,
              resource: event.resource,
              queryHash: event.queryHash,
              outcome: event.outcome,
              bytesOut: event.bytesOut,
              latencyMs: event.latencyMs,
              peer: event.peer,
              traceId: event.traceId,
              actor: event.actor,
              reason: event.reason,
            }),
          ),
        );
      },
      { concurrency: 50 },
    );
    return {
      routes: (router) => router.service(AuditService, api),
      close: async () => {},
    };
  },
};
