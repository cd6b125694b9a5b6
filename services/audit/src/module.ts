import { AuditService } from '@mosaic/contracts/v1/audit_pb';
import { policyForService, type ServiceModule, withUnimplemented } from '@mosaic/platform';
import { CreateAuditTables1763800000000 } from './store/migrations/1763800000000-create-audit-tables.js';

export const auditModule: ServiceModule = {
  name: 'audit',
  schema: 'audit',
  services: [AuditService],
  policy: policyForService(AuditService, { kind: 'internal', callers: ['gateway', 'grants', 'ca'] }),
  entities: [],
  migrations: [CreateAuditTables1763800000000],
  async create() {
    // The audit domain arrives with its own issue; until then every RPC answers `unimplemented`.
    const service = withUnimplemented(AuditService, {});
    return {
      routes: (router) => router.service(AuditService, service),
      close: async () => {},
    };
  },
};
