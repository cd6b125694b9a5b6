import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { QueryService } from '@mosaic/contracts/v1/query_pb';
import {
  assertPolicyCovers,
  deriveEd25519,
  healthEndpoints,
  mergePolicies,
  policyForService,
  type RunningListener,
  type ServiceModule,
  serverInterceptors,
  startHttpListener,
  withUnimplemented,
} from '@mosaic/platform';
import { adminApi } from './admin/admin-api.js';
import { ensureLocalAdminToken } from './admin/local-admin-token.js';
import { CreateGatewayTables1763800000000 } from './store/migrations/1763800000000-create-gateway-tables.js';

const adminPolicy = mergePolicies(
  policyForService(AdminService, { kind: 'admin' }),
  // Agents will call the query API with user tokens; until those exist it is admin-only.
  policyForService(QueryService, { kind: 'admin' }),
);
assertPolicyCovers([AdminService, QueryService], adminPolicy);

export const gatewayModule: ServiceModule = {
  name: 'gateway',
  schema: 'gateway',
  // The gateway serves nothing on the internal listener yet; its APIs have listeners of their own.
  services: [],
  policy: new Map(),
  entities: [],
  migrations: [CreateGatewayTables1763800000000],
  async create(deps) {
    const adminKeys = deriveEd25519(deps.instanceSecret, 'admin-token v1');
    if (deps.config.tier === 'local') {
      await ensureLocalAdminToken({ dataDir: deps.config.dataDir, keys: adminKeys, logger: deps.logger });
    }
    const admin = adminApi(deps);
    const query = withUnimplemented(QueryService, {});
    let adminListener: RunningListener | undefined;
    return {
      routes: () => {},
      async start() {
        adminListener = await startHttpListener({
          name: 'admin',
          address: deps.config.listen.admin,
          routes: (router) => {
            router.service(AdminService, admin);
            router.service(QueryService, query);
          },
          interceptors: serverInterceptors({
            logger: deps.logger,
            metrics: deps.metrics,
            auth: { policy: adminPolicy, admin: { keys: adminKeys } },
          }),
          plain: healthEndpoints({ services: [], metrics: deps.metrics }),
          logger: deps.logger,
        });
      },
      adminUrl: () => adminListener?.url ?? null,
      async close(deadlineMs) {
        await adminListener?.close(deadlineMs);
      },
    };
  },
};
