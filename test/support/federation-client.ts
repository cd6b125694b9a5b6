import { type Client, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { FederationService } from '@mosaic/contracts/v1/federation_pb';
import { Sealer } from '@mosaic/platform';
import type { TestStack } from './stack.js';

export interface ClientCredentials {
  baseUrl: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** How the client speaks: Connect with protobuf (the default, as gateways do), Connect with JSON, or gRPC. */
export type FederationWire = 'connect-proto' | 'connect-json' | 'grpc';

/** A FederationService client with explicit TLS material (the server verified against `caPem`). */
export function federationClient(
  credentials: ClientCredentials,
  wire: FederationWire = 'connect-proto',
): Client<typeof FederationService> {
  const options = {
    baseUrl: credentials.baseUrl,
    httpVersion: '2' as const,
    nodeOptions: { ca: credentials.caPem, cert: credentials.certPem, key: credentials.keyPem },
    defaultTimeoutMs: 10_000,
  };
  return createClient(
    FederationService,
    wire === 'grpc'
      ? createGrpcTransport(options)
      : createConnectTransport({ ...options, useBinaryFormat: wire === 'connect-proto' }),
  );
}

/** The credentials a requesting stack holds for one of its peers, unsealed with its master secret. */
export async function peerCredentials(stack: TestStack, peerId: string): Promise<ClientCredentials> {
  const [row] = await stack.db.query<{
    federation_endpoint: string;
    trust_bundle_pem: string;
    client_cert_pem: string;
    client_key_sealed: Buffer;
  }>(
    'SELECT federation_endpoint, trust_bundle_pem, client_cert_pem, client_key_sealed FROM gateway.peers WHERE id = $1',
    [peerId],
  );
  if (!row) throw new Error(`no peer ${peerId}`);
  const sealer = new Sealer(Buffer.from(stack.env.MOSAIC_MASTER_KEY!, 'base64url'));
  return {
    baseUrl: row.federation_endpoint,
    caPem: row.trust_bundle_pem,
    certPem: row.client_cert_pem,
    keyPem: sealer.unseal(row.client_key_sealed, { purpose: 'peer-client-key', aad: peerId }).toString(),
  };
}
