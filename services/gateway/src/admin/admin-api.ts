import type { ServiceImpl } from '@connectrpc/connect';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { type ServiceDeps, withUnimplemented } from '@mosaic/platform';
import { buildDoctorReport, tierByName } from './doctor-report.js';

const version = '0.1.0';
const apiVersion = 'mosaic.federation.v1';

/** The admin API the CLI and the web console call. Methods not built yet answer `unimplemented`. */
export function adminApi(deps: ServiceDeps): ServiceImpl<typeof AdminService> {
  return withUnimplemented(AdminService, {
    async getVersion() {
      return { version, tier: tierByName[deps.config.tier], mode: deps.target, apiVersion };
    },
    async getDoctorReport() {
      return buildDoctorReport(deps);
    },
  });
}
