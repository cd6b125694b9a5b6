import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { ConfigError } from '@mosaic/platform';
import { decodeBasicConstraints, parseExtensions, parseName } from './certificate-parser.js';
import {
  type Asn1,
  childrenOf,
  encode,
  expectSequence,
  isContext,
  isUniversal,
  oids,
  parseDer,
  readBitStringBytes,
  readObjectId,
  readUnsignedIntegerHex,
  Type,
} from './der.js';
import { CsrRejectedError, type CsrRejectionReason } from './errors.js';
import type { MosaicOids } from './mosaic-oids.js';
import { singlePemBlock } from './pem.js';

/** What the CA takes from a CSR: the public key (whose possession the signature proved). Nothing else. */
export interface ValidatedCsr {
  publicKey: KeyObject;
  publicKeyPem: string;
  /** DER SubjectPublicKeyInfo, exactly as the CSR carried it. */
  subjectPublicKeyInfo: Buffer;
  keyBits: number;
  /** Informational only (logs, audit); never copied into a certificate. */
  subjectCommonName: string | null;
}

export interface CsrPolicy {
  /** Smallest RSA modulus accepted; never below 2048. */
  minRsaBits: number;
  oids: MosaicOids;
}

export const MIN_RSA_BITS_FLOOR = 2048;
/** A CSR for a 16384-bit key is about 5 KiB of PEM; anything far larger is not a CSR. */
export const MAX_CSR_PEM_LENGTH = 64 * 1024;

const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];

/** Hash per accepted signature algorithm (RSA PKCS#1 v1.5 only; SHA-1 and PSS are refused). */
const signatureHashes = new Map<string, string>([
  [oids.sha256WithRsa, 'sha256'],
  [oids.sha384WithRsa, 'sha384'],
  [oids.sha512WithRsa, 'sha512'],
]);

const remedies: Record<CsrRejectionReason, string> = {
  unparseable:
    'Send one PKCS#10 request in PEM (-----BEGIN CERTIFICATE REQUEST-----), e.g. from `openssl req -new -newkey rsa:3072 -nodes -subj /CN=peer`.',
  bad_signature:
    'Create the CSR again with the private key it carries, signed with sha256WithRSAEncryption, and do not edit it after signing.',
  weak_key: 'Generate a new RSA key of at least the required size (3072 bits recommended) and a new CSR.',
  unsupported_key:
    'Generate an RSA key (3072 bits recommended) and a CSR for it; this CA signs RSA keys only.',
  forbidden_extension:
    'Send a CSR without Mosaic extensions: the CA writes the grant and subject user from the grant itself.',
  ca_requested:
    'Send a CSR without basicConstraints cA=true: grant and server certificates are end-entity certificates.',
};

function reject(reason: CsrRejectionReason, message: string, cause?: unknown): never {
  throw new CsrRejectedError({ reason, message, remedy: remedies[reason], cause });
}

/** The parts of a PKCS#10 CertificationRequest the policy looks at. */
export interface ParsedCsr {
  certificationRequestInfo: Buffer;
  subjectCommonName: string | null;
  subjectPublicKeyInfo: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  attributes: { oid: string; values: Asn1[] }[];
}

/** Parses a PEM CSR; anything that is not one well-formed DER PKCS#10 request is `unparseable`. */
export function parseCsr(csrPem: string): ParsedCsr {
  if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_PEM_LENGTH) {
    reject('unparseable', `The CSR is missing or larger than ${MAX_CSR_PEM_LENGTH} characters.`);
  }
  try {
    const der = singlePemBlock(csrPem, CSR_LABELS);
    const [info, algorithm, signature] = expectSequence(parseDer(der), 'CertificationRequest');
    const [version, subject, spki, attributes, ...extra] = expectSequence(info, 'certificationRequestInfo');
    if (readUnsignedIntegerHex(version, 'version') !== '00') throw new Error('the version is not v1 (0)');
    if (!isContext(attributes, 0) || extra.length > 0) throw new Error('the attributes field is malformed');
    const [algorithmId, parameters] = expectSequence(algorithm, 'signatureAlgorithm');
    if (parameters !== undefined && !isUniversal(parameters, Type.NULL)) {
      throw new Error('the signature algorithm has unexpected parameters');
    }
    expectSequence(spki, 'subjectPKInfo');
    const commonNames = parseName(subject).filter((attribute) => attribute.oid === oids.commonName);
    return {
      certificationRequestInfo: encode(info!),
      subjectCommonName: commonNames[0]?.value ?? null,
      subjectPublicKeyInfo: encode(spki!),
      signatureAlgorithm: readObjectId(algorithmId, 'signatureAlgorithm'),
      signature: readBitStringBytes(signature, 'signature'),
      attributes: childrenOf(attributes, 'attributes').map((attribute) => {
        const [type, values] = expectSequence(attribute, 'Attribute');
        if (!isUniversal(values, Type.SET)) throw new Error('attribute values are not a SET');
        return { oid: readObjectId(type, 'attribute type'), values: childrenOf(values, 'attribute values') };
      }),
    };
  } catch (error) {
    if (error instanceof CsrRejectedError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    return reject('unparseable', `The CSR is not a PKCS#10 certificate request: ${detail}.`, error);
  }
}

