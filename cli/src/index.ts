import AdminTokenCreate from './commands/admin/token/create.js';
import GatewayDoctor from './commands/gateway/doctor.js';
import Serve from './commands/serve.js';

/** Every command of `mosaic` (oclif explicit strategy: no directory scanning at start-up). */
export const COMMANDS = {
  serve: Serve,
  'gateway:doctor': GatewayDoctor,
  'admin:token:create': AdminTokenCreate,
};
