import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { expect } from 'chai';
import { varintSize, WireWriter } from '../../src/data/wire-buffer.js';

/** A small deterministic generator (mulberry32), so a failure names a seed that replays it. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Lengths around the varint boundaries (127/128, 16383/16384) in ASCII and in 2- and 3-byte text.
const strings = [
  '',
  'a',
  'x'.repeat(127),
  'x'.repeat(128),
  'é'.repeat(63),
  'é'.repeat(64),
  '✓'.repeat(42),
  '✓'.repeat(43),
  'lone \ud800 surrogate',
  '🚀'.repeat(40),
  'é'.repeat(8191),
  'é'.repeat(8192),
  '✓'.repeat(6000),
  // Past 16K UTF-16 units a string is measured before it is written.
  'x'.repeat(20_000),
  'é'.repeat(17_000),
];
const numbers = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];

/**
 * Writes the same random message to a WireWriter and to protobuf-es's BinaryWriter: strings,
 * varints and int64s, in nested length-delimited fields whose expected lengths are often wrong.
 */
function both(seed: number, writer: WireWriter): { ours: Buffer; theirs: Buffer } {
  const next = random(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  const reference = new BinaryWriter();
  let depth = 0;
  for (let step = 0; step < 60; step += 1) {
    const field = 1 + Math.floor(next() * 20);
    const choice = next();
    if (choice < 0.35) {
      const value = pick(strings);
      writer.string((field << 3) | WireType.LengthDelimited, value);
      reference.tag(field, WireType.LengthDelimited).string(value);
    } else if (choice < 0.5) {
      const value = pick(numbers);
      writer.varint((field << 3) | WireType.Varint);
      writer.varint(value);
      reference.tag(field, WireType.Varint).uint64(value);
    } else if (choice < 0.6) {
      // int64 values the writer takes: safe integers (timestamps' seconds are).
      const value = Math.max(-Number.MAX_SAFE_INTEGER, -pick(numbers) - 1);
      writer.varint((field << 3) | WireType.Varint);
      writer.int64(value);
      reference.tag(field, WireType.Varint).int64(value);
    } else if (choice < 0.8 && depth < 4) {
      writer.begin((field << 3) | WireType.LengthDelimited, pick([0, 100, 200, 20_000, 3_000_000]));
      reference.tag(field, WireType.LengthDelimited).fork();
      depth += 1;
    } else if (depth > 0) {
      writer.end();
      reference.join();
      depth -= 1;
    }
  }
  for (; depth > 0; depth -= 1) {
    writer.end();
    reference.join();
  }
  return { ours: writer.take(), theirs: Buffer.from(reference.finish()) };
}

describe('gateway data: the one-pass wire writer (wire-buffer)', () => {
  it('writes what protobuf-es writes, across varint boundaries, wrong expected lengths and buffer growth', () => {
    // A tiny scratch buffer forces growth in the middle of strings and of nested messages.
    const writer = new WireWriter(16);
    for (let seed = 1; seed <= 400; seed += 1) {
      const { ours, theirs } = both(seed, writer);
      expect(ours.equals(theirs), `seed ${seed}`).to.equal(true);
    }
  });

  it('varintSize agrees with the bytes written, for every boundary', () => {
    for (const value of [...numbers, 0x7f, 0x3fff, 0x1fffff, 0x200000, 0xfffffff, 0x10000000]) {
      expect(varintSize(value), String(value)).to.equal(new BinaryWriter().uint64(value).finish().length);
    }
  });

  it('refuses what no varint holds (Infinity, NaN, fractions, negatives, unsafe integers), and starts clean after', () => {
    const writer = new WireWriter();
    for (const value of [Number.POSITIVE_INFINITY, Number.NaN, 2 ** 53, 2 ** 31 + 0.5, -1]) {
      expect(() => writer.varint(value), String(value)).to.throw(RangeError, /no varint holds it/);
      writer.reset();
    }
    for (const value of [Number.NEGATIVE_INFINITY, Number.NaN, -(2 ** 53), 0.5]) {
      expect(() => writer.int64(value), String(value)).to.throw(RangeError, /no int64 varint holds it/);
      writer.reset();
    }
    writer.varint(2 ** 40);
    expect(writer.take()).to.deep.equal(Buffer.from(new BinaryWriter().uint64(2 ** 40).finish()));
  });

  it('refuses to hand out a message with a field still open, and an end() without a begin()', () => {
    const writer = new WireWriter();
    writer.begin(10, 5);
    writer.string(18, 'inside');
    expect(() => writer.take()).to.throw(/field still open/);
    writer.reset();
    expect(() => writer.end()).to.throw(/end\(\) without begin\(\)/);
    // After a reset the writer starts clean.
    writer.string(10, 'ok');
    expect(writer.take()).to.deep.equal(Buffer.from([10, 2, 0x6f, 0x6b]));
  });
});
