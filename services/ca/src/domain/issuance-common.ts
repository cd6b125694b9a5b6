import { type CaAuthority, CLOCK_SKEW_ALLOWANCE_MS, wholeSeconds } from './authority.js';
import { type CertificateTemplate, nameToString } from './certificate-template.js';
import { IssuanceRequestError } from './errors.js';
import { fingerprintOf } from './fingerprint.js';

/** What every issuance returns; the registry stores it as is. */
export interface IssuedCertificateData {
  certificatePem: string;
  /** Lowercase hex of the serial's content octets, as in the certificate (and later in the CRL). */
  serialHex: string;
  /** SHA-256 of the certificate DER, lowercase hex. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** RFC 4514 subject, most specific first: `CN=grant-<id>,O=<host>`. */
  subject: string;
  /** The issuing CA's certificate (the root peers pin); the chain a TLS client presents. */
  caChainPem: string[];
}

const hostnameLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
export function isHostname(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= 253 &&
    value.split('.').every((label) => hostnameLabel.test(label))
  );
}

/**
 * The validity of a new certificate: from `now` minus the clock-skew allowance to `now` plus the
 * lifetime, in whole seconds, refused when it would outlive the CA or the CA is not valid yet.
 */
export function validityWindow(
  authority: CaAuthority,
  options: { lifetimeMs: number; now: Date },
): { notBefore: Date; notAfter: Date } {
  const { lifetimeMs, now } = options;
  if (!Number.isFinite(lifetimeMs) || lifetimeMs < 1000) {
    throw new IssuanceRequestError({
      field: 'lifetimeMs',
      message: `The certificate lifetime must be at least one second (got ${lifetimeMs} ms).`,
      remedy: 'Pass the lifetime in milliseconds, e.g. 30 days = 2592000000.',
    });
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new IssuanceRequestError({
      field: 'now',
      message: 'The issuance time is not a valid date.',
      remedy: 'Omit `now` to use the current time.',
    });
  }
  const notBefore = wholeSeconds(now.getTime() - CLOCK_SKEW_ALLOWANCE_MS);
  const notAfter = wholeSeconds(now.getTime() + lifetimeMs);
  if (now < authority.notBefore || notAfter > authority.notAfter) {
    throw new IssuanceRequestError({
      field: 'lifetimeMs',
      message: `CA ${authority.id} is valid from ${authority.notBefore.toISOString()} to ${authority.notAfter.toISOString()}; a certificate valid until ${notAfter.toISOString()} cannot be issued from it.`,
      remedy:
        'Roll to the next CA (publish it in the trust bundle first), or shorten the certificate lifetime.',
    });
  }
  return { notBefore, notAfter };
}

export function issuedCertificateData(
  authority: CaAuthority,
  certificate: { der: Buffer; pem: string },
  template: CertificateTemplate,
): IssuedCertificateData {
  return {
    certificatePem: certificate.pem,
    serialHex: template.serialHex,
    fingerprint: fingerprintOf(certificate.der),
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    subject: nameToString(template.subject),
    caChainPem: [authority.certificatePem],
  };
}
