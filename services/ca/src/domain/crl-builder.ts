import type { CaAuthority } from './authority.js';
import {
  authorityKeyIdentifierExtension,
  type CertificateExtension,
  encodeExtension,
  signTbs,
} from './certificate-template.js';
import {
  algorithmSha256WithRsa,
  bigintToMagnitude,
  encode,
  enumerated,
  explicit,
  oids,
  raw,
  sequence,
  smallInteger,
  time,
  unsignedInteger,
} from './der.js';
import { IssuanceRequestError } from './errors.js';
import { toPem } from './pem.js';
import { normalizeSerialHex } from './serial-number.js';

/** RFC 5280 §5.3.1 CRLReason codes (7 is unused). */
export const CrlReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export interface RevokedEntry {
  /** Hex of the serial as the registry stores it (lowercase, as in the certificate). */
  serialHex: string;
  revokedAt: Date;
  /** RFC 5280 CRLReason number; 0 (unspecified) writes no reasonCode entry extension. */
  reasonCode: number;
}

export interface CrlOptions {
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: RevokedEntry[];
}

const validReasons = new Set<number>(Object.values(CrlReason));
/** cRLNumber is at most 20 octets (RFC 5280 §5.2.3). */
const MAX_CRL_NUMBER = (1n << 159n) - 1n;

function invalid(field: string, message: string, remedy: string): never {
  throw new IssuanceRequestError({ field, message, remedy });
}

/**
 * An X.509 v2 CRL (RFC 5280 §5.1), encoded with forge.asn1 (forge has no CRL builder) and signed
 * with node:crypto, sha256WithRSAEncryption:
 *
 *   TBSCertList ::= SEQUENCE {
 *     version v2, signature, issuer (the CA certificate's exact subject DER),
 *     thisUpdate, nextUpdate (UTCTime before 2050),
 *     revokedCertificates SEQUENCE OF { userCertificate, revocationDate, [reasonCode] } -- omitted when empty
 *     crlExtensions [0] { cRLNumber, authorityKeyIdentifier } }
 */
export function buildCrl(authority: CaAuthority, options: CrlOptions): { der: Buffer; pem: string } {
  const { crlNumber, thisUpdate, nextUpdate, revoked } = options;
  if (typeof crlNumber !== 'bigint' || crlNumber < 0n || crlNumber > MAX_CRL_NUMBER) {
    invalid(
      'crlNumber',
      'The CRL number must be a non-negative integer of at most 20 octets.',
      'Increment the stored CRL number.',
    );
  }
  if (!(thisUpdate instanceof Date) || !(nextUpdate instanceof Date) || !(nextUpdate > thisUpdate)) {
    invalid(
      'nextUpdate',
      'The CRL nextUpdate must be a date after thisUpdate.',
      'Set nextUpdate to thisUpdate plus the CRL refresh period.',
    );
  }
  const entries = revoked.map((entry) => {
    const serial = normalizeSerialHex(entry.serialHex);
    if (serial === null) {
      invalid(
        'serialHex',
        `The revoked serial ${JSON.stringify(String(entry.serialHex).slice(0, 64))} is not hex.`,
        'Pass the serial as the registry stores it.',
      );
    }
    if (!validReasons.has(entry.reasonCode)) {
      invalid(
        'reasonCode',
        `${entry.reasonCode} is not an RFC 5280 CRLReason code.`,
        'Use 0-6 or 8-10 (e.g. 9, privilegeWithdrawn, for a revoked grant).',
      );
    }
    const entryExtensions: CertificateExtension[] =
      entry.reasonCode === CrlReason.unspecified
        ? []
        : [{ oid: oids.crlReason, critical: false, value: encode(enumerated(entry.reasonCode)) }];
    return sequence([
      unsignedInteger(Buffer.from(serial, 'hex')),
      time(entry.revokedAt),
      ...(entryExtensions.length > 0 ? [sequence(entryExtensions.map(encodeExtension))] : []),
    ]);
  });
  const crlExtensions: CertificateExtension[] = [
    { oid: oids.crlNumber, critical: false, value: encode(unsignedInteger(bigintToMagnitude(crlNumber))) },
    authorityKeyIdentifierExtension(authority.subjectKeyIdentifier),
  ];
  const tbs = encode(
    sequence([
      smallInteger(1), // v2
      algorithmSha256WithRsa(),
      raw(authority.subjectDer),
      time(thisUpdate),
      time(nextUpdate),
      ...(entries.length > 0 ? [sequence(entries)] : []),
      explicit(0, sequence(crlExtensions.map(encodeExtension))),
    ]),
  );
  const der = signTbs(tbs, authority.privateKey);
  return { der, pem: toPem('X509 CRL', der) };
}
