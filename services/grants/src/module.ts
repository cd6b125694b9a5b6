import { AuditService } from '@mosaic/contracts/v1/audit_pb';
import { CaService } from '@mosaic/contracts/v1/ca_pb';
import { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import { policyForService, type ServiceModule } from '@mosaic/platform';
import { AuditRecorder } from './api/audit-recorder.js';
import { GrantsApi } from './api/grants-api.js';
import { EnrollmentTokenStore } from './store/enrollment-token-store.js';
import { GrantStore } from './store/grant-store.js';
import { CreateGrantsTables1763800000000 } from './store/migrations/1763800000000-create-grants-tables.js';

const day = 24 * 60 * 60 * 1000;

export const grantsModule: ServiceModule = {
  name: 'grants',
  schema: 'grants',
  services: [GrantsService],
  policy: policyForService(GrantsService, { kind: 'internal', callers: ['gateway'] }),
  entities: [],
  migrations: [CreateGrantsTables1763800000000],
  async create(deps) {
    const api = new GrantsApi({
      dataSource: deps.dataSource,
      grants: new GrantStore(deps.dataSource),
      tokens: new EnrollmentTokenStore(deps.dataSource),
      ca: deps.clients.client(CaService, 'ca'),
      audit: new AuditRecorder(deps.clients.client(AuditService, 'audit'), deps.logger),
      logger: deps.logger,
      clientCertLifetimeMs: deps.config.clientCertLifetimeDays * day,
    });
    return {
      routes: (router) => router.service(GrantsService, api),
      close: async () => {},
    };
  },
};
