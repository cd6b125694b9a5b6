import type { Client, ServiceImpl } from '@connectrpc/connect';
import type { CaService } from '@mosaic/contracts/v1/ca_pb';
import { FederationService } from '@mosaic/contracts/v1/federation_pb';
import type { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import {
  type AuditEmitter,
  errorForLog,
  type Generations,
  type Logger,
  type Metrics,
  type MosaicConfig,
  type PubSub,
  policyForService,
  type RateLimiter,
  type RunningListener,
  serverInterceptors,
  startHttpListener,
} from '@mosaic/platform';
import type { ServerIdentity } from '../../pki/server-identity.js';
import { federationAccess } from './federation-access.js';
import { federationAudit } from './federation-audit.js';
import { federationContextValues } from './federation-context.js';
import { GrantAdmission } from './grant-admission.js';
import { GrantUsageReporter } from './grant-usage.js';

const policy = policyForService(FederationService, { kind: 'public' });
/** SPEC §3: a CRL change reaches the handshake within 60 s even if the announcement is lost. */
const crlPollMs = 30_000;
const crlChangedChannel = 'ca:crl-changed';
/** The largest request message a peer may send. */
const federationReadMaxBytes = 1024 * 1024;

export interface FederationListener {
  listener: RunningListener;
  /** CRL number the handshake currently checks against. */
  crlNumber(): bigint;
  /** Fetches the CRL now and swaps the secure context if it changed. */
  refreshCrl(): Promise<void>;
  close(deadlineMs: number): Promise<void>;
}

/**
 * The peer-facing listener: strict mTLS. A client certificate is required and verified against this
 * gateway's CA roots and its current CRL during the handshake (no handler runs otherwise); the CRL
 * is reloaded on every change (pub/sub) and every 30 s, and session-ticket keys rotate with it so
 * no session resumes past a revocation.
 */
export async function startFederationListener(deps: {
  config: MosaicConfig;
  identity: ServerIdentity;
  ca: Client<typeof CaService>;
  grants: Client<typeof GrantsService>;
  rateLimiter: RateLimiter;
  generations: Generations;
  pubsub: PubSub;
  api: ServiceImpl<typeof FederationService>;
  audit: AuditEmitter;
  logger: Logger;
  metrics: Metrics;
  /** How often grants' last use is reported to the grants service (config grantUsageReportMs). */
  grantUsageReportMs: number;
}): Promise<FederationListener> {
  const { bundle } = await deps.ca.getBundle({});
  const roots = (bundle?.roots ?? []).map((root) => root.certificatePem);
  let crl = await deps.ca.getCrl({});
  const secureContext = () => ({
    key: deps.identity.keyPem,
    cert: deps.identity.certificateChainPem,
    ca: roots,
    crl: crl.crlPem,
  });
  const usage = new GrantUsageReporter({
    grants: deps.grants,
    logger: deps.logger,
    flushMs: deps.grantUsageReportMs,
  });
  const listener = await startHttpListener({
    name: 'federation',
    address: deps.config.listen.federation,
    tls: {
      secure: { ...secureContext(), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    },
    contextValues: federationContextValues,
    // A federation request is a few bytes (a List, Get or Search) or a CSR: nothing near this.
    readMaxBytes: federationReadMaxBytes,
    // The audit records each answer's bytes as sent.
    meterResponses: true,
    routes: (router) => router.service(FederationService, deps.api),
    interceptors: serverInterceptors({
      logger: deps.logger,
      metrics: deps.metrics,
      auth: { policy },
      // Audit wraps the access rule so refusals are audited too.
      after: [
        federationAudit(deps.audit),
        federationAccess(
          new GrantAdmission({
            grants: deps.grants,
            rateLimiter: deps.rateLimiter,
            generations: deps.generations,
          }),
          usage,
        ),
      ],
    }),
    logger: deps.logger,
  });

  let refreshing: Promise<void> | undefined;
  const refreshCrl = () => {
    refreshing ??= (async () => {
      try {
        const next = await deps.ca.getCrl({ ifNewerThan: crl.crlNumber });
        if (next.notModified || next.crlNumber <= crl.crlNumber) return;
        crl = next;
        listener.setSecureContext(secureContext());
        listener.rotateTicketKeys();
        deps.logger.info({ crlNumber: crl.crlNumber.toString() }, 'federation listener: CRL reloaded');
      } catch (error) {
        deps.logger.warn(
          { err: errorForLog(error) },
          'federation listener: CRL refresh failed; keeping the current one',
        );
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  };
  const unsubscribe = await deps.pubsub.subscribe(crlChangedChannel, () => void refreshCrl());
  const timer = setInterval(() => void refreshCrl(), crlPollMs);
  timer.unref();
  return {
    listener,
    crlNumber: () => crl.crlNumber,
    refreshCrl,
    async close(deadlineMs) {
      clearInterval(timer);
      await unsubscribe();
      await listener.close(deadlineMs);
      // After the last request: its use is reported too.
      await usage.close();
    },
  };
}
