import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { FeatureSet_FieldPresence, TimestampSchema } from '@bufbuild/protobuf/wkt';
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
 * sized exactly first, then written into one Buffer: one allocation for all its items, where the
 * reflective path allocated per field.
 *
 * Field numbers and kinds come from the generated descriptors, and every field of Item, Owner and
 * the five resource messages must be one this writes, of the kind and presence it writes: a field
 * added to items.proto without a writer here fails at load (and in every test), so this can never
 * silently drop or misencode data.
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

/** Credentials and API keys: a name, and the masked value and expiry of a secret never stored. */
const masked: Record<string, Value> = {
  ...common,
  name: text((r) => r.title),
  maskedValue: text((r) => r.maskedValue),
  expiresAt: time((r) => r.expiresAt),
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
      ...masked,
      kind: text((r) => r.kind),
      username: text((r) => r.username),
      url: text((r) => r.url),
    },
  },
  api_keys: { schema: ApiKeySchema, values: { ...masked, provider: text((r) => r.provider) } },
};

/**
 * The UTF-8 byte lengths of a page's strings, in writing order: the sizing pass measures each
 * once, the writing pass takes them back in the same order. Any disagreement between the passes
 * is a programming error and throws rather than writing a wrong length.
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
    if (this.next >= this.values.length) throw new Error('item-wire wrote a string it did not size');
    return this.values[this.next++]!;
  }

  /** Throws unless every measured length was taken. */
  finish(): void {
    if (this.next !== this.values.length) throw new Error('item-wire sized a string it did not write');
  }
}

/** One field: its encoded size (0 when absent) and its writer (which returns the next offset). */
interface FieldCodec {
  size(record: ItemRecord, lengths: StringLengths): number;
  write(buffer: Buffer, offset: number, record: ItemRecord, lengths: StringLengths): number;
}

const ownerUser = (OwnerSchema.field.userId!.number << 3) | WireType.LengthDelimited;
const ownerTeam = (OwnerSchema.field.teamId!.number << 3) | WireType.LengthDelimited;
const secondsTag = (TimestampSchema.field.seconds!.number << 3) | WireType.Varint;
const nanosTag = (TimestampSchema.field.nanos!.number << 3) | WireType.Varint;

// As protobuf-es's timestampFromMs: whole seconds rounded down, the rest as nanoseconds.
const secondsOf = (ms: number) => Math.floor(ms / 1000);
const nanosOf = (ms: number, seconds: number) => (ms - seconds * 1000) * 1_000_000;

function timestampSize(seconds: number, nanos: number): number {
  return (
    (seconds !== 0 ? varintSize(secondsTag) + int64Size(seconds) : 0) +
    (nanos !== 0 ? varintSize(nanosTag) + varintSize(nanos) : 0)
  );
}

/** The kind of value a field holds, as this encoder names them; undefined for any other kind. */
function kindOf(field: DescField): Value['kind'] | undefined {
  switch (field.fieldKind) {
    case 'scalar':
      return field.scalar === ScalarType.STRING ? 'string' : undefined;
    case 'enum':
      return 'enum';
    case 'list':
      return field.listKind === 'scalar' && field.scalar === ScalarType.STRING ? 'strings' : undefined;
    case 'message':
      if (field.message.typeName === 'google.protobuf.Timestamp') return 'timestamp';
      return field.message.typeName === OwnerSchema.typeName ? 'owner' : undefined;
    default:
      return undefined;
  }
}

