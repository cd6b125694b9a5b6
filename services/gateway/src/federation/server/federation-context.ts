import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { createContextKey, createContextValues } from '@connectrpc/connect';
import { type CallOrigin, remoteAddressKey } from '@mosaic/platform';
import { type IdentityProblem, type PeerIdentity, readPeerIdentity } from '../../pki/peer-identity.js';
import type { NormalizedGrant } from './grant-access.js';

/** The client certificate's identity, read in the adapter from the TLS socket of the call. */
export const peerIdentityKey = createContextKey<PeerIdentityResult>(
  { ok: false, problem: 'no_certificate' },
  { description: 'peer identity' },
);

/** The grant the access rule admitted, for the handlers. */
export const admittedGrantKey = createContextKey<NormalizedGrant | null>(null, {
  description: 'admitted grant',
});

type PeerIdentityResult = { ok: true; identity: PeerIdentity } | { ok: false; problem: IdentityProblem };

/**
 * Identities already read, per connection (the HTTP/2 session, or the socket under HTTP/1.1): the
 * listener disables renegotiation, so a connection's certificate cannot change, and parsing it
 * once per connection instead of per request keeps X.509 work off the hot path.
 */
const identities = new WeakMap<object, PeerIdentityResult>();

export function federationContextValues({ socket: plain, connection }: CallOrigin) {
  const socket = plain as TLSSocket;
  let identity = identities.get(connection);
  if (!identity) {
    identity = peerIdentityOf(socket);
    identities.set(connection, identity);
  }
  return createContextValues()
    .set(remoteAddressKey, socket.remoteAddress ?? 'unknown')
    .set(peerIdentityKey, identity);
}

function peerIdentityOf(socket: TLSSocket): PeerIdentityResult {
  const certificate =
    typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : undefined;
  const der = certificate && 'raw' in certificate ? certificate.raw : undefined;
  const fingerprint = der ? createHash('sha256').update(der).digest('hex') : '';
  return readPeerIdentity(der, fingerprint);
}
