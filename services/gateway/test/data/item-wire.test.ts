import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ListResponseSchema } from '@mosaic/contracts/v1/federation_pb';
import { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import { expect } from 'chai';
import type { ItemRecord, TaskStatusName } from '../../src/data/item-store.js';
import { itemToProto } from '../../src/data/item-views.js';
import { encodeItemsDelimited } from '../../src/data/item-wire.js';
import { type ResourceName, resourceNames } from '../../src/data/resource-names.js';
import { answersBinary, encodedListResponse } from '../../src/federation/server/encoded-list-response.js';

const encodeItemDelimited = (record: ItemRecord) => encodeItemsDelimited([record])[0]!;

/** What protobuf-es's reflective path writes for the same record, as a repeated field's element. */
const reflective = (record: ItemRecord) =>
  new BinaryWriter().bytes(toBinary(ItemSchema, create(ItemSchema, itemToProto(record)))).finish();

/** A small deterministic generator (mulberry32), so a failure names a seed that replays it. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  const text = () =>
    pick([
      '',
      'a',
      'plain words',
      'ünïcødé ✓',
      'emoji 🚀🙂',
      'x'.repeat(300),
      'tab\tnewline\n',
      '\u0000nul',
      'lone \ud800 surrogate',
      '\udfff',
    ]);
  const date = () =>
    pick([
      null,
      new Date(0),
      new Date(999),
      new Date(-1),
      new Date(-1_500),
      new Date(1_796_154_475_548),
      new Date(253_402_300_799_999),
      new Date(Math.floor(next() * 4e12) - 1e12),
    ]);
  const hex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(next() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  return { next, pick, text, date, uuid };
}

function record(resource: ResourceName, rng: ReturnType<typeof random>): ItemRecord {
  return {
    id: rng.uuid(),
    resource,
    owner: rng.next() < 0.5 ? { kind: 'user', id: rng.uuid() } : { kind: 'team', id: rng.uuid() },
    title: rng.text(),
    body: rng.text(),
    tags: rng.pick([[], ['one'], ['', 'b'], ['a', 'b', 'c', 'ü']]),
    status: rng.pick<TaskStatusName | null>([null, 'open', 'in_progress', 'done', 'cancelled']),
    dueAt: rng.date(),
    kind: rng.pick([null, '', 'password', 'ssh']),
    username: rng.pick([null, '', 'alice']),
    url: rng.pick([null, '', 'https://example.test/a?b=c']),
    provider: rng.pick([null, '', 'openai']),
    maskedValue: rng.pick([null, '', '••••1234']),
    expiresAt: rng.date(),
    createdAt: rng.date() ?? new Date(0),
    updatedAt: rng.date() ?? new Date(1),
  };
}

describe('gateway data: items written straight to the wire (item-wire)', () => {
  for (const resource of resourceNames) {
    it(`${resource}: the same bytes as protobuf-es's reflective encoding, for 2000 generated records`, () => {
      const seed = resourceNames.indexOf(resource) + 1;
      const rng = random(seed);
      const all: ItemRecord[] = [];
      for (let n = 0; n < 2000; n += 1) {
        const each = record(resource, rng);
        all.push(each);
        const direct = Buffer.from(encodeItemDelimited(each));
        expect(
          direct.equals(Buffer.from(reflective(each))),
          `seed ${seed}, record ${n}: ${JSON.stringify(each)}`,
        ).to.equal(true);
      }
      // All at once, as a page is written: views into one buffer, each the record's own bytes.
      const together = encodeItemsDelimited(all);
      expect(Buffer.concat(together).equals(Buffer.concat(all.map(reflective)))).to.equal(true);
      expect(together.map((view) => view.byteLength)).to.deep.equal(
        all.map((each) => reflective(each).byteLength),
      );
    });
  }

  it('decodes to the very message itemToProto describes, every field set', () => {
    const full: ItemRecord = {
      id: '5f0c2d1e-7a4b-4c8d-9e0f-1a2b3c4d5e6f',
      resource: 'credentials',
      owner: { kind: 'team', id: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9' },
      title: 'db',
      body: 'notes',
      tags: [],
      status: null,
      dueAt: null,
      kind: 'password',
      username: 'alice',
      url: 'https://db.test',
      provider: null,
      maskedValue: '••••5678',
      expiresAt: new Date('2027-01-02T03:04:05.678Z'),
      createdAt: new Date('2026-01-01T00:00:00.001Z'),
      updatedAt: new Date('2026-06-01T12:00:00.999Z'),
    };
    const response = encodedListResponse([encodeItemDelimited(full)], 'next.token');
    const decoded = fromBinary(ListResponseSchema, toBinary(ListResponseSchema, response));
    expect(decoded).to.deep.equal(
      create(ListResponseSchema, { items: [itemToProto(full)], nextPageToken: 'next.token' }),
    );
  });

  it('a ListResponse of encoded items is byte for byte the reflective one, with and without a page token', () => {
    const rng = random(99);
    const records = resourceNames.flatMap((resource) => [record(resource, rng), record(resource, rng)]);
    for (const token of ['', 'eyJ0IjoxfQ.mac', 'ü'.repeat(200)]) {
      const direct = toBinary(ListResponseSchema, encodedListResponse(encodeItemsDelimited(records), token));
      const expected = toBinary(
        ListResponseSchema,
        create(ListResponseSchema, { items: records.map(itemToProto), nextPageToken: token }),
      );
      expect(Buffer.from(direct).equals(Buffer.from(expected))).to.equal(true);
    }
    expect(toBinary(ListResponseSchema, encodedListResponse([], ''))).to.have.length(0);
  });

  it("takes the encoded path only when the answer's own content type is the protobuf codec's", () => {
    // What Connect, gRPC and gRPC-Web set on the response from the codec they chose (for a
    // Connect GET, from ?encoding=, whatever content-type header the request carried).
    const answer = (contentType: string | null) =>
      answersBinary({
        responseHeader: new Headers(contentType === null ? {} : { 'content-type': contentType }),
      });
    for (const binary of [
      'application/proto',
      'application/grpc+proto',
      'application/grpc-web+proto',
      'Application/Proto',
    ]) {
      expect(answer(binary), binary).to.equal(true);
    }
    for (const other of [
      'application/json',
      'application/json; charset=utf-8',
      'application/grpc+json',
      'application/grpc-web+json',
      'application/connect+json',
      'application/connect+proto',
      'application/grpc-web-text+proto',
      'text/plain',
      '',
      null,
    ]) {
      expect(answer(other), String(other)).to.equal(false);
    }
  });
});
