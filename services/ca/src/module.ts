import { CaService } from '@mosaic/contracts/v1/ca_pb';
import { policyForService, type ServiceModule, withUnimplemented } from '@mosaic/platform';
import { CreateCaTables1763800000000 } from './store/migrations/1763800000000-create-ca-tables.js';

export const caModule: ServiceModule = {
  name: 'ca',
  schema: 'ca',
  services: [CaService],
  policy: policyForService(CaService, { kind: 'internal', callers: ['grants', 'gateway'] }),
  entities: [],
  migrations: [CreateCaTables1763800000000],
  async create() {
    // The ca domain arrives with its own issue; until then every RPC answers `unimplemented`.
    const service = withUnimplemented(CaService, {});
    return {
      routes: (router) => router.service(CaService, service),
      close: async () => {},
    };
  },
};
