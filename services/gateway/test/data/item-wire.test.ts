import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ListResponseSchema } from '@mosaic/contracts/v1/federation_pb';
import { expect } from 'chai';
import { itemFromRow, resourceColumns } from '../../src/data/item-store.js';
import { itemToProto } from '../../src/data/item-views.js';
import { encodeItemsField, type ItemRow } from '../../src/data/item-wire.js';
import { type ResourceName, resourceNames } from '../../src/data/resource-names.js';
import {
  answersBinary,
  encodedListResponse,
  listItemsField,
} from '../../src/federation/server/encoded-list-response.js';
import { random, row } from './item-rows.js';

/**
 * What protobuf-es's reflective path writes for the same rows: a ListResponse holding their items,
 * each read as the store reads it (`itemFromRow`) and rendered as the JSON path renders it.
 */
const reflective = (resource: ResourceName, rows: readonly ItemRow[], nextPageToken = '') =>
  Buffer.from(
    toBinary(
      ListResponseSchema,
      create(ListResponseSchema, {
        items: rows.map((row) => itemToProto(itemFromRow(resourceColumns[resource], row))),
        nextPageToken,
      }),
    ),
  );

const direct = (resource: ResourceName, rows: readonly ItemRow[]) =>
  encodeItemsField(listItemsField, resource, rows);

describe('gateway data: items written straight to the wire (item-wire)', () => {
  for (const resource of resourceNames) {
    it(`${resource}: the same bytes as protobuf-es's reflective encoding, for 2000 generated rows`, () => {
      const seed = resourceNames.indexOf(resource) + 1;
      const rng = random(seed);
      const all: ItemRow[] = [];
      for (let n = 0; n < 2000; n += 1) {
        const each = row(resource, rng);
        all.push(each);
        expect(
          direct(resource, [each]).equals(reflective(resource, [each])),
          `seed ${seed}, row ${n}: ${JSON.stringify(each)}`,
        ).to.equal(true);
      }
      // All at once, as a page is written: one buffer, the same bytes as the message of them all.
      expect(direct(resource, all).equals(reflective(resource, all))).to.equal(true);
    });
  }

  it('writes only the first `count` rows (the row past the page only decides the page token)', () => {
    const rng = random(7);
    const rows = Array.from({ length: 5 }, () => row('notes', rng));
    const firstThree = encodeItemsField(listItemsField, 'notes', rows, 3);
    expect(firstThree.equals(reflective('notes', rows.slice(0, 3)))).to.equal(true);
    expect(encodeItemsField(listItemsField, 'notes', rows, 0)).to.have.length(0);
    expect(encodeItemsField(listItemsField, 'notes', rows, 9).equals(reflective('notes', rows))).to.equal(
      true,
    );
  });

  it('refuses a row of another resource, writing nothing', () => {
    const rng = random(8);
    const note = row('notes', rng);
    const memory = row('memory', rng);
    expect(() => encodeItemsField(listItemsField, 'notes', [note, memory])).to.throw(
      /given a memory row to write as notes/,
    );
    // The refusal leaves nothing behind: the next page is written whole.
    expect(direct('notes', [note]).equals(reflective('notes', [note]))).to.equal(true);
  });

  it("refuses a timestamp no Timestamp holds ('infinity' reads as Infinity), and writes the next page whole", () => {
    const rng = random(9);
    const layout = resourceColumns.api_keys;
    for (const infinite of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const bad = [...row('api_keys', rng)];
      bad[layout.at.expires_at_ms] = infinite;
      expect(() => direct('api_keys', [row('api_keys', rng), bad])).to.throw(
        RangeError,
        /ApiKey\.expires_at is -?Infinity, which no Timestamp holds/,
      );
    }
    const good = row('api_keys', rng);
    expect(direct('api_keys', [good]).equals(reflective('api_keys', [good]))).to.equal(true);
  });

  it('decodes to the very message itemToProto describes, every field set', () => {
    const layout = resourceColumns.credentials;
    const full: Record<string, unknown> = {
      id: '5f0c2d1e-7a4b-4c8d-9e0f-1a2b3c4d5e6f',
      resource: 'credentials',
      owner_user_id: null,
      owner_team_id: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
      title: 'db',
      body: 'notes',
      tags: [],
      created_at_ms: Date.parse('2026-01-01T00:00:00.001Z'),
      updated_at_ms: Date.parse('2026-06-01T12:00:00.999Z'),
      kind: 'password',
      username: 'alice',
      url: 'https://db.test',
      masked_value: '••••5678',
      expires_at_ms: Date.parse('2027-01-02T03:04:05.678Z'),
    };
    const fullRow = layout.names.map((name) => full[name]);
    const response = encodedListResponse(direct('credentials', [fullRow]), 'next.token');
    const decoded = fromBinary(ListResponseSchema, toBinary(ListResponseSchema, response));
    expect(decoded).to.deep.equal(
      create(ListResponseSchema, {
        items: [itemToProto(itemFromRow(layout, fullRow))],
        nextPageToken: 'next.token',
      }),
    );
    expect(itemFromRow(layout, fullRow)).to.include({ title: 'db', kind: 'password', provider: null });
  });

  it('a ListResponse of encoded items is byte for byte the reflective one, with and without a page token', () => {
    const rng = random(99);
    for (const resource of resourceNames) {
      const rows = [row(resource, rng), row(resource, rng), row(resource, rng)];
      for (const token of ['', 'eyJ0IjoxfQ.mac', 'ü'.repeat(200)]) {
        const encoded = toBinary(ListResponseSchema, encodedListResponse(direct(resource, rows), token));
        expect(
          Buffer.from(encoded).equals(reflective(resource, rows, token)),
          `${resource} ${token}`,
        ).to.equal(true);
      }
    }
    expect(toBinary(ListResponseSchema, encodedListResponse(new Uint8Array(), ''))).to.have.length(0);
  });

  it('refuses bytes that are not a run of ListResponse.items fields', () => {
    const rng = random(5);
    const items = encodeItemsField(listItemsField + 1, 'tasks', [row('tasks', rng)]);
    expect(() => encodedListResponse(items, '')).to.throw(/do not start with a ListResponse.items field/);
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
