import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
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

/**
 * Items written straight to the protobuf wire, for the federation List: the same bytes as
 * `toBinary(ItemSchema, create(ItemSchema, itemToProto(record)))` (the tests compare them for every
 * resource), without building a message per item and walking it reflectively, which was the
 * largest share of the gateway's CPU per List after the query itself (BENCHMARKS.md).
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

type FieldWriter = (writer: BinaryWriter, record: ItemRecord) => void;

const ownerUser = OwnerSchema.field.userId!.number;
const ownerTeam = OwnerSchema.field.teamId!.number;

function writeTimestamp(writer: BinaryWriter, tag: number, date: Date): void {
  // As protobuf-es's timestampFromMs: whole seconds rounded down, the rest as nanoseconds.
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  writer.uint32(tag).fork();
  if (seconds !== 0) writer.uint32(8).int64(seconds);
  if (nanos !== 0) writer.uint32(16).int32(nanos);
  writer.join();
}

/** The writer of one field, after checking that the value's kind is the field's. */
function fieldWriter(schema: DescMessage, field: DescField, value: Value | undefined): FieldWriter {
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
  const lengthDelimited = (field.number << 3) | WireType.LengthDelimited;
  // Proto3 implicit presence, as protobuf-es writes it: empty strings, 0 enums and empty lists are
  // left out; a message field is written whenever it is set.
  switch (value.kind) {
    case 'string':
      return (writer, record) => {
        const string = value.of(record);
        if (string !== '') writer.uint32(lengthDelimited).string(string);
      };
    case 'enum': {
      const varint = (field.number << 3) | WireType.Varint;
      return (writer, record) => {
        const number = value.of(record);
        if (number !== 0) writer.uint32(varint).int32(number);
      };
    }
    case 'strings':
      return (writer, record) => {
        for (const string of value.of(record)) writer.uint32(lengthDelimited).string(string);
      };
    case 'timestamp':
      return (writer, record) => {
        const date = value.of(record);
        if (date) writeTimestamp(writer, lengthDelimited, date);
      };
    case 'owner':
      return (writer, record) => {
        const owner = value.of(record);
        const ownerTag = ((owner.kind === 'user' ? ownerUser : ownerTeam) << 3) | WireType.LengthDelimited;
        writer.uint32(lengthDelimited).fork().uint32(ownerTag).string(owner.id).join();
      };
  }
}

interface ResourceWriter {
  /** Tag of the Item.item oneof member that carries this resource. */
  caseTag: number;
  resource: number;
  fields: FieldWriter[];
}

const itemResourceTag = (ItemSchema.field.resource!.number << 3) | WireType.Varint;

const writers = Object.fromEntries(
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
      .map((field) => fieldWriter(schema, field, values[field.localName]));
    const writer: ResourceWriter = {
      caseTag: (member.number << 3) | WireType.LengthDelimited,
      resource: resourceToProto(name as ResourceName),
      fields,
    };
    return [name, writer];
  }),
) as Record<ResourceName, ResourceWriter>;

/** The Item message of `record`, encoded, inside a length prefix (a repeated field's element as written). */
export function encodeItemDelimited(record: ItemRecord): Uint8Array {
  const plan = writers[record.resource];
  const writer = new BinaryWriter();
  writer.fork();
  writer.uint32(plan.caseTag).fork();
  for (const write of plan.fields) write(writer, record);
  writer.join();
  writer.uint32(itemResourceTag).int32(plan.resource);
  writer.join();
  return writer.finish();
}
