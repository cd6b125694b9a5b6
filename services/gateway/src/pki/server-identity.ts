import { isIP } from 'node:net';
import type { Client } from '@connectrpc/connect';
import type { CaService } from '@mosaic/contracts/v1/ca_pb';
import type { MosaicConfig } from '@mosaic/platform';
import { createKeyAndCsr } from './key-and-csr.js';

/** The gateway's TLS server identity: a key made here and a certificate from its own CA. */
export interface ServerIdentity {
  keyPem: string;
  /** The certificate followed by its CA chain. */
  certificateChainPem: string;
}

export async function obtainServerIdentity(
  ca: Client<typeof CaService>,
  config: MosaicConfig,
): Promise<ServerIdentity> {
  const host = config.publicHostname;
  const { privateKeyPem, csrPem } = await createKeyAndCsr({ commonName: host });
  const issued = await ca.issueServerCertificate(
    { csrPem, ...(isIP(host) ? { ipAddresses: [host] } : { dnsNames: [host] }) },
    { timeoutMs: config.probeTimeoutMs },
  );
  const certificate = issued.certificate!;
  return {
    keyPem: privateKeyPem,
    certificateChainPem: [certificate.certificatePem, ...certificate.caChainPem].join(''),
  };
}
