import { isUtf8 } from 'node:buffer';
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';

/** A peer's answer holds bytes that are not the message they claim to be. */
export class MalformedWireError extends Error {
  override readonly name = 'MalformedWireError';
}

/** Nesting a peer's item may have at most (Item → resource message → Owner or Timestamp is 3). */
const maxDepth = 16;
/** A varint is at most 10 bytes. */
const maxVarintBytes = 10;

/** The wire type each scalar is written with (protobuf's encoding table). */
function scalarWireType(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/**
 * Throws a MalformedWireError unless `bytes` is a well-formed `schema` message: every length and
 * varint within bounds, every known field of the wire type its declaration gives (repeated
 * numbers packed or not), strings valid UTF-8, nested messages well-formed in turn; unknown fields
 * are allowed (a newer peer), groups are not. For bytes passed on without being decoded
 * (query-wire.ts): one peer's malformed item must fail that peer's source, not the whole answer
 * in the agent's decoder, and a strict decoder (Go's refuses invalid UTF-8 in a string) must
 * accept what we pass on.
 */
export function checkWireMessage(schema: DescMessage, bytes: Uint8Array, depth = 0): void {
  if (depth > maxDepth)
    throw new MalformedWireError(`${schema.typeName} is nested more than ${maxDepth} deep`);
  const cursor: Cursor = { bytes, pos: 0 };
  while (cursor.pos < bytes.byteLength) {
    const at = cursor.pos;
    const tag = varint(cursor, 5, () => `the field tag at byte ${at} of ${schema.typeName}`);
    const no = Math.floor(tag / 8);
    const wireType = (tag % 8) as WireType;
    if (no < 1) throw new MalformedWireError(`${schema.typeName} has a field numbered 0 at byte ${at}`);
    const value = readValue(cursor, wireType, () => `${schema.typeName} field ${no} (byte ${at})`);
    const field = schema.fields.find((each) => each.number === no);
    if (field) checkField(field, wireType, value, depth);
  }
}

interface Cursor {
  readonly bytes: Uint8Array;
  pos: number;
}

/**
 * A varint of at most `maxBytes` bytes, within bounds: 5 for a tag or a length (what protobuf
 * writes for a uint32; a longer one is read differently by different decoders), 10 for a value.
 */
function varint(cursor: Cursor, maxBytes: number, what: () => string): number {
  let value = 0;
  let scale = 1;
  for (let read = 0; read < maxBytes; read += 1) {
    if (cursor.pos >= cursor.bytes.byteLength) throw new MalformedWireError(`${what()} ends inside a varint`);
    const byte = cursor.bytes[cursor.pos++]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return value;
  }
  throw new MalformedWireError(`${what()} is a varint over ${maxBytes} bytes`);
}

/** Reads past one field's value, in bounds; answers a length-delimited value's content. */
function readValue(cursor: Cursor, wireType: WireType, where: () => string): Uint8Array | undefined {
  switch (wireType) {
    case WireType.Varint:
      varint(cursor, maxVarintBytes, where);
      return undefined;
    case WireType.Bit64:
    case WireType.Bit32:
      cursor.pos += wireType === WireType.Bit64 ? 8 : 4;
      if (cursor.pos > cursor.bytes.byteLength) {
        throw new MalformedWireError(`${where()} ends inside a fixed-size value`);
      }
      return undefined;
    case WireType.LengthDelimited: {
      const length = varint(cursor, 5, () => `the length of ${where()}`);
      if (cursor.pos + length > cursor.bytes.byteLength) {
        throw new MalformedWireError(`${where()} is longer than the bytes that hold it`);
      }
      const content = cursor.bytes.subarray(cursor.pos, cursor.pos + length);
      cursor.pos += length;
      return content;
    }
    default:
      throw new MalformedWireError(
        `${where()} has wire type ${wireType} (groups and reserved types are refused)`,
      );
  }
}

function checkField(
  field: DescField,
  wireType: WireType,
  content: Uint8Array | undefined,
  depth: number,
): void {
  const name = `${field.parent.typeName}.${field.name}`;
  const expect = (wanted: WireType) => {
    if (wireType !== wanted) {
      throw new MalformedWireError(`${name} came with wire type ${wireType}, not ${wanted}`);
    }
  };
  switch (field.fieldKind) {
    case 'scalar':
      expect(scalarWireType(field.scalar));
      if (field.scalar === ScalarType.STRING && !isUtf8(content!)) {
        throw new MalformedWireError(`${name} is not valid UTF-8`);
      }
      return;
    case 'enum':
      expect(WireType.Varint);
      return;
    case 'message':
      expect(WireType.LengthDelimited);
      checkWireMessage(field.message, content!, depth + 1);
      return;
    case 'list': {
      if (field.listKind === 'message') {
        expect(WireType.LengthDelimited);
        checkWireMessage(field.message, content!, depth + 1);
        return;
      }
      const element = field.listKind === 'enum' ? WireType.Varint : scalarWireType(field.scalar);
      if (element !== WireType.LengthDelimited && wireType === WireType.LengthDelimited) {
        checkPacked(name, element, content!);
        return;
      }
      expect(element);
      if (field.listKind === 'scalar' && field.scalar === ScalarType.STRING && !isUtf8(content!)) {
        throw new MalformedWireError(`an element of ${name} is not valid UTF-8`);
      }
      return;
    }
    case 'map':
      // Item and its messages have no map; an entry is at least a well-formed length-delimited value.
      expect(WireType.LengthDelimited);
      return;
  }
}

/** A packed run of numbers: back-to-back values of one wire type, nothing left over. */
function checkPacked(name: string, element: WireType, content: Uint8Array): void {
  if (element === WireType.Bit64 || element === WireType.Bit32) {
    if (content.byteLength % (element === WireType.Bit64 ? 8 : 4) !== 0) {
      throw new MalformedWireError(`packed ${name} is not a whole number of values`);
    }
    return;
  }
  let run = 0;
  for (const byte of content) {
    run = byte & 0x80 ? run + 1 : 0;
    if (run >= maxVarintBytes) throw new MalformedWireError(`packed ${name} has a varint over 10 bytes`);
  }
  if (run > 0) throw new MalformedWireError(`packed ${name} ends inside a varint`);
}
