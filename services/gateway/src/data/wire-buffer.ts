/**
 * Protobuf wire primitives over one preallocated Buffer, for encoders that size a message
 * exactly first and then write it in place (item-wire.ts): no intermediate arrays or chunks.
 */

/** Bytes of `value` as an unsigned varint (uint32 range, or any non-negative safe integer). */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

/** Bytes of `value` as an int64 varint: a negative number is ten bytes (two's complement). */
export function int64Size(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

/** Bytes of a length-delimited field's payload of `length` bytes, tag and length prefix included. */
export function delimitedSize(tag: number, length: number): number {
  return varintSize(tag) + varintSize(length) + length;
}

export function writeVarint(buffer: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buffer[offset++] = value;
  return offset;
}

export function writeInt64(buffer: Buffer, offset: number, value: number): number {
  if (value >= 0) return writeVarint(buffer, offset, value);
  let rest = BigInt.asUintN(64, BigInt(value));
  while (rest >= 0x80n) {
    buffer[offset++] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
  }
  buffer[offset++] = Number(rest);
  return offset;
}

/** A string field: tag, UTF-8 byte length (`length`, from Buffer.byteLength), bytes. */
export function writeString(
  buffer: Buffer,
  offset: number,
  tag: number,
  value: string,
  length: number,
): number {
  offset = writeVarint(buffer, offset, tag);
  offset = writeVarint(buffer, offset, length);
  const written = buffer.write(value, offset, length, 'utf8');
  if (written !== length) throw new Error(`wrote ${written} bytes of a string sized at ${length}`);
  return offset + written;
}
