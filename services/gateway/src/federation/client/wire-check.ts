import { isUtf8 } from 'node:buffer';
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';

/** A peer's answer holds bytes that are not the message they claim to be. */
export class MalformedWireError extends Error {
  override readonly name = 'MalformedWireError';
}

/** Nesting a peer's item may have at most (Item → resource message → Owner or Timestamp is 3). */
const maxDepth = 16;

/** What a known field's value must be on the wire. */
interface FieldPlan {
  name: string;
  wireType: WireType;
  /** Check the content of a length-delimited value as UTF-8. */
  utf8: boolean;
  /** Check the content of a length-delimited value as this message. */
  message: DescMessage | undefined;
  /** A repeated number: also accepted packed (length-delimited), as values of `wireType`. */
  packable: boolean;
}

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

function planOf(field: DescField): FieldPlan {
  const name = `${field.parent.typeName}.${field.name}`;
  const plan = (wireType: WireType, more: Partial<FieldPlan> = {}): FieldPlan => ({
    name,
    wireType,
    utf8: false,
    message: undefined,
    packable: false,
    ...more,
  });
  switch (field.fieldKind) {
    case 'scalar':
      return plan(scalarWireType(field.scalar), { utf8: field.scalar === ScalarType.STRING });
    case 'enum':
      return plan(WireType.Varint);
    case 'message':
      return plan(WireType.LengthDelimited, { message: field.message });
    case 'list':
      if (field.listKind === 'message') return plan(WireType.LengthDelimited, { message: field.message });
      if (field.listKind === 'enum') return plan(WireType.Varint, { packable: true });
      return plan(scalarWireType(field.scalar), {
        utf8: field.scalar === ScalarType.STRING,
        packable: scalarWireType(field.scalar) !== WireType.LengthDelimited,
      });
    case 'map':
      // Item and its messages have no map; an entry is at least a well-formed length-delimited value.
      return plan(WireType.LengthDelimited);
  }
}

/** Each message's field plans by field number, made once. */
const plans = new WeakMap<DescMessage, Map<number, FieldPlan>>();
function plansOf(schema: DescMessage): Map<number, FieldPlan> {
  let found = plans.get(schema);
  if (!found) {
    found = new Map(schema.fields.map((field) => [field.number, planOf(field)]));
    plans.set(schema, found);
  }
  return found;
}

/**
 * Throws a MalformedWireError unless `bytes[start, end)` is a well-formed `schema` message: every
 * length and varint within bounds (tags and lengths at most 5 bytes, values at most 10), every
 * known field of the wire type its declaration gives (repeated numbers packed or not), strings
 * valid UTF-8, nested messages well-formed in turn; unknown fields are allowed (a newer peer),
 * groups are not. For bytes passed on without being decoded (query-wire.ts): one peer's malformed
 * item must fail that peer's source, not the whole answer in the agent's decoder, and a strict
 * decoder (Go's refuses invalid UTF-8 in a string) must accept what we pass on. One pass over the
 * bytes without allocating: a peer's page is checked in less time than decoding it would take.
 */
export function checkWireMessage(
  schema: DescMessage,
  bytes: Uint8Array,
  start = 0,
  end = bytes.byteLength,
  depth = 0,
): void {
  if (depth > maxDepth)
    throw new MalformedWireError(`${schema.typeName} is nested more than ${maxDepth} deep`);
  const fields = plansOf(schema);
  let pos = start;
  while (pos < end) {
    const at = pos;
    // The tag: a varint of at most 5 bytes.
    let tag = 0;
    let scale = 1;
    for (let read = 0; ; read += 1) {
      if (read === 5) throw malformed(schema, at, 'has a field tag over 5 bytes');
      if (pos >= end) throw malformed(schema, at, 'ends inside a field tag');
      const byte = bytes[pos++]!;
      tag += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) break;
    }
    const no = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (no < 1) throw malformed(schema, at, 'has a field numbered 0');
    const plan = fields.get(no);
    switch (wireType) {
      case WireType.Varint: {
        let read = 0;
        for (;;) {
          if (read === 10) throw malformed(schema, at, `has a varint over 10 bytes in field ${no}`);
          if (pos >= end) throw malformed(schema, at, `ends inside the varint of field ${no}`);
          read += 1;
          if (bytes[pos++]! < 0x80) break;
        }
        break;
      }
      case WireType.Bit64:
      case WireType.Bit32:
        pos += wireType === WireType.Bit64 ? 8 : 4;
        if (pos > end) throw malformed(schema, at, `ends inside the fixed-size value of field ${no}`);
        break;
      case WireType.LengthDelimited: {
        let length = 0;
        let lengthScale = 1;
        for (let read = 0; ; read += 1) {
          if (read === 5) throw malformed(schema, at, `has a length over 5 bytes in field ${no}`);
          if (pos >= end) throw malformed(schema, at, `ends inside the length of field ${no}`);
          const byte = bytes[pos++]!;
          length += (byte & 0x7f) * lengthScale;
          lengthScale *= 128;
          if (byte < 0x80) break;
        }
        if (pos + length > end)
          throw malformed(schema, at, `has field ${no} longer than the bytes that hold it`);
        if (plan) {
          if (plan.message) checkWireMessage(plan.message, bytes, pos, pos + length, depth + 1);
          else if (plan.utf8 && !isUtf8Range(bytes, pos, pos + length)) {
            throw new MalformedWireError(`${plan.name} is not valid UTF-8`);
          } else if (plan.packable) checkPacked(plan, bytes, pos, pos + length);
        }
        pos += length;
        break;
      }
      default:
        throw malformed(
          schema,
          at,
          `has wire type ${wireType} in field ${no} (groups and reserved types are refused)`,
        );
    }
    if (plan && plan.wireType !== wireType && !(plan.packable && wireType === WireType.LengthDelimited)) {
      throw new MalformedWireError(`${plan.name} came with wire type ${wireType}, not ${plan.wireType}`);
    }
  }
}

function malformed(schema: DescMessage, at: number, what: string): MalformedWireError {
  return new MalformedWireError(`${schema.typeName} ${what} (byte ${at})`);
}

/** ASCII, the common case, without a call into C++; anything else through `isUtf8`. */
function isUtf8Range(bytes: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    if (bytes[index]! >= 0x80) return isUtf8(bytes.subarray(index, end));
  }
  return true;
}

/** A packed run of numbers: back-to-back values of one wire type, nothing left over. */
function checkPacked(plan: FieldPlan, bytes: Uint8Array, start: number, end: number): void {
  if (plan.wireType === WireType.Bit64 || plan.wireType === WireType.Bit32) {
    if ((end - start) % (plan.wireType === WireType.Bit64 ? 8 : 4) !== 0) {
      throw new MalformedWireError(`packed ${plan.name} is not a whole number of values`);
    }
    return;
  }
  let run = 0;
  for (let index = start; index < end; index += 1) {
    run = bytes[index]! >= 0x80 ? run + 1 : 0;
    if (run >= 10) throw new MalformedWireError(`packed ${plan.name} has a varint over 10 bytes`);
  }
  if (run > 0) throw new MalformedWireError(`packed ${plan.name} ends inside a varint`);
}
