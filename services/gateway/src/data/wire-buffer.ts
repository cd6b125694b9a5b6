/**
 * Protobuf wire primitives written in one pass into a growable scratch Buffer (item-wire.ts). Each
 * string is encoded once, straight after a length prefix sized for it as if it were ASCII (whose
 * UTF-8 length is its `.length`); a length-delimited message is written after a prefix of the size
 * its caller expects. When the length turns out to need another prefix size, the content moves by
 * the difference: rare (only strings with non-ASCII text or messages whose size crosses a varint
 * boundary), and no pass has to measure every string first.
 */

/** Bytes of `value` as an unsigned varint (uint32 range, or any non-negative safe integer). */
export function varintSize(value: number): number {
  // `value | 0` is `value` only for an integer below 2^31: the common case, compared at once.
  if (value >= 0 && (value | 0) === value) {
    if (value < 0x80) return 1;
    if (value < 0x4000) return 2;
    if (value < 0x200000) return 3;
    return value < 0x10000000 ? 4 : 5;
  }
  requireVarint(value);
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

function putVarint(buffer: Buffer, offset: number, value: number): number {
  // Below 2^31 with integer operations: `%` and division on a double are far slower.
  if (value >= 0 && (value | 0) === value) {
    while (value > 0x7f) {
      buffer[offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buffer[offset++] = value;
    return offset;
  }
  requireVarint(value);
  while (value >= 0x80) {
    buffer[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buffer[offset++] = value;
  return offset;
}

/**
 * Refuses what no varint holds: the loops above would never end on Infinity (a timestamptz of
 * 'infinity' reads as one) and would write garbage for a fraction or a negative number.
 */
function requireVarint(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`wire writer: ${value} is not a non-negative safe integer, so no varint holds it`);
  }
}

/** Nested messages open at once, at most (Item in a repeated field, a resource message, Owner). */
const maxDepth = 8;
/** Strings longer than this (in UTF-16 units) are measured before they are written. */
const longString = 16 * 1024;
/** A scratch buffer grown past this is let go after the page that needed it. */
const keptBytes = 4 * 1024 * 1024;

export class WireWriter {
  private buffer: Buffer;
  private offset = 0;
  private depth = 0;
  private readonly starts = new Int32Array(maxDepth);
  private readonly reserved = new Int32Array(maxDepth);

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  varint(value: number): void {
    this.ensure(10);
    this.offset = putVarint(this.buffer, this.offset, value);
  }

  int64(value: number): void {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`wire writer: ${value} is not a safe integer, so no int64 varint holds it`);
    }
    if (value >= 0) {
      this.varint(value);
      return;
    }
    this.ensure(10);
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest >= 0x80n) {
      this.buffer[this.offset++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.offset++] = Number(rest);
  }

  /** A string field: tag, UTF-8 byte length, bytes (lone surrogates as U+FFFD, as TextEncoder does). */
  string(tag: number, value: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8; a long string is measured instead, so a large
    // ASCII body does not reserve three times its size.
    const most = value.length > longString ? Buffer.byteLength(value) : 3 * value.length;
    this.ensure(10 + 10 + most);
    this.offset = putVarint(this.buffer, this.offset, tag);
    const guess = varintSize(value.length);
    const start = this.offset + guess;
    const written = this.buffer.write(value, start, most, 'utf8');
    this.offset = this.prefix(start, guess, written);
  }

  /** A bytes or message field whose content is already encoded: tag, length, the bytes as given. */
  bytes(tag: number, value: Uint8Array): void {
    this.ensure(10 + 10 + value.byteLength);
    this.offset = putVarint(this.buffer, this.offset, tag);
    this.offset = putVarint(this.buffer, this.offset, value.byteLength);
    this.buffer.set(value, this.offset);
    this.offset += value.byteLength;
  }

  /** A double field (wire type I64): tag, then the IEEE 754 value little-endian. */
  double(tag: number, value: number): void {
    this.ensure(10 + 8);
    this.offset = putVarint(this.buffer, this.offset, tag);
    this.offset = this.buffer.writeDoubleLE(value, this.offset);
  }

  /**
   * Opens a length-delimited field: writes its tag and leaves room for a length prefix sized for
   * `expectedLength` bytes of content. Write the content, then `end()`.
   */
  begin(tag: number, expectedLength: number): void {
    if (this.depth === maxDepth) throw new Error(`wire writer: more than ${maxDepth} nested messages`);
    this.ensure(10 + 10);
    this.offset = putVarint(this.buffer, this.offset, tag);
    const reserved = varintSize(expectedLength);
    this.reserved[this.depth] = reserved;
    this.starts[this.depth] = this.offset + reserved;
    this.depth += 1;
    this.offset += reserved;
  }

  /** Closes the innermost open field, writing its length; answers that length. */
  end(): number {
    if (this.depth === 0) throw new Error('wire writer: end() without begin()');
    this.depth -= 1;
    const start = this.starts[this.depth]!;
    const length = this.offset - start;
    this.offset = this.prefix(start, this.reserved[this.depth]!, length);
    return length;
  }

  /**
   * The bytes written, copied into a Buffer of their own, and the writer emptied for the next
   * message. Throws if a field is still open (its length was never written).
   */
  take(): Buffer {
    if (this.depth !== 0) throw new Error('wire writer: take() with a field still open');
    const bytes = Buffer.allocUnsafe(this.offset);
    this.buffer.copy(bytes, 0, 0, this.offset);
    this.reset();
    return bytes;
  }

  /** Forgets what was written (after a failure half-way through a message). */
  reset(): void {
    this.offset = 0;
    this.depth = 0;
    if (this.buffer.length > keptBytes) this.buffer = Buffer.allocUnsafe(this.initialBytes);
  }

  /**
   * Writes the varint `length` just before `start`, where `reserved` bytes were left for it, moving
   * the `length` bytes of content at `start` when the varint needs another size. Answers the end.
   */
  private prefix(start: number, reserved: number, length: number): number {
    const needed = varintSize(length);
    let content = start;
    if (needed !== reserved) {
      this.ensureAt(start + length, needed - reserved);
      content = start + needed - reserved;
      this.buffer.copyWithin(content, start, start + length);
    }
    putVarint(this.buffer, start - reserved, length);
    return content + length;
  }

  private ensure(bytes: number): void {
    this.ensureAt(this.offset, bytes);
  }

  /** Room for `bytes` more past `end` (which may lie beyond `offset` while a string is written). */
  private ensureAt(end: number, bytes: number): void {
    if (end + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, end + bytes));
    this.buffer.copy(grown, 0, 0, end);
    this.buffer = grown;
  }
}
