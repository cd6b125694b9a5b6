import { CaService } from '@mosaic/contracts/v1/ca_pb';
import { loadMasterSecret, policyForService, Sealer, type ServiceModule } from '@mosaic/platform';
import { CaApi } from './api/ca-api.js';
import { AuthorityStore } from './store/authority-store.js';
import { CertificateStore } from './store/certificate-store.js';
import { CrlPublisher } from './store/crl-publisher.js';
import { CreateCaTables1763800000000 } from './store/migrations/1763800000000-create-ca-tables.js';

const day = 24 * 60 * 60 * 1000;
export const crlPath = '/.well-known/mosaic/crl';

export const caModule: ServiceModule = {
  name: 'ca',
  schema: 'ca',
  services: [CaService],
  policy: policyForService(
    CaService,
    { kind: 'internal', callers: ['grants', 'gateway'] },
    {
      SignGrantCsr: { kind: 'internal', callers: ['grants'] },
      RevokeCertificates: { kind: 'internal', callers: ['grants'] },
      IssueServerCertificate: { kind: 'internal', callers: ['gateway'] },
    },
  ),
  entities: [],
  migrations: [CreateCaTables1763800000000],
  async create(deps) {
    const { config, dataSource } = deps;
    const sealer = new Sealer(await loadMasterSecret(config, deps.env));
    const authorities = new AuthorityStore(dataSource, sealer);
    const { authority, created } = await authorities.ensureActive(
      `Mosaic Federation CA (${config.publicHostname})`,
    );
    if (created) deps.logger.info({ fingerprint: authority.fingerprint }, 'root CA created');
    const crl = new CrlPublisher(dataSource, authority, deps.adapters.pubsub, deps.logger);
    const api = new CaApi({
      authority,
      authorities,
      certificates: new CertificateStore(dataSource),
      crl,
      crlDistributionUrl: `http://${config.publicHostname}:${config.listen.enrollment.port}${crlPath}`,
      clientCertLifetimeMs: config.clientCertLifetimeDays * day,
      serverCertLifetimeMs: 90 * day,
    });
    // Rebuilt on a schedule too, so expired serials are pruned and nextUpdate never lapses.
    await deps.adapters.scheduler.every('ca:crl-refresh', 60 * 60 * 1000, async () => {
      await crl.current();
    });
    return {
      routes: (router) => router.service(CaService, api),
      plain: async (request, response) => {
        if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== crlPath) return false;
        const current = await crl.current();
        response.statusCode = 200;
        response.setHeader('content-type', 'application/pkix-crl');
        response.setHeader('cache-control', 'max-age=60');
        response.end(current.der);
        return true;
      },
      close: async () => {},
    };
  },
};
