import { type KeyObject, X509Certificate } from 'node:crypto';
import type { CaAuthority } from './authority.js';
import {
  decodeBasicConstraints,
  decodeExtendedKeyUsage,
  findExtension,
  type ParsedCertificate,
  parseCertificatePem,
} from './certificate-parser.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  type CertificateTemplate,
  crlDistributionPointsExtension,
  extendedKeyUsageExtension,
  keyIdentifierOf,
  keyUsageExtension,
  privateExtension,
  signCertificate,
  subjectKeyIdentifierExtension,
} from './certificate-template.js';
import { validateCsr } from './csr-policy.js';
import { oids } from './der.js';
import { IssuanceRequestError, IssuanceValidationError } from './errors.js';
import {
  type IssuedCertificateData,
  isHostname,
  issuedCertificateData,
  validityWindow,
} from './issuance-common.js';
import { assertMosaicOids, encodeUuidExtensionValue, isUuidAnyCase, type MosaicOids } from './mosaic-oids.js';
import { newSerialHex } from './serial-number.js';

export type { IssuedCertificateData } from './issuance-common.js';

export interface GrantCertificateRequest {
  grantId: string;
  /** The user on this gateway the grant acts as. */
  subjectUserId: string;
  /** Host name of the requesting (A) gateway; becomes O=. */
  requestingServer: string;
  csrPem: string;
  lifetimeMs: number;
  crlDistributionUrl: string;
  now?: Date;
}

export interface GrantIssuanceOptions {
  oids: MosaicOids;
  minRsaBits: number;
}

/** The grant facts a client certificate states, normalised (UUIDs in lowercase). */
export interface GrantIdentity {
  grantId: string;
  subjectUserId: string;
  requestingServer: string;
}

/** Step 0: the grant side of the request. UUIDs are lowercased; the host name is kept as given. */
export function validateGrantIdentity(request: GrantIdentity): GrantIdentity {
  for (const field of ['grantId', 'subjectUserId'] as const) {
    if (!isUuidAnyCase(request[field])) {
      throw new IssuanceRequestError({
        field,
        message: `The ${field} ${JSON.stringify(String(request[field]).slice(0, 64))} is not a UUID.`,
        remedy: `Pass the grant's ${field} as stored (canonical 8-4-4-4-12 hex).`,
      });
    }
  }
  if (!isHostname(request.requestingServer)) {
    throw new IssuanceRequestError({
      field: 'requestingServer',
      message: `The requesting server ${JSON.stringify(String(request.requestingServer).slice(0, 64))} is not a host name.`,
      remedy: 'Use the DNS name of the requesting gateway, e.g. home.example.net (no scheme, port or path).',
    });
  }
  return {
    grantId: request.grantId.toLowerCase(),
    subjectUserId: request.subjectUserId.toLowerCase(),
    requestingServer: request.requestingServer,
  };
}

/** An absolute http(s) URL, as written into the CRL distribution point (ASCII only). */
export function validateCrlDistributionUrl(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new IssuanceRequestError({
      field: 'crlDistributionUrl',
      message: `The CRL distribution URL ${JSON.stringify(String(value).slice(0, 200))} is not an absolute http(s) URL without credentials.`,
      remedy: 'Configure the public URL the CRL is served at, e.g. http://work.example.com:8444/crl.',
    });
  }
  return url.href;
}

export function grantCommonName(grantId: string): string {
  return `grant-${grantId}`;
}

/**
 * Step 2: the client certificate template, built from the grant alone. The CSR contributes only
 * its (already validated) public key.
 */
export function buildClientTemplate(options: {
  authority: CaAuthority;
  grant: GrantIdentity;
  subjectPublicKeyInfo: Buffer;
  lifetimeMs: number;
  crlDistributionUrl: string;
  now: Date;
  oids: MosaicOids;
}): CertificateTemplate {
  const grant = validateGrantIdentity(options.grant);
  const { notBefore, notAfter } = validityWindow(options.authority, options);
  return {
    serialHex: newSerialHex(),
    subject: [
      { oid: oids.organizationName, value: grant.requestingServer },
      { oid: oids.commonName, value: grantCommonName(grant.grantId) },
    ],
    notBefore,
    notAfter,
    subjectPublicKeyInfo: options.subjectPublicKeyInfo,
    extensions: [
      basicConstraintsExtension({ ca: false }),
      keyUsageExtension(['digitalSignature', 'keyEncipherment']),
      extendedKeyUsageExtension([oids.clientAuth]),
      subjectKeyIdentifierExtension(keyIdentifierOf(options.subjectPublicKeyInfo)),
      authorityKeyIdentifierExtension(options.authority.subjectKeyIdentifier),
      crlDistributionPointsExtension(validateCrlDistributionUrl(options.crlDistributionUrl)),
      privateExtension(options.oids.grantId, encodeUuidExtensionValue(grant.grantId)),
      privateExtension(options.oids.subjectUserId, encodeUuidExtensionValue(grant.subjectUserId)),
    ],
  };
}

