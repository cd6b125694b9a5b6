import AdminReseal from './commands/admin/reseal.js';
import AdminTokenCreate from './commands/admin/token/create.js';
import Dev from './commands/dev.js';
import FederationAudit from './commands/federation/audit.js';
import FederationGrantCreate from './commands/federation/grant/create.js';
import FederationGrantEnrollmentUrl from './commands/federation/grant/enrollment-url.js';
import FederationGrantList from './commands/federation/grant/list.js';
import FederationGrantResume from './commands/federation/grant/resume.js';
import FederationGrantRevoke from './commands/federation/grant/revoke.js';
import FederationGrantShow from './commands/federation/grant/show.js';
import FederationGrantSuspend from './commands/federation/grant/suspend.js';
import FederationGrantUpdate from './commands/federation/grant/update.js';
import FederationPeerAdd from './commands/federation/peer/add.js';
import FederationPeerList from './commands/federation/peer/list.js';
import FederationPeerRemove from './commands/federation/peer/remove.js';
import GatewayDoctor from './commands/gateway/doctor.js';
import Serve from './commands/serve.js';
import TeamAddMember from './commands/team/add-member.js';
import TeamCreate from './commands/team/create.js';
import TeamList from './commands/team/list.js';
import TeamMembers from './commands/team/members.js';
import UserCreate from './commands/user/create.js';
import UserDelete from './commands/user/delete.js';
import UserList from './commands/user/list.js';
import UserTokenCreate from './commands/user/token/create.js';

/** Every command of `mosaic` (oclif explicit strategy: no directory scanning at start-up). */
export const COMMANDS = {
  serve: Serve,
  dev: Dev,
  'gateway:doctor': GatewayDoctor,
  'admin:token:create': AdminTokenCreate,
  'federation:audit': FederationAudit,
  'admin:reseal': AdminReseal,
  'federation:grant:create': FederationGrantCreate,
  'federation:grant:list': FederationGrantList,
  'federation:grant:show': FederationGrantShow,
  'federation:grant:update': FederationGrantUpdate,
  'federation:grant:revoke': FederationGrantRevoke,
  'federation:grant:suspend': FederationGrantSuspend,
  'federation:grant:resume': FederationGrantResume,
  'federation:grant:enrollment-url': FederationGrantEnrollmentUrl,
  'federation:peer:add': FederationPeerAdd,
  'federation:peer:list': FederationPeerList,
  'federation:peer:remove': FederationPeerRemove,
  'user:create': UserCreate,
  'user:list': UserList,
  'user:token:create': UserTokenCreate,
  'user:delete': UserDelete,
  'team:create': TeamCreate,
  'team:list': TeamList,
  'team:add-member': TeamAddMember,
  'team:members': TeamMembers,
};
