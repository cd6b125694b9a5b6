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
import { type ItemColumn, resourceColumns, type TaskStatusName } from './item-store.js';
import { taskStatusToProto } from './item-views.js';
import { type ResourceName, resourceToProto } from './resource-names.js';
import { int64Size, varintSize, WireWriter } from './wire-buffer.js';

/**
 * Items written straight to the protobuf wire, for the federation List: the same bytes as
 * `toBinary(ItemSchema, create(ItemSchema, itemToProto(itemFromRow(layout, row))))` for every row
 * (the tests compare them for every resource), without building a record and a message per item
 * and walking it reflectively, which was the largest share of the gateway's CPU per List after the
 * query itself (BENCHMARKS.md). Rows are read by position as the store reads them
 * (`resourceColumns`), and a page is written in one pass (wire-buffer.ts: each string encoded once,
 * lengths fixed up after), then copied into one Buffer of its exact size.
 *
 * Field numbers and kinds come from the generated descriptors, and every field of Item, Owner and
 * the five resource messages must be one this writes, of the kind and presence it writes: a field
 * added to items.proto without a writer here fails at load (and in every test), so this can never
 * silently drop or misencode data.
 */

/** A row of `resourceColumns[resource]`, as `queryArrays` reads it. */
export type ItemRow = readonly unknown[];

type Value =
  | { kind: 'string'; of: (row: ItemRow) => string }
  | { kind: 'enum'; of: (row: ItemRow) => number }
  | { kind: 'strings'; of: (row: ItemRow) => readonly string[] }
  /** Epoch milliseconds, or null. */
  | { kind: 'timestamp'; of: (row: ItemRow) => number | null }
  /** A personal item's user, else its team: exactly one of the two is set. */
  | { kind: 'owner'; userOf: (row: ItemRow) => string | null; teamOf: (row: ItemRow) => string };

const noTags: readonly string[] = [];

/** The values of one resource's message, read from that resource's rows by column position. */
function valuesOf(resource: ResourceName): Record<string, Value> {
  const { at } = resourceColumns[resource];
  const column = (name: ItemColumn) => {
    if (at[name] < 0) throw new Error(`item-wire reads ${name}, which ${resource} rows do not carry`);
    return at[name];
  };
  const text = (name: ItemColumn): Value => {
    const index = column(name);
    return { kind: 'string', of: (row) => (row[index] as string | null) ?? '' };
  };
  const time = (name: ItemColumn): Value => {
    const index = column(name);
    return { kind: 'timestamp', of: (row) => (row[index] as number | null) ?? null };
  };
  const userAt = column('owner_user_id');
  const teamAt = column('owner_team_id');
  const tagsAt = column('tags');
  const common: Record<string, Value> = {
    id: text('id'),
    owner: {
      kind: 'owner',
      userOf: (row) => (row[userAt] as string | null) || null,
      teamOf: (row) => row[teamAt] as string,
    },
    body: text('body'),
    createdAt: time('created_at_ms'),
    updatedAt: time('updated_at_ms'),
  };
  const titled = {
    ...common,
    title: text('title'),
    tags: { kind: 'strings', of: (row: ItemRow) => (row[tagsAt] as string[] | null) ?? noTags },
  } satisfies Record<string, Value>;
  // Credentials and API keys: a name, and the masked value and expiry of a secret never stored.
  const masked = () => ({
    ...common,
    name: text('title'),
    maskedValue: text('masked_value'),
    expiresAt: time('expires_at_ms'),
  });
  switch (resource) {
    case 'tasks': {
      const statusAt = column('status');
      return {
        ...titled,
        status: {
          kind: 'enum',
          of: (row) => taskStatusToProto[(row[statusAt] as TaskStatusName | null) ?? 'open'],
        },
        dueAt: time('due_at_ms'),
      };
    }
    case 'notes':
    case 'memory':
      return titled;
    case 'credentials':
      return { ...masked(), kind: text('kind'), username: text('username'), url: text('url') };
    case 'api_keys':
      return { ...masked(), provider: text('provider') };
  }
}

const schemaOf: Record<ResourceName, DescMessage> = {
  tasks: TaskSchema,
  notes: NoteSchema,
  memory: MemoryEntrySchema,
  credentials: CredentialSchema,
  api_keys: ApiKeySchema,
};