/** The public key; only RSA of at least `minRsaBits` with a sane public exponent passes. */
export function checkCsrPublicKey(
  subjectPublicKeyInfo: Buffer,
  minRsaBits: number,
): { key: KeyObject; bits: number } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: subjectPublicKeyInfo, format: 'der', type: 'spki' });
  } catch (error) {
    return reject(
      'unsupported_key',
      'The CSR carries a public key of an algorithm this CA cannot read.',
      error,
    );
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType !== 'rsa') {
    const curve = details.namedCurve ? ` (${details.namedCurve})` : '';
    return reject(
      'unsupported_key',
      `The CSR carries ${key.asymmetricKeyType?.toUpperCase() ?? 'an unknown'}${curve} key; this CA accepts RSA keys only.`,
    );
  }
  const bits = details.modulusLength ?? 0;
  if (bits < minRsaBits) {
    reject('weak_key', `The CSR's RSA key has ${bits} bits; this CA requires at least ${minRsaBits}.`);
  }
  const exponent = details.publicExponent ?? 0n;
  if (exponent < 3n || exponent % 2n === 0n) {
    reject('weak_key', `The CSR's RSA key has the unusable public exponent ${exponent}.`);
  }
  return { key, bits };
}

/** Proof of possession: the request info must verify under the key it carries. */
export function checkCsrSignature(csr: ParsedCsr, publicKey: KeyObject): void {
  const hash = signatureHashes.get(csr.signatureAlgorithm);
  if (!hash) {
    reject(
      'bad_signature',
      `The CSR is signed with algorithm ${csr.signatureAlgorithm}; only sha256/384/512WithRSAEncryption are accepted.`,
    );
  }
  let valid = false;
  try {
    valid = verify(hash, csr.certificationRequestInfo, publicKey, csr.signature);
  } catch (error) {
    reject('bad_signature', 'The CSR signature cannot be checked against its public key.', error);
  }
  if (!valid) reject('bad_signature', 'The CSR signature does not verify against the public key it carries.');
}

/**
 * The CA ignores every extension a CSR asks for, but a CSR that asks for a Mosaic OID or for
 * CA:true is an attempt to gain something and is refused outright (and audited by the caller).
 */
export function checkRequestedExtensions(csr: ParsedCsr, mosaicOids: MosaicOids): void {
  const mosaic = new Map([
    [mosaicOids.grantId, 'grantId'],
    [mosaicOids.subjectUserId, 'subjectUserId'],
  ]);
  const forbidden: string[] = [];
  let caRequested = false;
  for (const attribute of csr.attributes) {
    if (mosaic.has(attribute.oid)) forbidden.push(`${attribute.oid} (${mosaic.get(attribute.oid)})`);
    if (attribute.oid !== oids.extensionRequest && attribute.oid !== oids.msExtensionRequest) continue;
    for (const value of attribute.values) {
      let extensions: ReturnType<typeof parseExtensions>;
      try {
        extensions = parseExtensions(value);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        reject('unparseable', `The CSR's extension request is malformed: ${detail}.`, error);
      }
      for (const extension of extensions) {
        const name = mosaic.get(extension.oid);
        if (name) forbidden.push(`${extension.oid} (${name})`);
        if (extension.oid === oids.basicConstraints && requestsCa(extension.value)) caRequested = true;
      }
    }
  }
  if (forbidden.length > 0) {
    reject(
      'forbidden_extension',
      `The CSR requests the Mosaic extension ${[...new Set(forbidden)].join(' and ')}; only the CA sets these, from the grant.`,
    );
  }
  if (caRequested) reject('ca_requested', 'The CSR requests a CA certificate (basicConstraints cA=true).');
}

function requestsCa(value: Buffer): boolean {
  try {
    return decodeBasicConstraints(value).ca;
  } catch (error) {
    return reject('unparseable', "The CSR's basicConstraints request is malformed.", error);
  }
}

/**
 * CSR policy (SPEC §3): parse → key type and size → signature → requested extensions. Subject,
 * SANs, lifetime and every other extension in the CSR are ignored; only the public key is used.
 * Throws CsrRejectedError with a `reason` on every refusal.
 */
export function validateCsr(csrPem: string, options: CsrPolicy): ValidatedCsr {
  if (!Number.isInteger(options.minRsaBits) || options.minRsaBits < MIN_RSA_BITS_FLOOR) {
    throw new ConfigError(
      `The minimum CSR key size ${options.minRsaBits} is below ${MIN_RSA_BITS_FLOOR} bits.`,
      `Set it to ${MIN_RSA_BITS_FLOOR} or more (3072 recommended).`,
    );
  }
  const csr = parseCsr(csrPem);
  const { key, bits } = checkCsrPublicKey(csr.subjectPublicKeyInfo, options.minRsaBits);
  checkCsrSignature(csr, key);
  checkRequestedExtensions(csr, options.oids);
  return {
    publicKey: key,
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }) as string,
    subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
    keyBits: bits,
    subjectCommonName: csr.subjectCommonName,
  };
}
