import type { Client } from '@connectrpc/connect';
import type { CaService } from '@mosaic/contracts/v1/ca_pb';
import { EnrollmentService } from '@mosaic/contracts/v1/enrollment_pb';
import {
  type Logger,
  type Metrics,
  type MosaicConfig,
  type PlainHandler,
  policyForService,
  type RunningListener,
  remoteAddressKey,
  serverInterceptors,
  startHttpListener,
  withUnimplemented,
} from '@mosaic/platform';
import type { ServerIdentity } from '../pki/server-identity.js';
import { enrollRest } from './enroll-rest.js';
import type { EnrollmentHandler } from './enrollment-handler.js';
import { publicPkiPaths } from './public-paths.js';

const policy = policyForService(EnrollmentService, { kind: 'public' });

/**
 * The enrollment listener: server-auth TLS with a certificate from this gateway's own CA, the
 * enrollment endpoint (REST and Connect), and the public CA bundle and CRL (also without TLS).
 */
export async function startEnrollmentListener(deps: {
  config: MosaicConfig;
  ca: Client<typeof CaService>;
  identity: ServerIdentity;
  handler: EnrollmentHandler;
  logger: Logger;
  metrics: Metrics;
}): Promise<RunningListener> {
  const publicPaths = publicPkiPaths(deps.ca);
  const rest = enrollRest(deps.handler);
  const plain: PlainHandler = async (request, response) =>
    (await publicPaths(request, response)) || rest(request, response);
  return startHttpListener({
    name: 'enrollment',
    address: deps.config.listen.enrollment,
    tls: {
      secure: { key: deps.identity.keyPem, cert: deps.identity.certificateChainPem },
      insecure: publicPaths,
    },
    routes: (router) =>
      router.service(
        EnrollmentService,
        withUnimplemented(EnrollmentService, {
          async enroll(request, context) {
            const result = await deps.handler.enroll(request, context.values.get(remoteAddressKey));
            return {
              grantId: result.grantId,
              subjectUserId: result.subjectUserId,
              federationEndpoint: result.federationEndpoint,
              certificate: {
                certificatePem: result.certificatePem,
                caChainPem: result.caChainPem,
                serialNumber: result.serialNumber,
                sha256Fingerprint: result.sha256Fingerprint,
              },
            };
          },
          async getTrustBundle() {
            const { bundle } = await deps.ca.getBundle({});
            return bundle ? { bundle } : {};
          },
        }),
      ),
    interceptors: serverInterceptors({ logger: deps.logger, metrics: deps.metrics, auth: { policy } }),
    plain,
    logger: deps.logger,
  });
}
