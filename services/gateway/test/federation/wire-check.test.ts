import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { SourceCodeInfo_LocationSchema } from '@bufbuild/protobuf/wkt';
import { ItemSchema, TaskSchema } from '@mosaic/contracts/v1/items_pb';
import { expect } from 'chai';
import { itemFromRow, resourceColumns } from '../../src/data/item-store.js';
import { itemToProto } from '../../src/data/item-views.js';
import { resourceNames } from '../../src/data/resource-names.js';
import { checkWireMessage, MalformedWireError } from '../../src/federation/client/wire-check.js';
import { random, row } from '../data/item-rows.js';

const taskField = ItemSchema.field.task!.number;
const titleField = TaskSchema.field.title!.number;

/** An Item holding a Task whose content is `task` (raw bytes), as a peer could send it. */
function itemWithTask(task: Uint8Array): Uint8Array {
  return new BinaryWriter().tag(taskField, WireType.LengthDelimited).bytes(task).finish();
}

function refusal(bytes: Uint8Array): string {
  try {
    checkWireMessage(ItemSchema, bytes);
  } catch (error) {
    if (error instanceof MalformedWireError) return error.message;
    throw error;
  }
  return expect.fail('the bytes were accepted');
}

describe("gateway federation: a peer's items checked before they are passed on undecoded (wire-check)", () => {
  it('accepts every generated item of every resource, and unknown fields a newer peer may add', () => {
    const rng = random(11);
    for (const resource of resourceNames) {
      for (let n = 0; n < 300; n += 1) {
        const item = itemToProto(itemFromRow(resourceColumns[resource], row(resource, rng)));
        const bytes = toBinary(ItemSchema, create(ItemSchema, item));
        checkWireMessage(ItemSchema, bytes);
        const newer = new BinaryWriter();
        newer.raw(bytes);
        newer.tag(99, WireType.Varint).uint64(2n ** 63n);
        newer.tag(100, WireType.LengthDelimited).string('a later field');
        newer.tag(101, WireType.Bit64).fixed64(7n);
        checkWireMessage(ItemSchema, newer.finish());
      }
    }
  });

  it("refuses every truncation protobuf-es's own decoder refuses, and no other", () => {
    const rng = random(12);
    for (const resource of resourceNames) {
      // Every cut of a few items of ordinary size (the generator also makes 40 KB bodies).
      let bytes: Uint8Array;
      do {
        const item = itemToProto(itemFromRow(resourceColumns[resource], row(resource, rng)));
        bytes = toBinary(ItemSchema, create(ItemSchema, item));
      } while (bytes.byteLength > 2_000);
      for (let length = 0; length < bytes.byteLength; length += 1) {
        const cut = bytes.subarray(0, length);
        let decoderRefused = false;
        try {
          fromBinary(ItemSchema, cut);
        } catch {
          decoderRefused = true;
        }
        let checkRefused = false;
        try {
          checkWireMessage(ItemSchema, cut);
        } catch (error) {
          if (!(error instanceof MalformedWireError)) throw error;
          checkRefused = true;
        }
        expect(checkRefused, `${resource} cut to ${length} of ${bytes.byteLength} bytes`).to.equal(
          decoderRefused,
        );
      }
    }
  });

  it('refuses a string that is not UTF-8, which a strict decoder would refuse for the whole answer', () => {
    const task = new BinaryWriter()
      .tag(titleField, WireType.LengthDelimited)
      .bytes(new Uint8Array([0x61, 0xff, 0xfe]))
      .finish();
    expect(refusal(itemWithTask(task))).to.equal('mosaic.federation.v1.Task.title is not valid UTF-8');
    const tags = TaskSchema.field.tags!.number;
    const badTag = new BinaryWriter()
      .tag(tags, WireType.LengthDelimited)
      .bytes(new Uint8Array([0xc3]))
      .finish();
    expect(refusal(itemWithTask(badTag))).to.match(/^mosaic\.federation\.v1\.Task\.tags is not valid UTF-8$/);
  });

  it('refuses a known field of the wrong wire type, a group, over-long varints and lengths past the end', () => {
    const titleAsVarint = new BinaryWriter().tag(titleField, WireType.Varint).uint32(1).finish();
    expect(refusal(itemWithTask(titleAsVarint))).to.match(/Task\.title came with wire type 0, not 2/);
    expect(refusal(new Uint8Array([(7 << 3) | WireType.StartGroup]))).to.match(/wire type 3/);
    const overlong = new Uint8Array([(99 << 3) | WireType.Varint, ...new Array(10).fill(0x80), 0x01]);
    expect(refusal(overlong)).to.match(/varint over 10 bytes/);
    expect(refusal(new Uint8Array([(taskField << 3) | WireType.LengthDelimited, 5, 0x0a]))).to.match(
      /longer than the bytes that hold it/,
    );
    expect(refusal(new Uint8Array([0x00]))).to.match(/field numbered 0/);
    expect(refusal(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).to.match(/field tag over 5 bytes/);
  });

  it('checks packed repeated numbers (no Item field has them; a descriptor message does)', () => {
    const packed = toBinary(
      SourceCodeInfo_LocationSchema,
      create(SourceCodeInfo_LocationSchema, { path: [1, 300, 70_000] }),
    );
    checkWireMessage(SourceCodeInfo_LocationSchema, packed);
    const path = SourceCodeInfo_LocationSchema.field.path!.number;
    const unfinished = new BinaryWriter()
      .tag(path, WireType.LengthDelimited)
      .bytes(new Uint8Array([0x01, 0x80]))
      .finish();
    expect(() => checkWireMessage(SourceCodeInfo_LocationSchema, unfinished)).to.throw(
      MalformedWireError,
      /ends inside a varint/,
    );
  });
});
