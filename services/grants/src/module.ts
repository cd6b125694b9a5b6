import { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import { policyForService, type ServiceModule, withUnimplemented } from '@mosaic/platform';
import { CreateGrantsTables1763800000000 } from './store/migrations/1763800000000-create-grants-tables.js';

export const grantsModule: ServiceModule = {
  name: 'grants',
  schema: 'grants',
  services: [GrantsService],
  policy: policyForService(GrantsService, { kind: 'internal', callers: ['gateway'] }),
  entities: [],
  migrations: [CreateGrantsTables1763800000000],
  async create() {
    // The grants domain arrives with its own issue; until then every RPC answers `unimplemented`.
    const service = withUnimplemented(GrantsService, {});
    return {
      routes: (router) => router.service(GrantsService, service),
      close: async () => {},
    };
  },
};
