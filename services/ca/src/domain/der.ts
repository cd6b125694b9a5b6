import forge from 'node-forge';

/**
 * Thin helpers over forge's ASN.1 model. forge works on "binary strings" (one char per byte);
 * everything that leaves this file is a Buffer. Building goes through forge.asn1.create/toDer,
 * parsing through forge.asn1.fromDer in strict mode with a round-trip check, so a parsed node's
 * re-encoding is byte-identical to the input slice it came from.
 */
const { asn1 } = forge;
export type Asn1 = forge.asn1.Asn1;

export const Class = asn1.Class;
export const Type = asn1.Type;

/** Object identifiers the CA writes or reads. */
export const oids = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  extensionRequest: '1.2.840.113549.1.9.14',
  msExtensionRequest: '1.3.6.1.4.1.311.2.1.14',
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export function toBinary(bytes: Buffer): string {
  return bytes.toString('latin1');
}

export function fromBinary(bytes: string): Buffer {
  return Buffer.from(bytes, 'latin1');
}

export function encode(node: Asn1): Buffer {
  return fromBinary(asn1.toDer(node).getBytes());
}

type FromDer = (
  bytes: string,
  options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
) => Asn1;

/**
 * Parses strict DER. BIT STRINGs stay opaque (their content is the raw bytes, unused-bits octet
 * first), and the input must re-encode to itself, so BER leniencies (non-minimal lengths or
 * integers) are refused here instead of surfacing later as a signature mismatch.
 */
export function parseDer(der: Buffer): Asn1 {
  const node = (asn1.fromDer as unknown as FromDer)(toBinary(der), {
    strict: true,
    parseAllBytes: true,
    decodeBitStrings: false,
  });
  if (!encode(node).equals(der)) throw new Error('the encoding is BER, not DER');
  return node;
}

// ---- building ----

export function sequence(children: Asn1[]): Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, children);
}

export function set(children: Asn1[]): Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.SET, true, children);
}

export function objectId(dotted: string): Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(dotted).getBytes());
}

export function nullValue(): Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.NULL, false, '');
}

export function boolean(value: boolean): Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, value ? '\xff' : '\x00');
}

/** A non-negative INTEGER from big-endian magnitude bytes, minimally encoded. */
export function unsignedInteger(magnitude: Buffer): Asn1 {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  let content = magnitude.subarray(start);
  if (content.length === 0) content = Buffer.from([0]);
  if ((content[0]! & 0x80) !== 0) content = Buffer.concat([Buffer.from([0]), content]);
  return asn1.create(Class.UNIVERSAL, Type.INTEGER, false, toBinary(content));
}

export function bigintToMagnitude(value: bigint): Buffer {
  if (value < 0n) throw new RangeError('negative integer');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

export function smallInteger(value: number): Asn1 {
  return unsignedInteger(bigintToMagnitude(BigInt(value)));
}

export function enumerated(value: number): Asn1 {
  const integer = smallInteger(value);
  return asn1.create(Class.UNIVERSAL, Type.ENUMERATED, false, integer.value as string);
}

export function octetString(bytes: Buffer): Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, toBinary(bytes));
}

/** A BIT STRING; `unusedBits` of the last octet are padding. */
export function bitString(bytes: Buffer, unusedBits = 0): Asn1 {
  return asn1.create(
    Class.UNIVERSAL,
    Type.BITSTRING,
    false,
    toBinary(Buffer.concat([Buffer.from([unusedBits]), bytes])),
  );
}

export function utf8String(value: string): Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.UTF8, false, toBinary(Buffer.from(value, 'utf8')));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; always whole seconds, Z. */
export function time(date: Date): Asn1 {
  const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return seconds.getUTCFullYear() < 2050
    ? asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, asn1.dateToUtcTime(seconds))
    : asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(seconds));
}

/** `[tag] EXPLICIT` wrapper around one value. */
export function explicit(tag: number, child: Asn1): Asn1 {
  return asn1.create(Class.CONTEXT_SPECIFIC, tag as forge.asn1.Type, true, [child]);
}

/** `[tag] IMPLICIT` primitive (e.g. a GeneralName's dNSName, a keyIdentifier). */
export function implicitPrimitive(tag: number, bytes: Buffer): Asn1 {
  return asn1.create(Class.CONTEXT_SPECIFIC, tag as forge.asn1.Type, false, toBinary(bytes));
}

