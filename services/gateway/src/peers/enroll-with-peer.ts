import { createHash, createPublicKey, type KeyObject, randomUUID, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { isIP } from 'node:net';
import {
  enrollmentAuthority,
  enrollmentUrlToken,
  isEnrollmentUrlError,
  MosaicError,
  parseEnrollmentUrl,
  type Sealer,
} from '@mosaic/platform';
import { createKeyAndCsr } from '../pki/key-and-csr.js';
import { readPeerIdentity } from '../pki/peer-identity.js';
import type { PeerRecord, PeerStore } from './peer-store.js';

export const peerKeyPurpose = 'peer-client-key';
const timeoutMs = 10_000;

interface TrustBundleDocument {
  sequence: number;
  roots: Array<{ certificatePem: string }>;
}

/**
 * The requesting side of enrollment (`peer add`): pin the serving gateway's CA by the fingerprint
 * in the URL before anything secret is sent, generate the key here, enroll over TLS verified
 * against the pinned root only, check what comes back, and store the key sealed.
 */
export async function enrollWithPeer(options: {
  enrollmentUrl: string;
  localUserId: string | null;
  requestingHostname: string;
  notes: string;
  peers: PeerStore;
  sealer: Sealer;
}): Promise<PeerRecord> {
  let parts: ReturnType<typeof parseEnrollmentUrl>;
  let token: string;
  try {
    parts = parseEnrollmentUrl(options.enrollmentUrl);
    token = enrollmentUrlToken(options.enrollmentUrl);
  } catch (error) {
    if (!isEnrollmentUrlError(error)) throw error;
    throw new MosaicError({ kind: 'invalid_argument', message: error.message, remedy: error.remedy });
  }
  const where = enrollmentAuthority(parts);
  if (await options.peers.byGrant(parts.grantId)) {
    throw new MosaicError({
      kind: 'already_exists',
      message: `grant ${parts.grantId} of ${parts.host} is already a peer of this gateway.`,
      remedy: 'List peers with `mosaic federation peer list`; remove the old one first to enroll again.',
    });
  }

  // 1. The bundle is public and fetched without TLS; only a root whose SHA-256 is the pin is used.
  const bundle = await fetchJson<TrustBundleDocument>(
    `http://${where}/.well-known/mosaic/trust-bundle`,
    where,
  );
  const pinned = bundle.roots.find((root) => fingerprintOfPem(root.certificatePem) === parts.caFingerprint);
  if (!pinned) {
    throw new MosaicError({
      kind: 'permission_denied',
      message: `${where} does not present the CA with fingerprint sha256:${parts.caFingerprint} from the enrollment URL; nothing was sent.`,
      remedy:
        "The URL may be altered or for another gateway, or someone sits in between: check the fingerprint with the peer's admin over a trusted channel.",
    });
  }
  const root = new X509Certificate(pinned.certificatePem);

  // 2. Key and CSR made here; the key never leaves this gateway.
  const { privateKey, privateKeyPem, csrPem } = await createKeyAndCsr({
    commonName: options.requestingHostname,
  });

  // 3. Enroll over TLS trusting the pinned root and nothing else.
  const enrolled = await postEnroll({
    host: parts.host,
    port: parts.port,
    ca: pinned.certificatePem,
    body: { grantId: parts.grantId, token, csrPem, requestingHostname: options.requestingHostname },
  });

  // 4. What came back must chain to the pinned root and certify our key for this grant.
  const certificate = new X509Certificate(enrolled.certificatePem);
  const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
  const identity = readPeerIdentity(certificate.raw, '');
  const now = Date.now();
  if (
    !certificate.verify(root.publicKey) ||
    !spki(certificate.publicKey).equals(spki(createPublicKey(privateKey))) ||
    !identity.ok ||
    identity.identity.grantId !== parts.grantId ||
    certificate.ca ||
    (certificate.keyUsage ?? []).join(',') !== '1.3.6.1.5.5.7.3.2' ||
    new Date(certificate.validFrom).getTime() > now + 5 * 60_000 ||
    new Date(certificate.validTo).getTime() <= now
  ) {
    throw new MosaicError({
      kind: 'permission_denied',
      message: `the certificate ${where} returned does not chain to the pinned CA, is not for this key, or not for grant ${parts.grantId}; it was discarded.`,
      remedy: "Report this to the peer's admin; enroll again with a new URL.",
    });
  }

  const id = randomUUID();
  const peer = await options.peers.insert({
    id,
    peerHostname: parts.host,
    peerCaFingerprint: parts.caFingerprint,
    grantId: parts.grantId,
    localUserId: options.localUserId,
    // The subject as the certificate states it (the OID), not as the response body claims it.
    remoteUserId: identity.identity.subjectUserId,
    federationEndpoint: enrolled.federationEndpoint,
    trustBundlePem: enrolled.trustBundle.roots.map((entry) => entry.certificatePem).join(''),
    trustBundleSequence: enrolled.trustBundle.sequence,
    clientCertPem: enrolled.certificatePem,
    clientKeySealed: options.sealer.seal(Buffer.from(privateKeyPem), { purpose: peerKeyPurpose, aad: id }),
    certSerial: enrolled.serialNumber,
    certExpiresAt: new Date(certificate.validTo),
    status: 'active',
    notes: options.notes,
  });
  if (!peer) {
    throw new MosaicError({
      kind: 'already_exists',
      message: `grant ${parts.grantId} was enrolled concurrently; this enrollment's certificate was discarded.`,
      remedy: 'Use the existing peer (`mosaic federation peer list`).',
    });
  }
  return peer;
}

function fingerprintOfPem(pem: string): string {
  try {
    return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  } catch {
    return '';
  }
}

interface EnrollResponse {
  subjectUserId: string;
  certificatePem: string;
  serialNumber: string;
  federationEndpoint: string;
  trustBundle: { sequence: number; roots: Array<{ certificatePem: string }> };
}

async function fetchJson<T>(url: string, where: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw unreachable(where, error);
  }
  if (!response.ok) {
    throw new MosaicError({
      kind: 'unavailable',
      message: `${where} answered ${response.status} for its CA bundle; it may not be a Mosaic gateway's enrollment listener.`,
      remedy: "Check the host and port of the enrollment URL with the peer's admin.",
    });
  }
  return (await response.json()) as T;
}