export interface ExpectedGrantCertificate {
  authority: CaAuthority;
  grantId: string;
  subjectUserId: string;
  requestingServer: string;
  oids: MosaicOids;
  notAfter: Date;
  /** When given, the certificate must certify exactly this key (the CSR's). */
  publicKey?: KeyObject;
}

/**
 * Step 4: checks a freshly issued client certificate (built-in or step-ca) against the grant and
 * throws IssuanceValidationError listing every problem. A certificate that fails is never returned.
 */
export function validateIssuedCertificate(certificatePem: string, expected: ExpectedGrantCertificate): void {
  let x509: X509Certificate;
  let parsed: ParsedCertificate;
  try {
    x509 = new X509Certificate(certificatePem);
    parsed = parseCertificatePem(certificatePem);
  } catch (error) {
    throw new IssuanceValidationError(['it is not a parseable PEM X.509 certificate'], error);
  }
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const grantId = expected.grantId.toLowerCase();
  const subjectUserId = expected.subjectUserId.toLowerCase();

  check(
    x509.verify(expected.authority.publicKey),
    `its signature does not verify with CA ${expected.authority.id}`,
  );
  check(
    x509.checkIssued(new X509Certificate(expected.authority.certificateDer)),
    `its issuer is not the subject of CA ${expected.authority.id}`,
  );
  check(parsed.version === 3, `it is X.509 v${parsed.version}, not v3`);

  for (const [field, oid, uuid] of [
    ['grantId', expected.oids.grantId, grantId],
    ['subjectUserId', expected.oids.subjectUserId, subjectUserId],
  ] as const) {
    try {
      const extension = findExtension(parsed.extensions, oid);
      if (!extension) problems.push(`the ${field} extension ${oid} is missing`);
      else {
        check(
          isUuidAnyCase(uuid) && extension.value.equals(encodeUuidExtensionValue(uuid)),
          `the ${field} extension ${oid} is not the UTF8String ${uuid}`,
        );
        check(!extension.critical, `the ${field} extension ${oid} is marked critical`);
      }
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }

  try {
    const eku = findExtension(parsed.extensions, oids.extKeyUsage);
    const purposes = eku ? decodeExtendedKeyUsage(eku.value) : [];
    check(
      purposes.length === 1 && purposes[0] === oids.clientAuth,
      `its extended key usage is [${purposes.join(', ')}], not clientAuth only`,
    );
    const basicConstraints = findExtension(parsed.extensions, oids.basicConstraints);
    check(
      basicConstraints !== null && !decodeBasicConstraints(basicConstraints.value).ca,
      'it lacks basicConstraints CA:false',
    );
  } catch (error) {
    problems.push(`its extensions cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }

  const commonNames = parsed.subject.filter((attribute) => attribute.oid === oids.commonName);
  const organizations = parsed.subject.filter((attribute) => attribute.oid === oids.organizationName);
  check(
    commonNames.length === 1 && commonNames[0]!.value === grantCommonName(grantId),
    `its subject CN is not ${grantCommonName(grantId)}`,
  );
  check(
    organizations.length === 1 && organizations[0]!.value === expected.requestingServer,
    `its subject O is not ${expected.requestingServer}`,
  );
  check(parsed.subject.length === 2, 'its subject holds attributes other than CN and O');
  check(
    Math.abs(parsed.notAfter.getTime() - expected.notAfter.getTime()) <= 1000,
    `it expires at ${parsed.notAfter.toISOString()}, not ${expected.notAfter.toISOString()}`,
  );
  check(parsed.notBefore < parsed.notAfter, 'its validity period is empty');
  if (expected.publicKey) {
    check(
      expected.publicKey.export({ type: 'spki', format: 'der' }).equals(parsed.subjectPublicKeyInfo),
      'it certifies a different public key than the CSR carried',
    );
  }
  if (problems.length > 0) throw new IssuanceValidationError(problems);
}

/**
 * Issues the client certificate of a grant with the built-in signer, as an ordered pipeline:
 * validate the grant fields → validate the CSR → build the template from the grant → sign
 * (node:crypto) → validate the issued certificate → return.
 */
export function issueGrantCertificate(
  authority: CaAuthority,
  request: GrantCertificateRequest,
  options: GrantIssuanceOptions,
): IssuedCertificateData {
  assertMosaicOids(options.oids);
  const grant = validateGrantIdentity(request);
  const csr = validateCsr(request.csrPem, options);
  const template = buildClientTemplate({
    authority,
    grant,
    subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
    lifetimeMs: request.lifetimeMs,
    crlDistributionUrl: request.crlDistributionUrl,
    now: request.now ?? new Date(),
    oids: options.oids,
  });
  const certificate = signCertificate(authority, template);
  validateIssuedCertificate(certificate.pem, {
    authority,
    ...grant,
    oids: options.oids,
    notAfter: template.notAfter,
    publicKey: csr.publicKey,
  });
  return issuedCertificateData(authority, certificate, template);
}
