import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { CaAuthority } from './authority.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  type CertificateTemplate,
  crlDistributionPointsExtension,
  extendedKeyUsageExtension,
  keyIdentifierOf,
  keyUsageExtension,
  signCertificate,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from './certificate-template.js';
import { checkCsrPublicKey, MIN_RSA_BITS_FLOOR, validateCsr } from './csr-policy.js';
import { oids } from './der.js';
import { IssuanceRequestError, IssuanceValidationError } from './errors.js';
import {
  type IssuedCertificateData,
  isHostname,
  issuedCertificateData,
  validityWindow,
} from './issuance-common.js';
import { validateCrlDistributionUrl } from './issue-grant-certificate.js';
import { defaultMosaicOids, type MosaicOids } from './mosaic-oids.js';
import { newSerialHex } from './serial-number.js';

export interface ServerCertificateRequest {
  /** The key to certify: exactly one of `publicKey` and `csrPem`. */
  publicKey?: KeyObject;
  /** A CSR for the key; validated like a grant CSR, and only its key is used. */
  csrPem?: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  lifetimeMs: number;
  now?: Date;
  /** Written as a CRL distribution point when given. */
  crlDistributionUrl?: string;
}

export interface ServerIssuanceOptions {
  minRsaBits?: number;
  oids?: MosaicOids;
}

function requestError(field: string, message: string, remedy: string): never {
  throw new IssuanceRequestError({ field, message, remedy });
}

/** The SubjectPublicKeyInfo to certify, from the CSR (validated) or the key (RSA, at least 2048 bits). */
export function serverSubjectPublicKeyInfo(
  request: ServerCertificateRequest,
  options: ServerIssuanceOptions,
): Buffer {
  const minRsaBits = options.minRsaBits ?? MIN_RSA_BITS_FLOOR;
  if ((request.publicKey === undefined) === (request.csrPem === undefined)) {
    requestError(
      'publicKey',
      'Give exactly one of publicKey and csrPem.',
      'Pass the key to certify, or a CSR for it.',
    );
  }
  if (request.csrPem !== undefined) {
    return validateCsr(request.csrPem, { minRsaBits, oids: options.oids ?? defaultMosaicOids })
      .subjectPublicKeyInfo;
  }
  const key =
    request.publicKey!.type === 'private' ? createPublicKey(request.publicKey!) : request.publicKey!;
  const spki = key.export({ type: 'spki', format: 'der' });
  checkCsrPublicKey(spki, minRsaBits);
  return spki;
}

export function buildServerTemplate(options: {
  authority: CaAuthority;
  subjectPublicKeyInfo: Buffer;
  commonName: string;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  lifetimeMs: number;
  now: Date;
  crlDistributionUrl?: string;
}): CertificateTemplate {
  const { commonName, dnsNames, ipAddresses } = options;
  if (typeof commonName !== 'string' || commonName.length === 0 || commonName.length > 64) {
    requestError(
      'commonName',
      'The server common name must be 1 to 64 characters.',
      'Use the gateway host name.',
    );
  }
  const badName = dnsNames.find((name) => !isHostname(name));
  if (badName !== undefined) {
    requestError(
      'dnsNames',
      `${JSON.stringify(badName)} is not a DNS host name.`,
      'List plain host names only.',
    );
  }
  const badAddress = ipAddresses.find((address) => isIP(address) === 0);
  if (badAddress !== undefined) {
    requestError(
      'ipAddresses',
      `${JSON.stringify(badAddress)} is not an IP address.`,
      'List IPv4 or IPv6 addresses.',
    );
  }
  if (dnsNames.length + ipAddresses.length === 0) {
    requestError(
      'dnsNames',
      'A server certificate needs at least one DNS name or IP address.',
      'List the names peers connect to.',
    );
  }
  const { notBefore, notAfter } = validityWindow(options.authority, options);
  return {
    serialHex: newSerialHex(),
    subject: [{ oid: oids.commonName, value: commonName }],
    notBefore,
    notAfter,
    subjectPublicKeyInfo: options.subjectPublicKeyInfo,
    extensions: [
      basicConstraintsExtension({ ca: false }),
      keyUsageExtension(['digitalSignature', 'keyEncipherment']),
      extendedKeyUsageExtension([oids.serverAuth]),
      subjectAltNameExtension({ dnsNames, ipAddresses }),
      subjectKeyIdentifierExtension(keyIdentifierOf(options.subjectPublicKeyInfo)),
      authorityKeyIdentifierExtension(options.authority.subjectKeyIdentifier),
      ...(options.crlDistributionUrl === undefined
        ? []
        : [crlDistributionPointsExtension(validateCrlDistributionUrl(options.crlDistributionUrl))]),
    ],
  };
}

/** Issues a TLS server certificate (EKU serverAuth, CA:false, SANs) signed by the authority. */
export function issueServerCertificate(
  authority: CaAuthority,
  request: ServerCertificateRequest,
  options: ServerIssuanceOptions = {},
): IssuedCertificateData {
  const subjectPublicKeyInfo = serverSubjectPublicKeyInfo(request, options);
  const template = buildServerTemplate({
    authority,
    subjectPublicKeyInfo,
    commonName: request.commonName,
    dnsNames: request.dnsNames,
    ipAddresses: request.ipAddresses,
    lifetimeMs: request.lifetimeMs,
    now: request.now ?? new Date(),
    ...(request.crlDistributionUrl === undefined ? {} : { crlDistributionUrl: request.crlDistributionUrl }),
  });
  const certificate = signCertificate(authority, template);
  const x509 = new X509Certificate(certificate.der);
  if (!x509.verify(authority.publicKey)) {
    throw new IssuanceValidationError([`the server certificate does not verify with CA ${authority.id}`]);
  }
  return issuedCertificateData(authority, certificate, template);
}
