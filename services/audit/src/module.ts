import { AuditService } from '@mosaic/contracts/v1/audit_pb';
import { policyForService, type ServiceModule } from '@mosaic/platform';
import { AuditApi } from './api/audit-api.js';
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
    const api = new AuditApi(new AuditEventStore(deps.dataSource));
    return {
      routes: (router) => router.service(AuditService, api),
      close: async () => {},
    };
  },
};