function postEnroll(options: {
  host: string;
  port: number;
  ca: string;
  body: Record<string, string>;
}): Promise<EnrollResponse> {
  const where = enrollmentAuthority(options);
  const payload = Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: options.host,
        port: options.port,
        method: 'POST',
        path: '/v1/enroll',
        ca: options.ca,
        ...(isIP(options.host) ? {} : { servername: options.host }),
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          let body: { error?: { message?: string } } & Partial<EnrollResponse>;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            reject(unreachable(where, new Error(`answer ${response.statusCode} is not JSON`)));
            return;
          }
          if (response.statusCode === 201) {
            resolve(body as EnrollResponse);
            return;
          }
          reject(
            enrollRefused(
              response.statusCode ?? 0,
              body.error?.message ?? 'no reason given',
              response.headers['retry-after'],
            ),
          );
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => reject(unreachable(where, error)));
    request.end(payload);
  });
}

function enrollRefused(
  status: number,
  message: string,
  retryAfter: string | string[] | undefined,
): MosaicError {
  if (status === 410) {
    return new MosaicError({
      kind: 'failed_precondition',
      reason: 'enrollment_token_invalid',
      message: `the enrollment URL was already used or has expired (${message}).`,
      remedy: "Ask the peer's admin for a new enrollment URL.",
    });
  }
  if (status === 429) {
    return new MosaicError({
      kind: 'resource_exhausted',
      reason: 'rate_limited',
      message: `the peer refused: too many enrollment attempts (${message}).`,
      remedy: `Wait ${retryAfter ?? 60} s and try again.`,
    });
  }
  return new MosaicError({
    kind: status === 400 ? 'invalid_argument' : status === 403 ? 'permission_denied' : 'unavailable',
    message: `the peer refused the enrollment (${status}): ${message}`,
    remedy:
      status >= 500
        ? 'Try again later; the token is still usable.'
        : "Resolve the problem with the peer's admin.",
  });
}

function unreachable(where: string, error: unknown): MosaicError {
  const code =
    (error as { code?: string; cause?: { code?: string } }).code ??
    (error as { cause?: { code?: string } }).cause?.code;
  const tls = typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME|UNABLE_TO/.test(code);
  return new MosaicError({
    kind: tls ? 'permission_denied' : 'unavailable',
    message: tls
      ? `the TLS certificate of ${where} does not verify against the pinned CA (${code}); nothing was sent.`
      : `cannot reach ${where} (${code ?? (error as Error).message}).`,
    remedy: tls
      ? "Check the enrollment URL with the peer's admin; the peer may be misconfigured or someone sits in between."
      : 'Check that the peer gateway is up and its enrollment port reachable from here, then retry (the URL stays valid until it expires).',
    cause: error,
  });
}
