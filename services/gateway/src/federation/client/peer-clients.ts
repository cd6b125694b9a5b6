import type { MessageInitShape } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from '@connectrpc/connect';
import { compressionGzip, createConnectTransport } from '@connectrpc/connect-node';
import {
  FederationService,
  type ListRequestSchema,
  ListResponseSchema,
} from '@mosaic/contracts/v1/federation_pb';
import { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import { MosaicError, type PeerCompression, type Sealer } from '@mosaic/platform';
import { peerKeyPurpose } from '../../peers/enroll-with-peer.js';
import type { PeerRecord } from '../../peers/peer-store.js';
import { checkWireMessage, MalformedWireError } from './wire-check.js';

/** A call to a peer never waits longer than this: an unreachable peer fails fast. */
const requestTimeoutMs = 5000;

/**
 * The largest answer read from a peer (after decompression). A page is at most 1000 items here;
 * the bound keeps a faulty or hostile peer from making this gateway buffer gigabytes within the
 * deadline. A larger answer fails that peer's source with resource_exhausted.
 */
export const peerAnswerMaxBytes = 64 * 1024 * 1024;

/**
 * List with its answer read as an Empty: every field of the ListResponse lands in `$unknown` as
 * its raw bytes, so the items stay as the peer encoded them (`listWire`).
 */
const listRaw = { ...FederationService.method.list, output: EmptySchema };
const listItemsField = ListResponseSchema.field.items!.number;

/** A page of a peer's List with each item as the bytes of its Item message. */
export interface WireListPage {
  items: Uint8Array[];
}

interface PeerConnection {
  client: Client<typeof FederationService>;
  transport: Transport;
}

/**
 * One HTTP/2 client per peer: its own client certificate, a trust store holding only that peer's
 * CA roots (never a merged pool), a deadline on every call. The key is unsealed in memory only;
 * a new certificate (renewal) gets a new client. Answers come uncompressed unless the operator
 * asked for gzip (`peerCompression`): a peer gzipping a page costs more time than it saves on a
 * fast link.
 */
export class PeerClients {
  private readonly connections = new Map<string, PeerConnection>();
  /** Until when each peer asked us (429 Retry-After) not to call again. */
  private readonly backoffUntil = new Map<string, number>();

  constructor(
    private readonly sealer: Sealer,
    private readonly compression: PeerCompression = 'none',
    private readonly answerMaxBytes = peerAnswerMaxBytes,
  ) {}

  forPeer(peer: PeerRecord): Client<typeof FederationService> {
    return this.connectionOf(peer).client;
  }

  /**
   * The peer's List, its items left as the peer encoded them (each one's Item bytes): for an
   * answer that passes them on (query-wire.ts) instead of decoding and encoding them again.
   * Each item is checked to be a well-formed Item (wire-check.ts) before it is passed on. Fields a
   * newer peer may add to ListResponse are ignored, as a decoded answer would keep them unread.
   */
  async listWire(
    peer: PeerRecord,
    request: MessageInitShape<typeof ListRequestSchema>,
  ): Promise<WireListPage> {
    const response = await this.connectionOf(peer).transport.unary(
      listRaw,
      undefined,
      undefined,
      undefined,
      request,
    );
    const items: Uint8Array[] = [];
    for (const field of response.message.$unknown ?? []) {
      if (field.no !== listItemsField || field.wireType !== WireType.LengthDelimited) continue;
      // The data of a length-delimited unknown field starts with its length.
      const item = new BinaryReader(field.data).bytes();
      try {
        checkWireMessage(ItemSchema, item);
      } catch (error) {
        if (!(error instanceof MalformedWireError)) throw error;
        // Passed on undecoded, a malformed item would break the agent's whole answer: it fails
        // this peer's source instead, as a List that cannot be decoded does.
        throw new ConnectError(`the peer answered a malformed item: ${error.message}`, Code.DataLoss);
      }
      items.push(item);
    }
    return { items };
  }

  private connectionOf(peer: PeerRecord): PeerConnection {
    if (!peer.clientCertPem || !peer.clientKeySealed || !peer.federationEndpoint) {
      throw new MosaicError({
        kind: 'failed_precondition',
        message: `peer ${peer.peerHostname} has no certificate yet.`,
        remedy: 'Complete enrollment with `mosaic federation peer add <enrollment-url>`.',
      });
    }
    const cacheKey = `${peer.id}:${peer.certSerial}`;
    let connection = this.connections.get(cacheKey);
    if (!connection) {
      const key = this.sealer.unseal(peer.clientKeySealed, { purpose: peerKeyPurpose, aad: peer.id });
      const transport = createConnectTransport({
        baseUrl: peer.federationEndpoint,
        httpVersion: '2',
        nodeOptions: { ca: peer.trustBundlePem, cert: peer.clientCertPem, key },
        defaultTimeoutMs: requestTimeoutMs,
        readMaxBytes: this.answerMaxBytes,
        acceptCompression: this.compression === 'gzip' ? [compressionGzip] : [],
        idleConnectionTimeoutMs: 60_000,
        interceptors: [this.honourRetryAfter(peer.id)],
      });
      connection = { client: createClient(FederationService, transport), transport };
      for (const stale of [...this.connections.keys()].filter((k) => k.startsWith(`${peer.id}:`)))
        this.connections.delete(stale);
      this.connections.set(cacheKey, connection);
    }
    return connection;
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
