import { hkdfSync } from 'node:crypto';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { AuditService } from '@mosaic/contracts/v1/audit_pb';
import { CaService } from '@mosaic/contracts/v1/ca_pb';
import { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import { QueryService } from '@mosaic/contracts/v1/query_pb';
import {
  AuditEmitter,
  type AuditJobPayload,
  assertPolicyCovers,
  auditQueueName,
  deriveEd25519,
  errorForLog,
  healthEndpoints,
  loadMasterSecret,
  MosaicError,
  mergePolicies,
  policyForService,
  type RunningListener,
  Sealer,
  type ServiceModule,
  serverInterceptors,
  startHttpListener,
} from '@mosaic/platform';
import { adminApi } from './admin/admin-api.js';
import { ensureLocalAdminToken } from './admin/local-admin-token.js';
import { ItemStore } from './data/item-store.js';
import { VisibleItemViews } from './data/visible-item-views.js';
import { DirectoryStore } from './directory/directory-store.js';
import { EnrollmentHandler } from './enrollment/enrollment-handler.js';
import { startEnrollmentListener } from './enrollment/enrollment-listener.js';
import { PeerClients } from './federation/client/peer-clients.js';
import { federationApi } from './federation/server/federation-api.js';
import { type FederationListener, startFederationListener } from './federation/server/federation-listener.js';
import { PageTokens } from './federation/server/page-token.js';
import { PeerStore } from './peers/peer-store.js';
import { obtainServerIdentity, type ServerIdentity } from './pki/server-identity.js';
import { queryApi } from './query/query-api.js';
import { CreateGatewayTables1763800000000 } from './store/migrations/1763800000000-create-gateway-tables.js';
import { CreateItemTables1763900000000 } from './store/migrations/1763900000000-create-item-tables.js';
import { PeersGoWithTheirUser1764100000000 } from './store/migrations/1764100000000-peers-go-with-their-user.js';

const enrollmentRetryMs = 5000;

const adminPolicy = mergePolicies(
  policyForService(AdminService, { kind: 'admin' }),
  // Agents call the query API as a local user, with a user token.
  policyForService(QueryService, { kind: 'user' }),
);
assertPolicyCovers([AdminService, QueryService], adminPolicy);

export const gatewayModule: ServiceModule = {
  name: 'gateway',
  schema: 'gateway',
  // The gateway serves nothing on the internal listener; its APIs have listeners of their own.
  services: [],
  policy: new Map(),
  entities: [],
  migrations: [
    CreateGatewayTables1763800000000,
    CreateItemTables1763900000000,
    PeersGoWithTheirUser1764100000000,
  ],
  async create(deps) {
    const { config } = deps;
    const masterSecret = await loadMasterSecret(config, deps.env);
    const sealer = new Sealer(masterSecret);
    const audit = new AuditEmitter({
      queue: deps.adapters.queue<AuditJobPayload>(auditQueueName),
      logger: deps.logger,
      metrics: deps.metrics,
    });
    // Admin tokens are signed with a key from the gateway's own master secret: the internal
    // secret every service holds cannot mint them.
    const adminKeys = deriveEd25519(masterSecret, 'admin-token v1');
    if (config.tier === 'local') {
      await ensureLocalAdminToken({ dataDir: config.dataDir, keys: adminKeys, logger: deps.logger });
    }
    const ca = deps.clients.client(CaService, 'ca');
    const grants = deps.clients.client(GrantsService, 'grants');
    let adminListener: RunningListener | undefined;
    let enrollmentListener: RunningListener | undefined;
    let federation: FederationListener | undefined;
    let identity: ServerIdentity | undefined;
    let retry: NodeJS.Timeout | undefined;
    let closing = false;
    /** Why the enrollment and federation listeners are not up yet, as readiness reports it. */
    let notOpenBecause = 'waiting for the CA service to issue the server certificate';
    // SPEC §2: the federated tier serves federation; the local tier only in development mode; the
    // standalone tier never (it can still be a client of other gateways).
    const servesFederation = config.tier === 'federated' || (config.tier === 'local' && config.devMode);
    const enrollmentAddress = () => {
      if (!servesFederation) {
        throw new MosaicError({
          kind: 'failed_precondition',
          message: `this gateway runs in tier "${config.tier}"${config.tier === 'local' ? ' without --dev' : ''}, which does not serve federation: no peer could enroll.`,
          remedy:
            config.tier === 'local'
              ? 'For a local demo start it with `npm start` or `mosaic serve --dev`; for production use tier "federated".'
              : 'Use tier "federated" (MOSAIC_STORAGE_TIER=federated) to serve grants to peers.',
        });
      }
      if (!enrollmentListener) {
        throw new MosaicError({
          kind: 'unavailable',
          message:
            'the enrollment listener is not running yet: the CA service has not issued its certificate.',
          remedy: `Check that the ca service is up at ${config.serviceUrls.ca} (see \`mosaic gateway doctor\`), then retry.`,
        });
      }
      return { host: config.publicHostname, port: enrollmentListener.address.port };
    };
    const itemStore = new ItemStore(deps.dataSource);
    const admin = adminApi({
      service: deps,
      items: itemStore,
      directory: new DirectoryStore(deps.dataSource),
      peers: new PeerStore(deps.dataSource),
      sealer,
      grants,
      ca,
      audit: deps.clients.client(AuditService, 'audit'),
      enrollmentAddress,
      adminKeys,
    });
    const query = queryApi({
      dataSource: deps.dataSource,
      items: new VisibleItemViews(itemStore),
      clients: new PeerClients(sealer, config.peerCompression),
    });
    const enrollment = new EnrollmentHandler({
      grants,
      ca,
      rateLimiter: deps.adapters.rateLimiter,
      federationEndpoint: () =>
        `https://${config.publicHostname}:${federation?.listener.address.port ?? config.listen.federation.port}`,
      logger: deps.logger,
    });
    const federationApiImpl = federationApi({
      items: new VisibleItemViews(itemStore),
      pageTokens: new PageTokens(
        Buffer.from(hkdfSync('sha256', deps.instanceSecret, '', 'mosaic page-token v1', 32)),
      ),
      serverVersion: '0.1.0',
    });
    return {
      routes: () => {},
      readiness: [
        async () => ({
          name: 'enrollment and federation listeners',
          ok: !servesFederation || (enrollmentListener !== undefined && federation !== undefined),
          latencyMs: 0,
          detail: !servesFederation
            ? `not serving federation in tier ${config.tier}`
            : enrollmentListener && federation
              ? `${enrollmentListener.url}, ${federation.listener.url}`
              : notOpenBecause,
        }),
      ],
      async start() {
        // The enrollment listener needs a certificate from the CA service. Without it the gateway
        // still serves its admin API (and says why it is not ready), and keeps trying.
        const openEnrollment = async (): Promise<void> => {
          if (closing) return;
          try {
            identity ??= await obtainServerIdentity(ca, config);
            enrollmentListener ??= await startEnrollmentListener({
              config,
              ca,
              identity,
              handler: enrollment,
              logger: deps.logger,
              metrics: deps.metrics,
            });
            federation ??= await startFederationListener({
              config,
              identity,
              ca,
              grants,
              rateLimiter: deps.adapters.rateLimiter,
              generations: deps.adapters.generations,
              pubsub: deps.adapters.pubsub,
              api: federationApiImpl,
              audit,
              logger: deps.logger,
              metrics: deps.metrics,
              grantUsageReportMs: config.grantUsageReportMs,
            });
          } catch (error) {
            if (!identity) {
              deps.logger.warn(
                { err: errorForLog(error), ca: config.serviceUrls.ca, retryInMs: enrollmentRetryMs },
                'enrollment listener not started: the CA service did not issue its certificate; retrying',
              );
            } else {
              // The certificate is there: the listener itself failed (most often, its port is taken).
              const [name, address] = enrollmentListener
                ? ['federation', config.listen.federation]
                : ['enrollment', config.listen.enrollment];
              const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
              notOpenBecause = inUse
                ? `the ${name} listener cannot bind ${address.host}:${address.port}: the address is in use. ` +
                  `Stop what listens there, or set MOSAIC_${name.toUpperCase()}_LISTEN to another address.`
                : `the ${name} listener did not start: ${(error as Error).message}`;
              deps.logger.warn(
                { err: errorForLog(error), listener: name, retryInMs: enrollmentRetryMs },
                `${name} listener not started; retrying`,
              );
            }
            retry = setTimeout(() => void openEnrollment(), enrollmentRetryMs);
            retry.unref();
          }
        };
        if (servesFederation) await openEnrollment();
        adminListener = await startHttpListener({
          name: 'admin',
          address: config.listen.admin,
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
        closing = true;
        clearTimeout(retry);
        await Promise.all([
          adminListener?.close(deadlineMs),
          enrollmentListener?.close(deadlineMs),
          federation?.close(deadlineMs),
        ]);
        await audit.close(deadlineMs);
      },
    };
  },
};
