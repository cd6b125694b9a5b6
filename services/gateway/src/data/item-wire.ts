import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import {
  ApiKeySchema,
  CredentialSchema,
  ItemSchema,
  MemoryEntrySchema,
  NoteSchema,
  OwnerSchema,
  TaskSchema,
} from '@mosaic/contracts/v1/items_pb';
import type { ItemOwner, ItemRecord } from './item-store.js';
import { taskStatusToProto } from './item-views.js';
import { type ResourceName, resourceToProto } from './resource-names.js';
import { delimitedSize, int64Size, varintSize, writeInt64, writeString, writeVarint } from './wire-buffer.js';

/**
 * Items written straight to the protobuf wire, for the federation List: the same bytes as
 * `toBinary(ItemSchema, create(ItemSchema, itemToProto(record)))` (the tests compare them for every
 * resource), without building a message per item and walking it reflectively, which was the
 * largest share of the gateway's CPU per List after the query itself (BENCHMARKS.md). A page is
 * sized exactly first, then written into one Buffer: one allocation per response.
 *
 * Field numbers and kinds come from the generated descriptors, and every field of every item
 * message must have a writer here: a field added to items.proto without one fails at load (and
 * in the tests), so this can never silently drop data.
 */

type Value =
  | { kind: 'string'; of: (record: ItemRecord) => string }
  | { kind: 'enum'; of: (record: ItemRecord) => number }
  | { kind: 'strings'; of: (record: ItemRecord) => readonly string[] }
  | { kind: 'timestamp'; of: (record: ItemRecord) => Date | null }
  | { kind: 'owner'; of: (record: ItemRecord) => ItemOwner };

const text = (of: (record: ItemRecord) => string | null): Value => ({
  kind: 'string',
  of: (r) => of(r) ?? '',
});
const time = (of: (record: ItemRecord) => Date | null): Value => ({ kind: 'timestamp', of });

const common: Record<string, Value> = {
  id: text((r) => r.id),
  owner: { kind: 'owner', of: (r) => r.owner },
  body: text((r) => r.body),
  createdAt: time((r) => r.createdAt),
  updatedAt: time((r) => r.updatedAt),
};
const titled: Record<string, Value> = {
  ...common,
  title: text((r) => r.title),
  tags: { kind: 'strings', of: (r) => r.tags },
};

/** What each resource's message carries, by the field's local name in the generated code. */
const valuesByResource: Record<ResourceName, { schema: DescMessage; values: Record<string, Value> }> = {
  tasks: {
    schema: TaskSchema,
    values: {
      ...titled,
      status: { kind: 'enum', of: (r) => taskStatusToProto[r.status ?? 'open'] },
      dueAt: time((r) => r.dueAt),
    },
  },
  notes: { schema: NoteSchema, values: titled },
  memory: { schema: MemoryEntrySchema, values: titled },
  credentials: {
    schema: CredentialSchema,
    values: {
      ...common,
      name: text((r) => r.title),
      kind: text((r) => r.kind),
      username: text((r) => r.username),
      url: text((r) => r.url),
      maskedValue: text((r) => r.maskedValue),
      expiresAt: time((r) => r.expiresAt),
    },
  },
  api_keys: {
    schema: ApiKeySchema,
    values: {
      ...common,
      name: text((r) => r.title),
      provider: text((r) => r.provider),
      maskedValue: text((r) => r.maskedValue),
      expiresAt: time((r) => r.expiresAt),
    },
  },
};

/**
 * The UTF-8 byte lengths of a page's strings, in writing order: the sizing pass pushes each once,
 * the writing pass takes them back, so no string is measured twice.
 */
class StringLengths {
  private readonly values: number[] = [];
  private next = 0;

  measure(string: string): number {
    const length = Buffer.byteLength(string);
    this.values.push(length);
    return length;
  }

  take(): number {
    return this.values[this.next++]!;
  }
}

