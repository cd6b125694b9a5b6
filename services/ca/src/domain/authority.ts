import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  decodeBasicConstraints,
  decodeKeyIdentifier,
  decodeKeyUsage,
  findExtension,
  type ParsedCertificate,
  parseCertificatePem,
} from './certificate-parser.js';
import {
  basicConstraintsExtension,
  type CertificateTemplate,
  encodeName,
  keyIdentifierOf,
  keyUsageExtension,
  signCertificate,
  subjectKeyIdentifierExtension,
} from './certificate-template.js';
import { oids } from './der.js';
import { AuthorityError, IssuanceRequestError } from './errors.js';
import { fingerprintOf } from './fingerprint.js';
import { toPem } from './pem.js';
import { newSerialHex } from './serial-number.js';

export const CA_KEY_BITS = 3072;
export const CA_ORGANIZATION = 'Mosaic Federation';
/** Certificates start this far in the past so that a peer whose clock is slightly behind accepts them. */
export const CLOCK_SKEW_ALLOWANCE_MS = 60_000;
const DAY_MS = 86_400_000;

/** A CA certificate with its private key, ready to sign. Holds key material: never log or serialise it. */
export interface CaAuthority {
  id: string;
  /** The certificate re-armoured from its DER (one block, no surrounding text). */
  certificatePem: string;
  certificateDer: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-256 of the certificate DER, lowercase hex: what peers pin. */
  fingerprint: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** The exact DER of the CA certificate's subject: the issuer of everything it signs. */
  subjectDer: Buffer;
  /** The CA's key identifier: written as authorityKeyIdentifier into what it signs. */
  subjectKeyIdentifier: Buffer;
}

export interface CreatedRootAuthority {
  certificatePem: string;
  /** Unencrypted PKCS#8 PEM: seal it before it is stored. */
  privateKeyPem: string;
  fingerprint: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Generates a self-signed root: RSA 3072 (node:crypto), `CN=<commonName>, O=Mosaic Federation`,
 * basicConstraints CA:true pathlen:0 (it signs end-entity certificates only; a successor CA is a
 * new root published in the trust bundle, not an intermediate), keyUsage keyCertSign+cRLSign, both
 * critical, and a subjectKeyIdentifier.
 */
export function createRootAuthority(options: {
  commonName: string;
  lifetimeDays: number;
  now?: Date;
}): CreatedRootAuthority {
  const commonName = options.commonName?.trim();
  if (!commonName || commonName.length > 64) {
    throw new IssuanceRequestError({
      field: 'commonName',
      message: 'The CA common name must be 1 to 64 characters.',
      remedy: 'Name the CA after the gateway, e.g. "Mosaic CA work.example.com".',
    });
  }
  if (!Number.isFinite(options.lifetimeDays) || options.lifetimeDays <= 0) {
    throw new IssuanceRequestError({
      field: 'lifetimeDays',
      message: `The CA lifetime must be a positive number of days (got ${options.lifetimeDays}).`,
      remedy: 'Use a lifetime of a few years, e.g. 3650 days, and roll to a new CA before it ends.',
    });
  }
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: CA_KEY_BITS,
    publicExponent: 0x10001,
  });
  const subjectPublicKeyInfo = publicKey.export({ type: 'spki', format: 'der' });
  const subject = [
    { oid: oids.organizationName, value: CA_ORGANIZATION },
    { oid: oids.commonName, value: commonName },
  ];
  const template: CertificateTemplate = {
    serialHex: newSerialHex(),
    subject,
    notBefore: wholeSeconds(now.getTime() - CLOCK_SKEW_ALLOWANCE_MS),
    notAfter: wholeSeconds(now.getTime() + options.lifetimeDays * DAY_MS),
    subjectPublicKeyInfo,
    extensions: [
      basicConstraintsExtension({ ca: true, pathLength: 0 }),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
      subjectKeyIdentifierExtension(keyIdentifierOf(subjectPublicKeyInfo)),
    ],
  };
  const { der, pem } = signCertificate({ subjectDer: encodeName(subject), privateKey }, template);
  return {
    certificatePem: pem,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint: fingerprintOf(der),
    serialHex: template.serialHex,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
  };
}

/**
 * Turns a stored CA certificate and its (unsealed) private key into a signing authority, refusing
 * a pair that does not belong together, a certificate that is not a CA, or a non-RSA key.
 */
export function loadAuthority(options: {
  id: string;
  certificatePem: string;
  privateKeyPem: string;
}): CaAuthority {
  const fail = (message: string, cause?: unknown): never => {
    throw new AuthorityError({
      authorityId: options.id,
      message: `CA ${options.id} cannot be loaded: ${message}.`,
      remedy:
        'Restore the authority row (certificate and sealed key) from backup, or check that MOSAIC_MASTER_KEY is the secret the key was sealed with; if the CA is lost, create a new one and re-enroll peers.',
      cause,
    });
  };
  let parsed: ParsedCertificate;
  try {
    parsed = parseCertificatePem(options.certificatePem);
  } catch (error) {
    return fail('the certificate is not a PEM X.509 certificate', error);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: options.privateKeyPem, format: 'pem' });
  } catch (error) {
    return fail('the private key is not an unencrypted PEM private key', error);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    return fail(`the key is ${privateKey.asymmetricKeyType ?? 'of an unknown type'}, not RSA`);
  }
  const publicKey = createPublicKey(privateKey);
  if (!publicKey.export({ type: 'spki', format: 'der' }).equals(parsed.subjectPublicKeyInfo)) {
    return fail('the private key does not belong to the certificate');
  }
  let subjectKeyIdentifier: Buffer;
  try {
    const basicConstraints = findExtension(parsed.extensions, oids.basicConstraints);
    if (!basicConstraints || !decodeBasicConstraints(basicConstraints.value).ca) {
      return fail('the certificate is not a CA certificate (basicConstraints CA:true is missing)');
    }
    const keyUsage = findExtension(parsed.extensions, oids.keyUsage);
    if (keyUsage && !decodeKeyUsage(keyUsage.value).has('keyCertSign')) {
      return fail('the certificate may not sign certificates (keyUsage lacks keyCertSign)');
    }
    const ski = findExtension(parsed.extensions, oids.subjectKeyIdentifier);
    subjectKeyIdentifier = ski
      ? decodeKeyIdentifier(ski.value)
      : keyIdentifierOf(parsed.subjectPublicKeyInfo);
  } catch (error) {
    if (error instanceof AuthorityError) throw error;
    return fail('its extensions cannot be read', error);
  }
  return {
    id: options.id,
    certificatePem: toPem('CERTIFICATE', parsed.der),
    certificateDer: parsed.der,
    privateKey,
    publicKey,
    fingerprint: fingerprintOf(parsed.der),
    serialHex: parsed.serialHex,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    subjectDer: parsed.subjectDer,
    subjectKeyIdentifier,
  };
}

/** A time rounded down to whole seconds, as X.509 validity stores it. */
export function wholeSeconds(epochMs: number): Date {
  return new Date(Math.floor(epochMs / 1000) * 1000);
}
