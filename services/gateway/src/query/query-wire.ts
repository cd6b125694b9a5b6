import {
  create,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import {
  QueryItemSchema,
  QueryResponseSchema,
  SignalSchema,
  SourceOutcomeSchema,
} from '@mosaic/contracts/v1/query_pb';
import { type ItemLengths, type ItemRow, writeItemField } from '../data/item-wire.js';
import type { ResourceName } from '../data/resource-names.js';
import { WireWriter } from '../data/wire-buffer.js';

/**
 * The query API's answer written straight to the protobuf wire, for a binary answer: local rows
 * through item-wire (no record, message or reflective walk per item) and a peer's items as the
 * bytes the peer sent (never decoded into messages and encoded again). A merged LIST of 200 items
 * built and encoded reflectively was most of the requesting gateway's CPU per `source=all` query
 * after the SQL (BENCHMARKS.md, fan-out). The bytes decode to the same message the reflective
 * path builds; the tests compare them for every resource.
 */

/** An item as a source produced it, in whichever form is cheapest to write. */
export type WireItem =
  | { kind: 'row'; resource: ResourceName; row: ItemRow }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'message'; message: MessageInitShape<typeof ItemSchema> };

export interface WireQueryItem {
  item: WireItem;
  source: string;
  cached: boolean;
  score: number;
}

export interface WireQueryResponse {
  items: readonly WireQueryItem[];
  signals: ReadonlyArray<MessageInitShape<typeof SignalSchema>>;
  sources: ReadonlyArray<MessageInitShape<typeof SourceOutcomeSchema>>;
  nextPageToken: string;
}

/** Throws unless `schema` has exactly the fields named (by local name): a new field must be written here. */
function requireExactFields(schema: DescMessage, names: readonly string[]): void {
  const actual = schema.fields.map((field) => field.localName).sort();
  if (actual.join() !== [...names].sort().join()) {
    throw new Error(
      `query-wire writes ${schema.typeName} as {${names.join(', ')}}, but it has {${actual.join(', ')}}`,
    );
  }
}
requireExactFields(QueryItemSchema, ['item', 'source', 'cached', 'score']);
requireExactFields(QueryResponseSchema, ['items', 'signals', 'sources', 'nextPageToken']);

const tagOf = (schema: DescMessage, name: string, wireType: WireType) =>
  (schema.fields.find((field) => field.localName === name)!.number << 3) | wireType;
const responseTags = {
  items: tagOf(QueryResponseSchema, 'items', WireType.LengthDelimited),
  signals: tagOf(QueryResponseSchema, 'signals', WireType.LengthDelimited),
  sources: tagOf(QueryResponseSchema, 'sources', WireType.LengthDelimited),
  nextPageToken: tagOf(QueryResponseSchema, 'nextPageToken', WireType.LengthDelimited),
};
const itemTags = {
  item: tagOf(QueryItemSchema, 'item', WireType.LengthDelimited),
  source: tagOf(QueryItemSchema, 'source', WireType.LengthDelimited),
  cached: tagOf(QueryItemSchema, 'cached', WireType.Varint),
  score: tagOf(QueryItemSchema, 'score', WireType.Bit64),
};
// protobuf-es writes fields in number order; so does this.
const responseOrder = Object.entries(responseTags)
  .sort(([, a], [, b]) => a - b)
  .map(([name]) => name);
const itemOrder = Object.entries(itemTags)
  .sort(([, a], [, b]) => a - b)
  .map(([name]) => name);
if (
  responseOrder.join() !== 'items,signals,sources,nextPageToken' ||
  itemOrder.join() !== 'item,source,cached,score'
) {
  throw new Error(
    `query-wire writes QueryResponse and QueryItem in an order their field numbers no longer have`,
  );
}

/** Encoding is synchronous: one scratch writer serves every answer. */
const writer = new WireWriter();

