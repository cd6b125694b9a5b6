import { createHash } from 'node:crypto';
import type http from 'node:http';
import type http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { createContextKey, createContextValues } from '@connectrpc/connect';
import { remoteAddressKey } from '@mosaic/platform';
import { type IdentityProblem, type PeerIdentity, readPeerIdentity } from '../../pki/peer-identity.js';
import type { NormalizedGrant } from './grant-access.js';

/** The client certificate's identity, read in the adapter from the TLS socket of the call. */
export const peerIdentityKey = createContextKey<
  { ok: true; identity: PeerIdentity } | { ok: false; problem: IdentityProblem }
>({ ok: false, problem: 'no_certificate' }, { description: 'peer identity' });

/** The grant the access rule admitted, for the handlers. */
export const admittedGrantKey = createContextKey<NormalizedGrant | null>(null, {
  description: 'admitted grant',
});

export function federationContextValues(request: http.IncomingMessage | http2.Http2ServerRequest) {
  const socket = request.socket as TLSSocket;
  const certificate =
    typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : undefined;
  const der = certificate && 'raw' in certificate ? certificate.raw : undefined;
  const fingerprint = der ? createHash('sha256').update(der).digest('hex') : '';
  return createContextValues()
    .set(remoteAddressKey, socket.remoteAddress ?? 'unknown')
    .set(peerIdentityKey, readPeerIdentity(der, fingerprint));
}