/** One field: its encoded size (0 when absent) and its writer (which returns the next offset). */
interface FieldCodec {
  size(record: ItemRecord, lengths: StringLengths): number;
  write(buffer: Buffer, offset: number, record: ItemRecord, lengths: StringLengths): number;
}

const ownerUser = (OwnerSchema.field.userId!.number << 3) | WireType.LengthDelimited;
const ownerTeam = (OwnerSchema.field.teamId!.number << 3) | WireType.LengthDelimited;
const secondsTag = 1 << 3;
const nanosTag = 2 << 3;

/** As protobuf-es's timestampFromMs: whole seconds rounded down, the rest as nanoseconds. */
function timestampParts(date: Date): { seconds: number; nanos: number; size: number } {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  const size = (seconds !== 0 ? 1 + int64Size(seconds) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
  return { seconds, nanos, size };
}

/** The codec of one field, after checking that the value's kind is the field's. */
function fieldCodec(schema: DescMessage, field: DescField, value: Value | undefined): FieldCodec {
  const where = `${schema.typeName}.${field.name}`;
  if (!value) throw new Error(`item-wire has no value for ${where}: add it to valuesByResource`);
  const expected =
    field.fieldKind === 'scalar' && field.scalar === ScalarType.STRING
      ? 'string'
      : field.fieldKind === 'enum'
        ? 'enum'
        : field.fieldKind === 'list' && field.listKind === 'scalar' && field.scalar === ScalarType.STRING
          ? 'strings'
          : field.fieldKind === 'message' && field.message.typeName === 'google.protobuf.Timestamp'
            ? 'timestamp'
            : field.fieldKind === 'message' && field.message.typeName === OwnerSchema.typeName
              ? 'owner'
              : 'unsupported';
  if (expected !== value.kind || field.oneof) {
    throw new Error(`item-wire writes ${where} as ${value.kind}, but the contract has ${expected}`);
  }
  const tag = (field.number << 3) | WireType.LengthDelimited;
  // Proto3 implicit presence, as protobuf-es writes it: empty strings, 0 enums and empty lists are
  // left out; a message field is written whenever it is set.
  switch (value.kind) {
    case 'string': {
      const { of } = value;
      return {
        size: (record, lengths) => {
          const string = of(record);
          return string === '' ? 0 : delimitedSize(tag, lengths.measure(string));
        },
        write: (buffer, offset, record, lengths) => {
          const string = of(record);
          return string === '' ? offset : writeString(buffer, offset, tag, string, lengths.take());
        },
      };
    }
    case 'enum': {
      const { of } = value;
      const varintTag = (field.number << 3) | WireType.Varint;
      return {
        size: (record) => {
          const number = of(record);
          return number === 0 ? 0 : varintSize(varintTag) + varintSize(number);
        },
        write: (buffer, offset, record) => {
          const number = of(record);
          return number === 0 ? offset : writeVarint(buffer, writeVarint(buffer, offset, varintTag), number);
        },
      };
    }
    case 'strings': {
      const { of } = value;
      return {
        size: (record, lengths) => {
          let size = 0;
          for (const string of of(record)) size += delimitedSize(tag, lengths.measure(string));
          return size;
        },
        write: (buffer, offset, record, lengths) => {
          for (const string of of(record)) offset = writeString(buffer, offset, tag, string, lengths.take());
          return offset;
        },
      };
    }
    case 'timestamp': {
      const { of } = value;
      return {
        size: (record) => {
          const date = of(record);
          return date ? delimitedSize(tag, timestampParts(date).size) : 0;
        },
        write: (buffer, offset, record) => {
          const date = of(record);
          if (!date) return offset;
          const { seconds, nanos, size } = timestampParts(date);
          offset = writeVarint(buffer, writeVarint(buffer, offset, tag), size);
          if (seconds !== 0) offset = writeInt64(buffer, writeVarint(buffer, offset, secondsTag), seconds);
          if (nanos !== 0) offset = writeVarint(buffer, writeVarint(buffer, offset, nanosTag), nanos);
          return offset;
        },
      };
    }
    case 'owner': {
      const { of } = value;
      const ownerTag = (owner: ItemOwner) => (owner.kind === 'user' ? ownerUser : ownerTeam);
      return {
        size: (record, lengths) => {
          const owner = of(record);
          return delimitedSize(tag, delimitedSize(ownerTag(owner), lengths.measure(owner.id)));
        },
        write: (buffer, offset, record, lengths) => {
          const owner = of(record);
          const length = lengths.take();
          offset = writeVarint(
            buffer,
            writeVarint(buffer, offset, tag),
            delimitedSize(ownerTag(owner), length),
          );
          return writeString(buffer, offset, ownerTag(owner), owner.id, length);
        },
      };
    }
  }
}

interface ResourceCodec {
  /** Tag of the Item.item oneof member that carries this resource. */
  caseTag: number;
  resource: number;
  fields: FieldCodec[];
}

const itemResourceTag = (ItemSchema.field.resource!.number << 3) | WireType.Varint;

const codecs = Object.fromEntries(
  Object.entries(valuesByResource).map(([name, { schema, values }]) => {
    const member = ItemSchema.fields.find(
      (field) => field.oneof && field.fieldKind === 'message' && field.message.typeName === schema.typeName,
    );
    if (!member) throw new Error(`Item has no oneof member of type ${schema.typeName}`);
    for (const local of Object.keys(values)) {
      if (!schema.field[local]) throw new Error(`item-wire writes ${local}, which ${schema.typeName} lacks`);
    }
    // Fields in number order, as protobuf-es writes them.
    const fields = [...schema.fields]
      .sort((a, b) => a.number - b.number)
      .map((field) => fieldCodec(schema, field, values[field.localName]));
    const codec: ResourceCodec = {
      caseTag: (member.number << 3) | WireType.LengthDelimited,
      resource: resourceToProto(name as ResourceName),
      fields,
    };
    return [name, codec];
  }),
) as Record<ResourceName, ResourceCodec>;

/** Sizes of one record: its resource message, and the Item around it. */
function sizesOf(
  record: ItemRecord,
  codec: ResourceCodec,
  lengths: StringLengths,
): { message: number; item: number } {
  let message = 0;
  for (const field of codec.fields) message += field.size(record, lengths);
  const item =
    delimitedSize(codec.caseTag, message) + varintSize(itemResourceTag) + varintSize(codec.resource);
  return { message, item };
}

/**
 * Each record's Item message, encoded inside its length prefix (a repeated field's element as
 * written), as views into one Buffer sized exactly for all of them.
 */
export function encodeItemsDelimited(records: readonly ItemRecord[]): Uint8Array[] {
  const lengths = new StringLengths();
  const sizes = records.map((record) => sizesOf(record, codecs[record.resource], lengths));
  let total = 0;
  for (const size of sizes) total += varintSize(size.item) + size.item;
  const buffer = Buffer.allocUnsafe(total);
  const views: Uint8Array[] = [];
  let offset = 0;
  records.forEach((record, index) => {
    const codec = codecs[record.resource];
    const { message, item } = sizes[index]!;
    const start = offset;
    offset = writeVarint(buffer, offset, item);
    offset = writeVarint(buffer, writeVarint(buffer, offset, codec.caseTag), message);
    for (const field of codec.fields) offset = field.write(buffer, offset, record, lengths);
    offset = writeVarint(buffer, writeVarint(buffer, offset, itemResourceTag), codec.resource);
    // Every byte of the unsafe allocation is written: a size that disagreed with its writer would
    // leave stale memory in the response, so it is refused instead.
    if (offset - start !== varintSize(item) + item) {
      throw new Error(
        `item-wire wrote ${offset - start} bytes of an item it sized at ${varintSize(item) + item}`,
      );
    }
    views.push(buffer.subarray(start, offset));
  });
  return views;
}

/** One record's Item message, encoded inside its length prefix. */
export function encodeItemDelimited(record: ItemRecord): Uint8Array {
  return encodeItemsDelimited([record])[0]!;
}
