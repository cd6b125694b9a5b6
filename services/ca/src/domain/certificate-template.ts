import { createHash, type KeyObject, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  type Asn1,
  algorithmSha256WithRsa,
  bitString,
  boolean,
  encode,
  expectSequence,
  explicit,
  implicitConstructed,
  implicitPrimitive,
  objectId,
  octetString,
  oids,
  parseDer,
  raw,
  readBitStringBytes,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';
import { toPem } from './pem.js';

/**
 * What a certificate will say, independent of how it is signed. Every field is decided by the CA
 * (from a grant or from the operator's configuration); nothing is copied from a CSR except the
 * public key, whose possession the CSR proved.
 */
export interface CertificateTemplate {
  /** Lowercase hex of the serial's INTEGER content octets (see newSerialHex). */
  serialHex: string;
  /** Relative distinguished names in encoding order (most general first), one attribute each. */
  subject: NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo of the key being certified. */
  subjectPublicKeyInfo: Buffer;
  extensions: CertificateExtension[];
}

export interface NameAttribute {
  oid: string;
  value: string;
}

/** One X.509 extension; `value` is the DER that goes inside extnValue's OCTET STRING. */
export interface CertificateExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

/** The signing side: the issuer's exact subject DER and its private key (node:crypto). */
export interface CertificateIssuer {
  subjectDer: Buffer;
  privateKey: KeyObject;
}

export function encodeName(attributes: readonly NameAttribute[]): Buffer {
  return encode(
    sequence(
      attributes.map((attribute) => set([sequence([objectId(attribute.oid), utf8String(attribute.value)])])),
    ),
  );
}

/** RFC 4514 text of a name (most specific RDN first), e.g. `CN=grant-…,O=a.example`. */
export function nameToString(attributes: readonly NameAttribute[]): string {
  const short: Record<string, string> = { [oids.commonName]: 'CN', [oids.organizationName]: 'O' };
  return [...attributes]
    .reverse()
    .map((attribute) => `${short[attribute.oid] ?? attribute.oid}=${escapeRdnValue(attribute.value)}`)
    .join(',');
}

function escapeRdnValue(value: string): string {
  return value
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

export function encodeExtension(extension: CertificateExtension): Asn1 {
  return sequence([
    objectId(extension.oid),
    ...(extension.critical ? [boolean(true)] : []),
    octetString(extension.value),
  ]);
}

export function encodeTbsCertificate(template: CertificateTemplate, issuerSubjectDer: Buffer): Buffer {
  return encode(
    sequence([
      explicit(0, smallInteger(2)), // v3
      unsignedInteger(Buffer.from(template.serialHex, 'hex')),
      algorithmSha256WithRsa(),
      raw(issuerSubjectDer),
      sequence([time(template.notBefore), time(template.notAfter)]),
      raw(encodeName(template.subject)),
      raw(template.subjectPublicKeyInfo),
      ...(template.extensions.length > 0
        ? [explicit(3, sequence(template.extensions.map(encodeExtension)))]
        : []),
    ]),
  );
}

/**
 * Signs with node:crypto (RSA PKCS#1 v1.5 over SHA-256, i.e. sha256WithRSAEncryption) and wraps
 * the result as Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
 */
export function signTbs(tbsDer: Buffer, privateKey: KeyObject): Buffer {
  const signature = sign('sha256', tbsDer, privateKey);
  return encode(sequence([raw(tbsDer), algorithmSha256WithRsa(), bitString(signature)]));
}

export function signCertificate(
  issuer: CertificateIssuer,
  template: CertificateTemplate,
): { der: Buffer; pem: string } {
  const der = signTbs(encodeTbsCertificate(template, issuer.subjectDer), issuer.privateKey);
  return { der, pem: toPem('CERTIFICATE', der) };
}

// ---- extensions ----

export function basicConstraintsExtension(options: {
  ca: boolean;
  pathLength?: number;
}): CertificateExtension {
  const fields: Asn1[] = [];
  if (options.ca) {
    fields.push(boolean(true));
    if (options.pathLength !== undefined) fields.push(smallInteger(options.pathLength));
  }
  return { oid: oids.basicConstraints, critical: true, value: encode(sequence(fields)) };
}

export const keyUsageBits = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsage = keyof typeof keyUsageBits;

/** keyUsage as a DER named-bit BIT STRING (trailing zero bits dropped), always critical. */
export function keyUsageExtension(usages: readonly KeyUsage[]): CertificateExtension {
  const bits = usages.map((usage) => keyUsageBits[usage]);
  const length = Math.max(...bits) + 1;
  const bytes = Buffer.alloc(Math.ceil(length / 8));
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return {
    oid: oids.keyUsage,
    critical: true,
    value: encode(bitString(bytes, bytes.length * 8 - length)),
  };
}

export function extendedKeyUsageExtension(purposes: readonly string[]): CertificateExtension {
  return { oid: oids.extKeyUsage, critical: false, value: encode(sequence(purposes.map(objectId))) };
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifierOf(subjectPublicKeyInfo: Buffer): Buffer {
  const [, publicKeyBits] = expectSequence(parseDer(subjectPublicKeyInfo), 'SubjectPublicKeyInfo');
  return createHash('sha1').update(readBitStringBytes(publicKeyBits, 'subjectPublicKey')).digest();
}

export function subjectKeyIdentifierExtension(keyIdentifier: Buffer): CertificateExtension {
  return { oid: oids.subjectKeyIdentifier, critical: false, value: encode(octetString(keyIdentifier)) };
}

export function authorityKeyIdentifierExtension(keyIdentifier: Buffer): CertificateExtension {
  return {
    oid: oids.authorityKeyIdentifier,
    critical: false,
    value: encode(sequence([implicitPrimitive(0, keyIdentifier)])),
  };
}

/** One DistributionPoint with a fullName URI (GeneralName [6]). */
export function crlDistributionPointsExtension(url: string): CertificateExtension {
  const uri = implicitPrimitive(6, Buffer.from(url, 'ascii'));
  const distributionPointName = explicit(0, implicitConstructed(0, [uri]));
  return {
    oid: oids.crlDistributionPoints,
    critical: false,
    value: encode(sequence([sequence([distributionPointName])])),
  };
}

/** subjectAltName with dNSName [2] and iPAddress [7] entries. */
export function subjectAltNameExtension(names: {
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
}): CertificateExtension {
  const generalNames = [
    ...names.dnsNames.map((name) => implicitPrimitive(2, Buffer.from(name, 'ascii'))),
    ...names.ipAddresses.map((address) => implicitPrimitive(7, ipAddressBytes(address))),
  ];
  return { oid: oids.subjectAltName, critical: false, value: encode(sequence(generalNames)) };
}

/** A private extension whose value is given as DER (e.g. a Mosaic UUID UTF8String). */
export function privateExtension(oid: string, valueDer: Buffer): CertificateExtension {
  return { oid, critical: false, value: valueDer };
}

/** 4 octets for IPv4, 16 for IPv6 (with `::` and an embedded dotted quad handled). */
export function ipAddressBytes(address: string): Buffer {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) throw new RangeError(`${address} is not an IP address`);
  let text = address.split('%')[0]!;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...dotted[1]!.split('.').map(Number));
    text = `${text.slice(0, -dotted[1]!.length)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = Buffer.alloc(16);
  for (const [index, word] of words.entries()) bytes.writeUInt16BE(word, index * 2);
  if (tail.length === 4) Buffer.from(tail).copy(bytes, 12);
  return bytes;
}