/** The wire form of a QueryResponse holding `response`. */
export function encodeQueryResponse(response: WireQueryResponse): Buffer {
  const lengths: ItemLengths = { item: 0, message: 0 };
  let queryItemLength = 0;
  try {
    for (const entry of response.items) {
      writer.begin(responseTags.items, queryItemLength);
      const { item } = entry;
      if (item.kind === 'row') writeItemField(writer, itemTags.item, item.resource, item.row, lengths);
      else if (item.kind === 'bytes') writer.bytes(itemTags.item, item.bytes);
      else writer.bytes(itemTags.item, toBinary(ItemSchema, create(ItemSchema, item.message)));
      if (entry.source !== '') writer.string(itemTags.source, entry.source);
      if (entry.cached) {
        writer.varint(itemTags.cached);
        writer.varint(1);
      }
      // proto3 leaves out a zero double; protobuf-es tells -0 from 0 (Object.is) and writes -0.
      if (!Object.is(entry.score, 0)) writer.double(itemTags.score, entry.score);
      queryItemLength = writer.end();
    }
    for (const signal of response.signals) {
      writer.bytes(responseTags.signals, toBinary(SignalSchema, create(SignalSchema, signal)));
    }
    for (const source of response.sources) {
      writer.bytes(responseTags.sources, toBinary(SourceOutcomeSchema, create(SourceOutcomeSchema, source)));
    }
    if (response.nextPageToken !== '') writer.string(responseTags.nextPageToken, response.nextPageToken);
    return writer.take();
  } catch (error) {
    writer.reset();
    throw error;
  }
}

/**
 * A message of `schema` whose wire form is exactly `bytes`: every field is left empty and the
 * bytes ride as one unknown field, which protobuf-es writes as its tag followed by its data
 * verbatim (the data is everything after the first tag). Only for a binary answer: the JSON codec
 * drops unknown fields (`answersBinary`).
 */
export function preEncoded<S extends DescMessage>(schema: S, bytes: Uint8Array): MessageShape<S> {
  const message = create(schema);
  if (bytes.byteLength > 0) {
    const reader = new BinaryReader(bytes);
    const [no, wireType] = reader.tag();
    message.$unknown = [{ no, wireType, data: bytes.subarray(reader.pos) }];
  }
  return message;
}

/** For each member of Item's oneof (by field number): the number of its message's `updated_at`. */
const updatedAtFieldOf = new Map(
  ItemSchema.fields.flatMap((field) =>
    field.oneof && field.fieldKind === 'message' && field.message.field.updatedAt
      ? [[field.number, field.message.field.updatedAt.number] as const]
      : [],
  ),
);

/**
 * The `updated_at` of an encoded Item, in epoch milliseconds (0 when it has none), read without
 * decoding the item: what a peer's LIST items are merged by.
 */
export function updatedAtOfItemBytes(bytes: Uint8Array): number {
  const item = new BinaryReader(bytes);
  let updatedAt = 0;
  while (item.pos < item.len) {
    const [no, wireType] = item.tag();
    const updatedAtField = updatedAtFieldOf.get(no);
    if (updatedAtField === undefined || wireType !== WireType.LengthDelimited) {
      item.skip(wireType, no);
      continue;
    }
    const member = new BinaryReader(item.bytes());
    while (member.pos < member.len) {
      const [memberNo, memberType] = member.tag();
      if (memberNo !== updatedAtField || memberType !== WireType.LengthDelimited) {
        member.skip(memberType, memberNo);
        continue;
      }
      // Merged as protobuf does: a later occurrence of the field wins.
      updatedAt = timestampMs(member.bytes());
    }
  }
  return updatedAt;
}

/** google.protobuf.Timestamp {seconds = 1, nanos = 2} as epoch milliseconds. */
function timestampMs(bytes: Uint8Array): number {
  const reader = new BinaryReader(bytes);
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === 1 && wireType === WireType.Varint) seconds = Number(reader.int64());
    else if (no === 2 && wireType === WireType.Varint) nanos = reader.int32();
    else reader.skip(wireType, no);
  }
  return seconds * 1000 + nanos / 1e6;
}
