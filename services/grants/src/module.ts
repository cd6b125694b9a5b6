import { CaService } from '@mosaic/contracts/v1/ca_pb';
import { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import {
  AuditEmitter,
  type AuditJobPayload,
  auditQueueName,
  policyForService,
  type ServiceModule,
} from '@mosaic/platform';
import { AuditRecorder } from './api/audit-recorder.js';
import { GrantsApi } from './api/grants-api.js';
import { EnrollmentTokenStore } from './store/enrollment-token-store.js';
import { GrantStore } from './store/grant-store.js';
import { CreateGrantsTables1763800000000 } from './store/migrations/1763800000000-create-grants-tables.js';
import { AddEnrollmentClaimId1764000000000 } from './store/migrations/1764000000000-add-enrollment-claim-id.js';

const day = 24 * 60 * 60 * 1000;

export const grantsModule: ServiceModule = {
  name: 'grants',
  schema: 'grants',
  services: [GrantsService],
  policy: policyForService(GrantsService, { kind: 'internal', callers: ['gateway'] }),
  entities: [],
  migrations: [CreateGrantsTables1763800000000, AddEnrollmentClaimId1764000000000],
  async create(deps) {
    const emitter = new AuditEmitter({
      queue: deps.adapters.queue<AuditJobPayload>(auditQueueName),
      logger: deps.logger,
      metrics: deps.metrics,
    });
    const api = new GrantsApi({
      dataSource: deps.dataSource,
      grants: new GrantStore(deps.dataSource),
      tokens: new EnrollmentTokenStore(deps.dataSource),
      ca: deps.clients.client(CaService, 'ca'),
      audit: new AuditRecorder(emitter),
      logger: deps.logger,
      clientCertLifetimeMs: deps.config.clientCertLifetimeDays * day,
      generations: deps.adapters.generations,
    });
    return {
      routes: (router) => router.service(GrantsService, api),
      close: (deadlineMs) => emitter.close(deadlineMs),
    };
  },
};
