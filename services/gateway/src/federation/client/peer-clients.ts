import { type Client, Code, ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { compressionGzip, createConnectTransport } from '@connectrpc/connect-node';
import { FederationService } from '@mosaic/contracts/v1/federation_pb';
import { MosaicError, type PeerCompression, type Sealer } from '@mosaic/platform';
import { peerKeyPurpose } from '../../peers/enroll-with-peer.js';
import type { PeerRecord } from '../../peers/peer-store.js';

/** A call to a peer never waits longer than this: an unreachable peer fails fast. */
const requestTimeoutMs = 5000;

/**
 * One HTTP/2 client per peer: its own client certificate, a trust store holding only that peer's
 * CA roots (never a merged pool), a deadline on every call. The key is unsealed in memory only;
 * a new certificate (renewal) gets a new client. Answers come uncompressed unless the operator
 * asked for gzip (`peerCompression`): a peer gzipping a page costs more time than it saves on a
 * fast link.
 */
export class PeerClients {
  private readonly clients = new Map<string, Client<typeof FederationService>>();
  /** Until when each peer asked us (429 Retry-After) not to call again. */
  private readonly backoffUntil = new Map<string, number>();

  constructor(
    private readonly sealer: Sealer,
    private readonly compression: PeerCompression = 'none',
  ) {}

  forPeer(peer: PeerRecord): Client<typeof FederationService> {
    if (!peer.clientCertPem || !peer.clientKeySealed || !peer.federationEndpoint) {
      throw new MosaicError({
        kind: 'failed_precondition',
        message: `peer ${peer.peerHostname} has no certificate yet.`,
        remedy: 'Complete enrollment with `mosaic federation peer add <enrollment-url>`.',
      });
    }
    const cacheKey = `${peer.id}:${peer.certSerial}`;
    let client = this.clients.get(cacheKey);
    if (!client) {
      const key = this.sealer.unseal(peer.clientKeySealed, { purpose: peerKeyPurpose, aad: peer.id });
      client = createClient(
        FederationService,
        createConnectTransport({
          baseUrl: peer.federationEndpoint,
          httpVersion: '2',
          nodeOptions: { ca: peer.trustBundlePem, cert: peer.clientCertPem, key },
          defaultTimeoutMs: requestTimeoutMs,
          acceptCompression: this.compression === 'gzip' ? [compressionGzip] : [],
          idleConnectionTimeoutMs: 60_000,
          interceptors: [this.honourRetryAfter(peer.id)],
        }),
      );
      for (const stale of [...this.clients.keys()].filter((k) => k.startsWith(`${peer.id}:`)))
        this.clients.delete(stale);
      this.clients.set(cacheKey, client);
    }
    return client;
  }

  /**
   * A peer that answered 429 is not called again before its Retry-After: calls fail at once with
   * the time left, without touching the network.
   */
  private honourRetryAfter(peerId: string): Interceptor {
    return (next) => async (request) => {
      const until = this.backoffUntil.get(peerId) ?? 0;
      const leftMs = until - Date.now();
      if (leftMs > 0) {
        const seconds = Math.ceil(leftMs / 1000);
        throw new ConnectError(
          `the peer asked to wait: not calling it for another ${seconds} s (Retry-After)`,
          Code.ResourceExhausted,
          new Headers({ 'retry-after': String(seconds) }),
        );
      }
      try {
        return await next(request);
      } catch (error) {
        const wire = ConnectError.from(error);
        const retryAfter = Number(wire.metadata.get('retry-after'));
        if (wire.code === Code.ResourceExhausted && Number.isFinite(retryAfter) && retryAfter > 0) {
          this.backoffUntil.set(peerId, Date.now() + Math.min(retryAfter, 3600) * 1000);
        }
        throw error;
      }
    };
  }
}
