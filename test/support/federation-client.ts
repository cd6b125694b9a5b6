import { type Client, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { FederationService } from '@mosaic/contracts/v1/federation_pb';
import { Sealer } from '@mosaic/platform';
import type { TestStack } from './stack.js';

export interface ClientCredentials {
  baseUrl: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A FederationService client with explicit TLS material (the server verified against `caPem`). */
export function federationClient(credentials: ClientCredentials): Client<typeof FederationService> {
  return createClient(
    FederationService,
    createConnectTransport({
      baseUrl: credentials.baseUrl,
      httpVersion: '2',
      nodeOptions: { ca: credentials.caPem, cert: credentials.certPem, key: credentials.keyPem },
      defaultTimeoutMs: 10_000,
    }),
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