/** One field of a resource message: writes it from a row, or nothing for an empty implicit value. */
interface FieldCodec {
  write(writer: WireWriter, row: ItemRow): void;
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
        write: (writer, row) => {
          const string = of(row);
          if (string !== '') writer.string(tag, string);
        },
      };
    }
    case 'enum': {
      const { of } = value;
      const varintTag = (field.number << 3) | WireType.Varint;
      // An unknown stored value maps to undefined, which protobuf-es writes as the default: nothing.
      return {
        write: (writer, row) => {
          const number = of(row);
          if (!number) return;
          writer.varint(varintTag);
          writer.varint(number);
        },
      };
    }
    case 'strings': {
      const { of } = value;
      return {
        write: (writer, row) => {
          for (const string of of(row)) writer.string(tag, string);
        },
      };
    }
    case 'timestamp': {
      const { of } = value;
      return {
        write: (writer, row) => {
          const ms = of(row);
          if (ms === null) return;
          // 'infinity' and '-infinity' are timestamptz values no google.protobuf.Timestamp holds.
          if (!Number.isFinite(ms)) {
            throw new RangeError(
              `item-wire: ${schema.typeName}.${field.name} is ${ms}, which no Timestamp holds`,
            );
          }
          const seconds = secondsOf(ms);
          const nanos = nanosOf(ms, seconds);
          writer.varint(tag);
          writer.varint(timestampSize(seconds, nanos));
          if (seconds !== 0) {
            writer.varint(secondsTag);
            writer.int64(seconds);
          }
          if (nanos !== 0) {
            writer.varint(nanosTag);
            writer.varint(nanos);
          }
        },
      };
    }
    case 'owner': {
      const { userOf, teamOf } = value;
      return {
        write: (writer, row) => {
          const user = userOf(row);
          const id = user ?? teamOf(row);
          // An id is a UUID: 36 ASCII bytes after its tag and length.
          writer.begin(tag, 2 + id.length);
          writer.string(user ? ownerUser : ownerTeam, id);
          writer.end();
        },
      };
    }
  }
}

interface ResourceCodec {
  /** Tag of the Item.item oneof member that carries this resource. */
  caseTag: number;
  resource: number;
  /** Where a row carries its resource's name (checked: a row of another resource is refused). */
  resourceAt: number;
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
  (Object.keys(schemaOf) as ResourceName[]).map((name) => {
    const schema = schemaOf[name];
    const values = valuesOf(name);
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
      resource: resourceToProto(name),
      resourceAt: resourceColumns[name].at.resource,
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

/** Encoding is synchronous: one scratch writer serves every page. */
const writer = new WireWriter();

/**
 * Lengths of the last item written, carried to the next: items of a page are alike, so each one's
 * length prefixes are sized for the one before (fewer moves when a prefix was sized wrong).
 */
export interface ItemLengths {
  item: number;
  message: number;
}

/**
 * One row of `resource` as a field `fieldTag` (tag, length, Item message) appended to `out`. The
 * row must be of `resource` and of its columns (`resourceColumns[resource]`).
 */
export function writeItemField(
  out: WireWriter,
  fieldTag: number,
  resource: ResourceName,
  row: ItemRow,
  lengths: ItemLengths,
): void {
  const { codec } = codecs[resource];
  if (row[codec.resourceAt] !== resource) {
    throw new Error(`item-wire was given a ${String(row[codec.resourceAt])} row to write as ${resource}`);
  }
  out.begin(fieldTag, lengths.item);
  out.begin(codec.caseTag, lengths.message);
  for (const field of codec.fields) field.write(out, row);
  lengths.message = out.end();
  out.varint(itemResourceTag);
  out.varint(codec.resource);
  lengths.item = out.end();
}

/** A row's `updated_at`, in epoch milliseconds (the order LIST merges sources in). */
export function updatedAtOfRow(resource: ResourceName, row: ItemRow): number {
  return row[resourceColumns[resource].at.updated_at_ms] as number;
}

/**
 * The first `count` rows of `resource` as the elements of a repeated Item field numbered
 * `fieldNumber`: each one's tag, length and Item message, back to back, in one Buffer of exactly
 * their size (the bytes protobuf-es writes for that field holding those items). Every row must be
 * of `resource` and of its columns (`resourceColumns[resource]`), as `listVisibleRows` reads them.
 */
export function encodeItemsField(
  fieldNumber: number,
  resource: ResourceName,
  rows: readonly ItemRow[],
  count = rows.length,
): Buffer {
  const fieldTag = (fieldNumber << 3) | WireType.LengthDelimited;
  const page = Math.min(count, rows.length);
  const lengths: ItemLengths = { item: 0, message: 0 };
  try {
    for (let index = 0; index < page; index += 1) {
      writeItemField(writer, fieldTag, resource, rows[index]!, lengths);
    }
    return writer.take();
  } catch (error) {
    writer.reset();
    throw error;
  }
}