/** The codec of one field, after checking that the value's kind and presence are the field's. */
function fieldCodec(schema: DescMessage, field: DescField, value: Value | undefined): FieldCodec {
  const where = `${schema.typeName}.${field.name}`;
  if (!value) throw new Error(`item-wire has no value for ${where}: add it to valuesByResource`);
  const kind = kindOf(field);
  if (kind !== value.kind || field.oneof) {
    throw new Error(
      `item-wire writes ${where} as ${value.kind}, but the contract has ${kind ?? 'another kind'}`,
    );
  }
  // Implicit presence is what lets an empty string or a 0 enum be left out (as protobuf-es does):
  // a field made `optional` would have to be written when set, even empty.
  if ((kind === 'string' || kind === 'enum') && field.presence !== FeatureSet_FieldPresence.IMPLICIT) {
    throw new Error(`item-wire leaves empty ${where} out, but the contract tracks its presence`);
  }
  if (field.fieldKind === 'enum' && field.enum.values.some((each) => each.number < 0)) {
    throw new Error(`item-wire writes ${where} as an unsigned varint, but the enum has negative values`);
  }
  const tag = (field.number << 3) | WireType.LengthDelimited;
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
      // An unknown stored value maps to undefined, which protobuf-es writes as the default: nothing.
      return {
        size: (record) => {
          const number = of(record);
          return !number ? 0 : varintSize(varintTag) + varintSize(number);
        },
        write: (buffer, offset, record) => {
          const number = of(record);
          return !number ? offset : writeVarint(buffer, writeVarint(buffer, offset, varintTag), number);
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
          if (!date) return 0;
          const ms = date.getTime();
          const seconds = secondsOf(ms);
          return delimitedSize(tag, timestampSize(seconds, nanosOf(ms, seconds)));
        },
        write: (buffer, offset, record) => {
          const date = of(record);
          if (!date) return offset;
          const ms = date.getTime();
          const seconds = secondsOf(ms);
          const nanos = nanosOf(ms, seconds);
          offset = writeVarint(buffer, writeVarint(buffer, offset, tag), timestampSize(seconds, nanos));
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

const itemResourceField = ItemSchema.field.resource!;
const itemResourceTag = (itemResourceField.number << 3) | WireType.Varint;

/** Throws unless `schema` has exactly the fields named (by local name). */
function requireExactFields(schema: DescMessage, names: readonly string[]): void {
  const actual = schema.fields.map((field) => field.localName).sort();
  if (actual.join() !== [...names].sort().join()) {
    throw new Error(
      `item-wire writes ${schema.typeName} as {${names.join(', ')}}, but it has {${actual.join(', ')}}`,
    );
  }
}

const codecs = Object.fromEntries(
  Object.entries(valuesByResource).map(([name, { schema, values }]) => {
    const member = ItemSchema.fields.find(
      (field) => field.oneof && field.fieldKind === 'message' && field.message.typeName === schema.typeName,
    );
    if (!member) throw new Error(`Item has no oneof member of type ${schema.typeName}`);
    requireExactFields(schema, Object.keys(values));
    // Fields in number order, as protobuf-es writes them.
    const fields = [...schema.fields]
      .sort((a, b) => a.number - b.number)
      .map((field) => fieldCodec(schema, field, values[field.localName]));
    const codec: ResourceCodec = {
      caseTag: (member.number << 3) | WireType.LengthDelimited,
      resource: resourceToProto(name as ResourceName),
      fields,
    };
    return [name, { codec, member: member.localName }];
  }),
) as Record<ResourceName, { codec: ResourceCodec; member: string }>;

// Item is the five members above (numbered before `resource`, so written first) and the resource
// enum; Owner is its two-member oneof.
requireExactFields(ItemSchema, [...Object.values(codecs).map((each) => each.member), 'resource']);
if (
  !ItemSchema.fields.every((field) => field === itemResourceField || field.number < itemResourceField.number)
) {
  throw new Error('item-wire writes Item.resource last, but a oneof member is numbered after it');
}
requireExactFields(OwnerSchema, ['userId', 'teamId']);

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
 * written), as views into one Buffer sized exactly for all of them. The views may share Node's
 * small-buffer pool: use their own offset and length, never their underlying `buffer`.
 */
export function encodeItemsDelimited(records: readonly ItemRecord[]): Uint8Array[] {
  const lengths = new StringLengths();
  const sizes = records.map((record) => sizesOf(record, codecs[record.resource].codec, lengths));
  let total = 0;
  for (const size of sizes) total += varintSize(size.item) + size.item;
  const buffer = Buffer.allocUnsafe(total);
  const views: Uint8Array[] = [];
  let offset = 0;
  records.forEach((record, index) => {
    const { codec } = codecs[record.resource];
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
  lengths.finish();
  return views;
}
