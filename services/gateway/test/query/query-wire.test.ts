import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import {
  type QueryItemSchema,
  QueryResponseSchema,
  SignalKind,
  SourceStatus,
} from '@mosaic/contracts/v1/query_pb';
import { expect } from 'chai';
import { itemFromRow, resourceColumns } from '../../src/data/item-store.js';
import { itemToProto } from '../../src/data/item-views.js';
import { updatedAtOfRow } from '../../src/data/item-wire.js';
import { resourceNames } from '../../src/data/resource-names.js';
import {
  encodeQueryResponse,
  preEncoded,
  updatedAtOfItemBytes,
  type WireItem,
  type WireQueryItem,
  type WireQueryResponse,
} from '../../src/query/query-wire.js';
import { random, row } from '../data/item-rows.js';

/** The item a wire item stands for, as the reflective path renders it. */
function messageOf(item: WireItem): MessageInitShape<typeof ItemSchema> {
  if (item.kind === 'row') return itemToProto(itemFromRow(resourceColumns[item.resource], item.row));
  if (item.kind === 'bytes') return fromBinary(ItemSchema, item.bytes);
  return item.message;
}

/** What protobuf-es writes for the same answer built as messages. */
function reflective(response: WireQueryResponse): Buffer {
  const items = response.items.map(
    (entry): MessageInitShape<typeof QueryItemSchema> => ({
      item: messageOf(entry.item),
      source: entry.source,
      cached: entry.cached,
      score: entry.score,
    }),
  );
  return Buffer.from(
    toBinary(
      QueryResponseSchema,
      create(QueryResponseSchema, {
        items,
        signals: [...response.signals],
        sources: [...response.sources],
        nextPageToken: response.nextPageToken,
      }),
    ),
  );
}

/** Every item of every resource in each of the three forms, with sources, flags and scores varied. */
function generatedItems(seed: number, perResource: number): WireQueryItem[] {
  const rng = random(seed);
  const items: WireQueryItem[] = [];
  for (const resource of resourceNames) {
    for (let n = 0; n < perResource; n += 1) {
      const each = row(resource, rng);
      const message = itemToProto(itemFromRow(resourceColumns[resource], each));
      const form = rng.pick<WireItem>([
        { kind: 'row', resource, row: each },
        { kind: 'bytes', bytes: toBinary(ItemSchema, create(ItemSchema, message)) },
        { kind: 'message', message },
      ]);
      items.push({
        item: form,
        source: rng.pick(['local', 'peer.example.test', '', 'ü.test']),
        cached: rng.next() < 0.3,
        score: rng.pick([0, -0, 0.5, -1.25, 1e-300, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY]),
      });
    }
  }
  return items;
}

describe('gateway query: the answer written straight to the wire (query-wire)', () => {
  it('every resource, as local rows, peer bytes and messages: the same bytes as protobuf-es writes', () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const response: WireQueryResponse = {
        items: generatedItems(seed, 10),
        signals: [{ kind: SignalKind.FEDERATION_OFFLINE, peer: 'peer.example.test', message: 'offline: ü' }],
        sources: [
          { source: 'local', status: SourceStatus.OK, itemCount: 50, latencyMs: 3 },
          { source: 'peer.example.test', status: SourceStatus.OFFLINE, message: 'connect ECONNREFUSED' },
        ],
        nextPageToken: seed % 2 === 0 ? 'next.token' : '',
      };
      expect(encodeQueryResponse(response).equals(reflective(response)), `seed ${seed}`).to.equal(true);
    }
  });

  it('an empty answer is empty bytes, and one with only sources is those sources', () => {
    const empty = { items: [], signals: [], sources: [], nextPageToken: '' };
    expect(encodeQueryResponse(empty)).to.have.length(0);
    const sourcesOnly = { ...empty, sources: [{ source: 'local', status: SourceStatus.OK }] };
    expect(encodeQueryResponse(sourcesOnly).equals(reflective(sourcesOnly))).to.equal(true);
  });

  it('preEncoded carries the bytes through toBinary unchanged, and decodes to the same message', () => {
    const response: WireQueryResponse = {
      items: generatedItems(42, 4),
      signals: [],
      sources: [{ source: 'local', status: SourceStatus.OK, itemCount: 20 }],
      nextPageToken: '',
    };
    const bytes = encodeQueryResponse(response);
    const carried = toBinary(QueryResponseSchema, preEncoded(QueryResponseSchema, bytes));
    expect(Buffer.from(carried).equals(bytes)).to.equal(true);
    expect(fromBinary(QueryResponseSchema, carried)).to.deep.equal(
      fromBinary(QueryResponseSchema, reflective(response)),
    );
    expect(toBinary(QueryResponseSchema, preEncoded(QueryResponseSchema, new Uint8Array()))).to.have.length(
      0,
    );
  });

  it("reads a peer item's updated_at from its bytes for every resource, as decoding it would", () => {
    const rng = random(7);
    for (const resource of resourceNames) {
      for (let n = 0; n < 200; n += 1) {
        const each = row(resource, rng);
        const bytes = toBinary(
          ItemSchema,
          create(ItemSchema, itemToProto(itemFromRow(resourceColumns[resource], each))),
        );
        expect(updatedAtOfItemBytes(bytes), `${resource} ${JSON.stringify(each)}`).to.equal(
          updatedAtOfRow(resource, each),
        );
      }
    }
    // No updated_at (an older or odd peer): 0, so it sorts last, as a decoded item without one did.
    const bare = toBinary(
      ItemSchema,
      create(ItemSchema, { item: { case: 'task', value: { title: 'no time' } } }),
    );
    expect(updatedAtOfItemBytes(bare)).to.equal(0);
    expect(updatedAtOfItemBytes(new Uint8Array())).to.equal(0);
  });

  it('refuses a row that is not of its resource, and writes the next answer whole', () => {
    const rng = random(9);
    const note = row('notes', rng);
    const bad: WireQueryResponse = {
      items: [
        { item: { kind: 'row', resource: 'tasks', row: note }, source: 'local', cached: false, score: 0 },
      ],
      signals: [],
      sources: [],
      nextPageToken: '',
    };
    expect(() => encodeQueryResponse(bad)).to.throw(/given a notes row to write as tasks/);
    const good = {
      ...bad,
      items: [{ ...bad.items[0]!, item: { kind: 'row', resource: 'notes', row: note } as const }],
    };
    expect(encodeQueryResponse(good).equals(reflective(good))).to.equal(true);
  });
});
