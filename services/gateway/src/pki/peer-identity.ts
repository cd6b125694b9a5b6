import forge from 'node-forge';

/** OIDs of the Mosaic extensions (development arc 1.3.6.1.4.1.99999; register a PEN for production). */
export const mosaicOids = { grantId: '1.3.6.1.4.1.99999.1', subjectUserId: '1.3.6.1.4.1.99999.2' } as const;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Who a verified client certificate says it is. */
export interface PeerIdentity {
  grantId: string;
  subjectUserId: string;
  /** SHA-256 of the certificate DER, lowercase hex. */
  fingerprint: string;
  serialHex: string;
  notAfter: Date;
}

export type IdentityProblem =
  | 'no_certificate'
  | 'unparseable'
  | 'cn'
  | 'grant_oid'
  | 'subject_oid'
  | 'cn_mismatch';

/**
 * Reads the identity of a client certificate that TLS already verified (chain, CRL, validity):
 * CN `grant-<uuid>`, and both Mosaic extensions, each exactly a DER UTF8String of a lowercase UUID,
 * the grant extension equal to the CN's grant. Anything else is a problem, never a guess.
 */
export function readPeerIdentity(
  certificateDer: Buffer | undefined,
  fingerprint: string,
): { ok: true; identity: PeerIdentity } | { ok: false; problem: IdentityProblem } {
  if (!certificateDer || certificateDer.length === 0) return { ok: false, problem: 'no_certificate' };
  let certificate: forge.pki.Certificate;
  try {
    certificate = forge.pki.certificateFromAsn1(forge.asn1.fromDer(certificateDer.toString('binary')));
  } catch {
    return { ok: false, problem: 'unparseable' };
  }
  const cn = certificate.subject.getField('CN')?.value as string | undefined;
  const cnGrant = /^grant-([0-9a-f-]{36})$/.exec(cn ?? '')?.[1];
  if (!cnGrant || !uuidPattern.test(cnGrant)) return { ok: false, problem: 'cn' };
  const grantId = uuidExtension(certificate, mosaicOids.grantId);
  if (!grantId) return { ok: false, problem: 'grant_oid' };
  const subjectUserId = uuidExtension(certificate, mosaicOids.subjectUserId);
  if (!subjectUserId) return { ok: false, problem: 'subject_oid' };
  if (grantId !== cnGrant) return { ok: false, problem: 'cn_mismatch' };
  return {
    ok: true,
    identity: {
      grantId,
      subjectUserId,
      fingerprint,
      serialHex: certificate.serialNumber.toLowerCase(),
      notAfter: certificate.validity.notAfter,
    },
  };
}

function uuidExtension(certificate: forge.pki.Certificate, oid: string): string | null {
  const matches = (certificate.extensions as Array<{ id: string; value: string }>).filter(
    (ext) => ext.id === oid,
  );
  if (matches.length !== 1) return null;
  const der = Buffer.from(matches[0]!.value, 'binary');
  if (der.length !== 38 || der[0] !== 0x0c || der[1] !== 0x24) return null;
  const text = der.subarray(2).toString('latin1');
  return uuidPattern.test(text) ? text : null;
}

export const identityProblemText: Record<IdentityProblem, string> = {
  no_certificate: 'no client certificate was presented',
  unparseable: 'the client certificate cannot be parsed',
  cn: 'the certificate subject is not CN=grant-<uuid>',
  grant_oid: 'the grant id extension (1.3.6.1.4.1.99999.1) is missing or malformed',
  subject_oid: 'the subject user extension (1.3.6.1.4.1.99999.2) is missing or malformed',
  cn_mismatch: 'the grant id extension does not match the certificate subject',
};
