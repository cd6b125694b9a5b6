import type { CertificateExtension, KeyUsage, NameAttribute } from './certificate-template.js';
import { keyUsageBits } from './certificate-template.js';
import {
  type Asn1,
  childrenOf,
  contentOf,
  encode,
  expectSequence,
  isContext,
  isUniversal,
  parseDer,
  readBoolean,
  readDirectoryString,
  readObjectId,
  readTime,
  readUnsignedIntegerHex,
  Type,
} from './der.js';
import { singlePemBlock } from './pem.js';

/**
 * A certificate read field by field with forge's ASN.1 parser. It reads any subject key type
 * (forge's own certificate parser is RSA-only), so it can check certificates from other signers.
 */
export interface ParsedCertificate {
  der: Buffer;
  tbsDer: Buffer;
  version: number;
  serialHex: string;
  signatureAlgorithm: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  subject: NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  subjectPublicKeyInfo: Buffer;
  extensions: CertificateExtension[];
}

export function parseCertificatePem(pem: string): ParsedCertificate {
  return parseCertificateDer(singlePemBlock(pem, ['CERTIFICATE']));
}

export function parseCertificateDer(der: Buffer): ParsedCertificate {
  const [tbs, signatureAlgorithm] = expectSequence(parseDer(der), 'Certificate');
  const fields = [...expectSequence(tbs, 'tbsCertificate')];
  let version = 1;
  if (isContext(fields[0], 0)) {
    const [versionNode] = childrenOf(fields.shift(), 'version');
    version = Number.parseInt(readUnsignedIntegerHex(versionNode, 'version'), 16) + 1;
  }
  const [serial, , issuer, validity, subject, spki, ...optional] = fields;
  const [notBefore, notAfter] = expectSequence(validity, 'validity');
  const [algorithm] = expectSequence(signatureAlgorithm, 'signatureAlgorithm');
  const extensionsNode = optional.find((node) => isContext(node, 3));
  return {
    der,
    tbsDer: encode(tbs!),
    version,
    serialHex: readUnsignedIntegerHex(serial, 'serialNumber'),
    signatureAlgorithm: readObjectId(algorithm, 'signatureAlgorithm'),
    issuerDer: encode(sequenceNode(issuer, 'issuer')),
    subjectDer: encode(sequenceNode(subject, 'subject')),
    subject: parseName(subject),
    notBefore: readTime(notBefore, 'notBefore'),
    notAfter: readTime(notAfter, 'notAfter'),
    subjectPublicKeyInfo: encode(sequenceNode(spki, 'subjectPublicKeyInfo')),
    extensions: extensionsNode ? parseExtensions(childrenOf(extensionsNode, 'extensions')[0]) : [],
  };
}

function sequenceNode(node: Asn1 | undefined, what: string): Asn1 {
  expectSequence(node, what);
  return node!;
}

/** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue, flattened in encoding order. */
export function parseName(node: Asn1 | undefined): NameAttribute[] {
  const attributes: NameAttribute[] = [];
  for (const rdn of expectSequence(node, 'Name')) {
    if (!isUniversal(rdn, Type.SET)) throw new Error('a relative distinguished name is not a SET');
    for (const pair of childrenOf(rdn, 'RDN')) {
      const [type, value] = expectSequence(pair, 'AttributeTypeAndValue');
      const oid = readObjectId(type, 'attribute type');
      attributes.push({ oid, value: readDirectoryString(value, `attribute ${oid}`) });
    }
  }
  return attributes;
}

/** Extensions ::= SEQUENCE OF Extension { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }. */
export function parseExtensions(node: Asn1 | undefined): CertificateExtension[] {
  return expectSequence(node, 'Extensions').map((extension) => {
    const parts = expectSequence(extension, 'Extension');
    const oid = readObjectId(parts[0], 'extnID');
    const critical = parts.length === 3 ? readBoolean(parts[1], `critical flag of ${oid}`) : false;
    const value = parts[parts.length - 1];
    if (parts.length < 2 || parts.length > 3 || !isUniversal(value, Type.OCTETSTRING)) {
      throw new Error(`extension ${oid} is malformed`);
    }
    return { oid, critical, value: contentOf(value, `extnValue of ${oid}`) };
  });
}

export function decodeBasicConstraints(value: Buffer): { ca: boolean; pathLength: number | null } {
  const fields = expectSequence(parseDer(value), 'BasicConstraints');
  let index = 0;
  let ca = false;
  if (isUniversal(fields[index], Type.BOOLEAN)) {
    ca = readBoolean(fields[index], 'cA');
    index += 1;
  }
  const pathLength =
    fields[index] === undefined
      ? null
      : Number.parseInt(readUnsignedIntegerHex(fields[index], 'pathLen'), 16);
  return { ca, pathLength };
}

export function decodeExtendedKeyUsage(value: Buffer): string[] {
  return expectSequence(parseDer(value), 'ExtKeyUsageSyntax').map((purpose) =>
    readObjectId(purpose, 'KeyPurposeId'),
  );
}

export function decodeKeyUsage(value: Buffer): Set<KeyUsage> {
  const node = parseDer(value);
  if (!isUniversal(node, Type.BITSTRING)) throw new Error('keyUsage is not a BIT STRING');
  const content = contentOf(node, 'keyUsage');
  const usages = new Set<KeyUsage>();
  for (const [usage, bit] of Object.entries(keyUsageBits) as [KeyUsage, number][]) {
    const byte = content[1 + (bit >> 3)];
    if (byte !== undefined && (byte & (0x80 >> (bit & 7))) !== 0) usages.add(usage);
  }
  return usages;
}

export function decodeKeyIdentifier(value: Buffer): Buffer {
  const node = parseDer(value);
  if (!isUniversal(node, Type.OCTETSTRING)) throw new Error('subjectKeyIdentifier is not an OCTET STRING');
  return contentOf(node, 'subjectKeyIdentifier');
}

/** The only extension with `oid`; an error if it appears more than once. */
export function findExtension(
  extensions: readonly CertificateExtension[],
  oid: string,
): CertificateExtension | null {
  const matches = extensions.filter((extension) => extension.oid === oid);
  if (matches.length > 1) throw new Error(`extension ${oid} appears ${matches.length} times`);
  return matches[0] ?? null;
}