/** `[tag] IMPLICIT` constructed (e.g. GeneralNames inside a DistributionPointName). */
export function implicitConstructed(tag: number, children: Asn1[]): Asn1 {
  return asn1.create(Class.CONTEXT_SPECIFIC, tag as forge.asn1.Type, true, children);
}

/** Embeds already-encoded DER (a Name, a SubjectPublicKeyInfo) as a node. */
export function raw(der: Buffer): Asn1 {
  return parseDer(der);
}

export function algorithmSha256WithRsa(): Asn1 {
  return sequence([objectId(oids.sha256WithRsa), nullValue()]);
}

// ---- reading ----

export function isUniversal(node: Asn1 | undefined, type: forge.asn1.Type): boolean {
  return node !== undefined && node.tagClass === Class.UNIVERSAL && node.type === type;
}

export function isContext(node: Asn1 | undefined, tag: number): boolean {
  return node !== undefined && node.tagClass === Class.CONTEXT_SPECIFIC && node.type === tag;
}

/** The children of a constructed node, or an error naming what was expected. */
export function childrenOf(node: Asn1 | undefined, what: string): Asn1[] {
  if (node === undefined || !node.constructed || !Array.isArray(node.value)) {
    throw new Error(`${what} is not a constructed ASN.1 value`);
  }
  return node.value;
}

export function expectSequence(node: Asn1 | undefined, what: string): Asn1[] {
  if (!isUniversal(node, Type.SEQUENCE)) throw new Error(`${what} is not a SEQUENCE`);
  return childrenOf(node, what);
}

export function contentOf(node: Asn1 | undefined, what: string): Buffer {
  if (node === undefined || node.constructed || typeof node.value !== 'string') {
    throw new Error(`${what} is not a primitive ASN.1 value`);
  }
  return fromBinary(node.value);
}

export function readObjectId(node: Asn1 | undefined, what: string): string {
  if (!isUniversal(node, Type.OID)) throw new Error(`${what} is not an OBJECT IDENTIFIER`);
  return asn1.derToOid(node!.value as string);
}

export function readBoolean(node: Asn1 | undefined, what: string): boolean {
  if (!isUniversal(node, Type.BOOLEAN)) throw new Error(`${what} is not a BOOLEAN`);
  const content = contentOf(node, what);
  if (content.length !== 1 || (content[0] !== 0 && content[0] !== 0xff)) {
    throw new Error(`${what} is not a DER BOOLEAN`);
  }
  return content[0] === 0xff;
}

/** The content octets of a BIT STRING with no unused bits (a signature, a public key). */
export function readBitStringBytes(node: Asn1 | undefined, what: string): Buffer {
  if (!isUniversal(node, Type.BITSTRING)) throw new Error(`${what} is not a BIT STRING`);
  const content = contentOf(node, what);
  if (content.length === 0 || content[0] !== 0) throw new Error(`${what} has unused bits`);
  return content.subarray(1);
}

/** A non-negative INTEGER as lowercase hex of its content octets (sign octet dropped). */
export function readUnsignedIntegerHex(node: Asn1 | undefined, what: string): string {
  if (!isUniversal(node, Type.INTEGER)) throw new Error(`${what} is not an INTEGER`);
  const content = contentOf(node, what);
  if (content.length === 0 || (content[0]! & 0x80) !== 0) throw new Error(`${what} is negative`);
  const magnitude = content.length > 1 && content[0] === 0 ? content.subarray(1) : content;
  return magnitude.toString('hex');
}

export function readTime(node: Asn1 | undefined, what: string): Date {
  if (isUniversal(node, Type.UTCTIME)) return asn1.utcTimeToDate(node!.value as string);
  if (isUniversal(node, Type.GENERALIZEDTIME)) return asn1.generalizedTimeToDate(node!.value as string);
  throw new Error(`${what} is not a UTCTime or GeneralizedTime`);
}

/** A directory string (UTF8String, PrintableString, IA5String, TeletexString, BMPString) as text. */
export function readDirectoryString(node: Asn1 | undefined, what: string): string {
  if (node === undefined || node.tagClass !== Class.UNIVERSAL || typeof node.value !== 'string') {
    throw new Error(`${what} is not a string`);
  }
  switch (node.type as number) {
    case Type.UTF8:
      return fromBinary(node.value).toString('utf8');
    case Type.PRINTABLESTRING:
    case Type.IA5STRING:
    case 20: // TeletexString, read as Latin-1
    case Type.BMPSTRING: // forge decodes BMPString to JS characters already
      return node.value;
    default:
      throw new Error(`${what} has an unsupported string type ${node.type}`);
  }
}
