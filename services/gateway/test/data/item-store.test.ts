import { randomUUID } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { ListResponseSchema } from '@mosaic/contracts/v1/federation_pb';
import { queryRows } from '@mosaic/platform';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import {
  type ItemAccess,
  type ItemContent,
  type ItemListFilter,
  type ItemRecord,
  ItemStore,
  itemKey,
} from '../../src/data/item-store.js';
import { itemToProto } from '../../src/data/item-views.js';
import { encodeItemsField } from '../../src/data/item-wire.js';
import { type ResourceName, resourceNames } from '../../src/data/resource-names.js';
import { DirectoryStore } from '../../src/directory/directory-store.js';
import { expectMosaicError, newItem, openGatewayData, personal, team } from './item-fixture.js';

const everything: ItemAccess = { includePersonal: true, includeTeams: null };

describe('gateway data: item store (native RBAC ∩ access ∩ request filter, in SQL)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let dataSource: DataSource;
  let directory: DirectoryStore;
  let items: ItemStore;
  const users: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };
  const teams: Record<'t1' | 't2' | 't3', string> = { t1: '', t2: '', t3: '' };
  /** Seeded item ids by title. */
  const ids = new Map<string, string>();

  const titles = (records: ItemRecord[]) => records.map((record) => record.title).sort();

  before(async () => {
    db = await createTestDatabase();
    dataSource = await openGatewayData(db.url);
    directory = new DirectoryStore(dataSource);
    items = new ItemStore(dataSource);
    for (const name of ['alice', 'bob', 'carol'] as const) {
      users[name] = (
        await directory.createUser({ username: name, displayName: name, email: '', role: 'member' })
      ).id;
    }
    for (const name of ['t1', 't2', 't3'] as const) {
      teams[name] = (await directory.createTeam({ name, description: '' })).id;
    }
    // alice: t1, t2. bob: t1, t3. carol: no team.
    await directory.addMember(teams.t1, users.alice);
    await directory.addMember(teams.t2, users.alice);
    await directory.addMember(teams.t1, users.bob);
    await directory.addMember(teams.t3, users.bob);
    const seed: Array<[ResourceName, ReturnType<typeof personal>, string, string[]]> = [
      ['notes', personal(users.alice), 'alice-note', ['urgent']],
      ['notes', personal(users.bob), 'bob-note', ['urgent']],
      ['notes', team(teams.t1), 't1-note', ['urgent', 'ops']],
      ['notes', team(teams.t2), 't2-note', []],
      ['notes', team(teams.t3), 't3-note', ['urgent']],
      ['tasks', team(teams.t1), 't1-task', []],
      ['tasks', personal(users.alice), 'alice-task', []],
    ];
    for (const [resource, owner, title, tags] of seed) {
      ids.set(title, (await items.create(newItem(resource, owner, title, { tags }))).id);
    }
    // Back-date one note so updatedAfter has something to cut.
    await db.query("UPDATE gateway.items SET updated_at = '2020-01-01T00:00:00Z' WHERE id = $1", [
      ids.get('t2-note'),
    ]);
  });

  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  interface VisibilityCase {
    name: string;
    user: keyof typeof users;
    resource?: ResourceName;
    access?: (t: typeof teams) => ItemAccess;
    filter?: (t: typeof teams) => ItemListFilter;
    sees: string[];
  }

  const cases: VisibilityCase[] = [
    {
      name: 'native RBAC: own personal items and the items of every team the user is in, nobody else’s',
      user: 'alice',
      sees: ['alice-note', 't1-note', 't2-note'],
    },
    { name: 'native RBAC for another member', user: 'bob', sees: ['bob-note', 't1-note', 't3-note'] },
    { name: 'a user in no team sees nothing of anyone else', user: 'carol', sees: [] },
    { name: 'resources are separate', user: 'alice', resource: 'tasks', sees: ['alice-task', 't1-task'] },
    {
      name: 'include_personal:false hides personal items',
      user: 'alice',
      access: () => ({ includePersonal: false, includeTeams: null }),
      sees: ['t1-note', 't2-note'],
    },
    {
      name: 'include_teams [t1] hides the items of t2',
      user: 'alice',
      access: (t) => ({ includePersonal: true, includeTeams: [t.t1] }),
      sees: ['alice-note', 't1-note'],
    },
    {
      name: 'include_teams [] keeps personal items only',
      user: 'alice',
      access: () => ({ includePersonal: true, includeTeams: [] }),
      sees: ['alice-note'],
    },
    {
      name: 'M3-10 at the store: include_teams naming a team the user is not in yields nothing from it',
      user: 'alice',
      access: (t) => ({ includePersonal: false, includeTeams: [t.t3] }),
      sees: [],
    },
    {
      name: 'include_teams mixing a team of the user and one the user is not in keeps only the first',
      user: 'alice',
      access: (t) => ({ includePersonal: false, includeTeams: [t.t3, t.t2] }),
      sees: ['t2-note'],
    },
    {
      name: 'request filter team_ids narrows the teams (personal items follow include_personal)',
      user: 'alice',
      filter: (t) => ({ teamIds: [t.t2] }),
      sees: ['alice-note', 't2-note'],
    },
    {
      name: 'request filter team_ids naming a team the user is not in does not widen',
      user: 'alice',
      filter: (t) => ({ teamIds: [t.t3], includePersonal: false }),
      sees: [],
    },
    {
      name: 'request filter team_ids outside include_teams does not widen the scope',
      user: 'alice',
      access: (t) => ({ includePersonal: true, includeTeams: [t.t1] }),
      filter: (t) => ({ teamIds: [t.t2] }),
      sees: ['alice-note'],
    },
    {
      name: 'request filter include_personal:true does not undo the scope’s include_personal:false',
      user: 'alice',
      access: () => ({ includePersonal: false, includeTeams: null }),
      filter: () => ({ includePersonal: true }),
      sees: ['t1-note', 't2-note'],
    },
    {
      name: 'request filter include_personal:false hides personal items',
      user: 'alice',
      filter: () => ({ includePersonal: false }),
      sees: ['t1-note', 't2-note'],
    },
    {
      name: 'request filter tags keeps items carrying every tag (case-insensitive)',
      user: 'alice',
      filter: () => ({ tags: ['URGENT'] }),
      sees: ['alice-note', 't1-note'],
    },
    {
      name: 'request filter with two tags',
      user: 'alice',
      filter: () => ({ tags: ['urgent', 'ops'] }),
      sees: ['t1-note'],
    },
    {
      name: 'request filter updated_after leaves out older changes',
      user: 'alice',
      filter: () => ({ updatedAfter: new Date('2021-01-01T00:00:00Z') }),
      sees: ['alice-note', 't1-note'],
    },
  ];

  for (const tc of cases) {
    it(`listVisible: ${tc.name}`, async () => {
      const access = tc.access?.(teams) ?? everything;
      const filter = tc.filter?.(teams);
      const listed = await items.listVisible({
        resource: tc.resource ?? 'notes',
        userId: users[tc.user],
        access,
        ...(filter ? { filter } : {}),
        limit: 100,
      });
      expect(titles(listed)).to.deep.equal([...tc.sees].sort());
    });

    if (!tc.filter) {
      it(`getVisible agrees with listVisible: ${tc.name}`, async () => {
        const access = tc.access?.(teams) ?? everything;
        const resource = tc.resource ?? 'notes';
        for (const [title, id] of ids) {
          const got = await items.getVisible({ resource, id, userId: users[tc.user], access });
          expect(got?.title ?? null, title).to.equal(tc.sees.includes(title) ? title : null);
        }
      });
    }
  }

  it('getVisible answers null alike for a missing id and an item that exists but is not visible', async () => {
    const asAlice = { resource: 'notes' as const, userId: users.alice, access: everything };
    const invisible = await items.getVisible({ ...asAlice, id: ids.get('bob-note')! });
    const missing = await items.getVisible({ ...asAlice, id: randomUUID() });
    const outOfScope = await items.getVisible({
      ...asAlice,
      id: ids.get('t2-note')!,
      access: { includePersonal: true, includeTeams: [teams.t1] },
    });
    const otherResource = await items.getVisible({ ...asAlice, id: ids.get('t1-task')! });
    expect([invisible, missing, outOfScope, otherResource]).to.deep.equal([null, null, null, null]);
    // …and the item is there for whoever may see it.
    expect(
      (await items.getVisible({ ...asAlice, userId: users.bob, id: ids.get('bob-note')! }))?.title,
    ).to.equal('bob-note');
  });

  it('ids that are not UUIDs are refused as invalid_argument before any SQL runs', async () => {
    await expectMosaicError(
      items.getVisible({ resource: 'notes', userId: users.alice, access: everything, id: 'nope' }),
      'invalid_argument',
      /id "nope" is not a UUID/,
    );
    await expectMosaicError(
      items.listVisible({
        resource: 'notes',
        userId: users.alice,
        access: everything,
        filter: { teamIds: ['t1'] },
        limit: 10,
      }),
      'invalid_argument',
      /team_ids "t1" is not a UUID/,
    );
  });

  it('a removed membership takes effect at the next query; a new one too', async () => {
    const t4 = await directory.createTeam({ name: 't4', description: '' });
    await directory.addMember(t4.id, users.carol);
    const note = await items.create(newItem('notes', team(t4.id), 't4-note'));
    const asCarol = { resource: 'notes' as const, userId: users.carol, access: everything };

    expect(titles(await items.listVisible({ ...asCarol, limit: 10 }))).to.deep.equal(['t4-note']);
    expect(await items.visibleTeamIds(users.carol)).to.deep.equal([t4.id]);
    await directory.removeMember(t4.id, users.carol);
    expect(await items.listVisible({ ...asCarol, limit: 10 })).to.deep.equal([]);
    expect(await items.getVisible({ ...asCarol, id: note.id })).to.equal(null);
    expect(await items.visibleTeamIds(users.carol)).to.deep.equal([]);
    await directory.addMember(t4.id, users.carol);
    expect((await items.getVisible({ ...asCarol, id: note.id }))?.title).to.equal('t4-note');
  });

  it('deleting a team or a user deletes their items (ON DELETE CASCADE)', async () => {
    const temp = await directory.createUser({ username: 'temp', displayName: '', email: '', role: 'member' });
    const note = await items.create(newItem('notes', personal(temp.id), 'temp-note'));
    await directory.deleteUser(temp.id);
    expect(await items.getUnscoped('notes', note.id)).to.equal(null);
  });

  it('tags come back exactly as stored from every read (they travel as JSON)', async () => {
    // Characters that array literals quote or escape, JSON escapes, and text beyond ASCII.
    const tags = [
      'a,b',
      '{braces}',
      'quote"d',
      'back\\slash',
      'null',
      'NULL',
      ' spaced ',
      'ünï-😀',
      '',
      'tab\there',
    ];
    const created = await items.create(newItem('notes', personal(users.carol), 'odd-tags', { tags }));
    expect(created.tags).to.deep.equal(tags);
    const asCarol = { resource: 'notes' as const, userId: users.carol, access: everything };
    expect((await items.getVisible({ ...asCarol, id: created.id }))?.tags).to.deep.equal(tags);
    const listed = await items.listVisible({ ...asCarol, limit: 100 });
    expect(listed.find((record) => record.id === created.id)?.tags).to.deep.equal(tags);
    expect((await items.getUnscoped('notes', created.id))?.tags).to.deep.equal(tags);
    const untagged = await items.create(newItem('notes', personal(users.carol), 'no-tags', { tags: [] }));
    expect((await items.getUnscoped('notes', untagged.id))?.tags).to.deep.equal([]);
    await items.delete('notes', created.id);
    await items.delete('notes', untagged.id);
  });

  it('rows read for the wire encode to the bytes of the records every other read returns, for every resource', async () => {
    // listVisibleRows (what the federation List writes straight to the wire) and listVisible
    // (records, what JSON answers and the query API render) run the same statement: each
    // resource's columns must mean the same to the encoder as to itemFromRow.
    const owner = personal(users.carol);
    const created: string[] = [];
    for (const resource of resourceNames) {
      const contents: Array<[string, Partial<ItemContent>]> = [
        ['plain', {}],
        [
          'full ✓',
          {
            body: 'ünïcødé body 🚀',
            tags: ['a,b', 'NULL', ''],
            dueAt: new Date('2027-03-04T05:06:07.089Z'),
            kind: 'ssh',
            username: 'carol',
            url: 'https://vault.test/x',
            provider: 'openai',
            maskedValue: '••••9876',
            expiresAt: new Date('1969-12-31T23:59:59.999Z'),
            ...(resource === 'tasks' ? { status: 'in_progress' as const } : {}),
          },
        ],
      ];
      for (const [title, content] of contents) {
        created.push((await items.create(newItem(resource, owner, title, content))).id);
      }
      const asCarol = { resource, userId: users.carol, access: everything, limit: 100 };
      const rows = await items.listVisibleRows(asCarol);
      const records = await items.listVisible(asCarol);
      expect(rows, resource).to.have.length(records.length).and.to.have.length.at.least(2);
      const reflective = toBinary(
        ListResponseSchema,
        create(ListResponseSchema, { items: records.map(itemToProto) }),
      );
      expect(
        Buffer.from(reflective).equals(
          encodeItemsField(ListResponseSchema.field.items!.number, resource, rows),
        ),
        resource,
      ).to.equal(true);
    }
    for (const [index, id] of created.entries()) {
      await items.delete(resourceNames[Math.floor(index / 2)]!, id);
    }
  });

  it('the search vector is generated from title, body and tags (PostgreSQL 15)', async () => {
    const note = await items.create(
      newItem('notes', personal(users.alice), 'Quarterly Planning', {
        body: 'budget review',
        tags: ['finance-q3'],
      }),
    );
    for (const word of ['quarterly', 'budget', 'finance']) {
      const rows = await queryRows(
        dataSource,
        `SELECT id FROM items WHERE search_vector @@ to_tsquery('simple', $1) AND id = $2`,
        [word, note.id],
      );
      expect(rows, word).to.have.length(1);
    }
    const ranked = await queryRows<{ title: string }>(
      dataSource,
      `SELECT title FROM items WHERE search_vector @@ to_tsquery('simple', 'planning') ORDER BY ts_rank(search_vector, to_tsquery('simple', 'planning')) DESC`,
    );
    expect(ranked.map((row) => row.title)).to.deep.equal(['Quarterly Planning']);
  });

  describe('keyset paging by (updated_at DESC, id DESC)', () => {
    let dave: string;
    let t5: string;
    const pageAll = async (limit: number, between?: (page: number) => Promise<void>) => {
      const seen: ItemRecord[] = [];
      let after: ReturnType<typeof itemKey> | undefined;
      for (let page = 0; page < 100; page++) {
        const rows = await items.listVisible({
          resource: 'memory',
          userId: dave,
          access: everything,
          limit,
          ...(after ? { after } : {}),
        });
        seen.push(...rows);
        if (rows.length < limit) break;
        after = itemKey(rows.at(-1)!);
        await between?.(page);
      }
      return seen;
    };

    before(async () => {
      dave = (await directory.createUser({ username: 'dave', displayName: '', email: '', role: 'member' }))
        .id;
      t5 = (await directory.createTeam({ name: 't5', description: '' })).id;
      await directory.addMember(t5, dave);
      const created: string[] = [];
      for (let n = 0; n < 25; n++) {
        const owner = n % 2 === 0 ? personal(dave) : team(t5);
        created.push((await items.create(newItem('memory', owner, `m${n}`, { body: `entry ${n}` }))).id);
      }
      // Ten items share one updated_at, so pages must break ties on the id.
      await db.query(
        "UPDATE gateway.items SET updated_at = '2024-05-05T05:05:05.555Z' WHERE id = ANY($1::uuid[])",
        [created.slice(5, 15)],
      );
    });

    it('25 items with limit 10 come back exactly once each, in order, in pages of 10, 10 and 5', async () => {
      const everythingAtOnce = await items.listVisible({
        resource: 'memory',
        userId: dave,
        access: everything,
        limit: 100,
      });
      expect(everythingAtOnce).to.have.length(25);
      const pages: number[] = [];
      const seen: ItemRecord[] = [];
      let after: ReturnType<typeof itemKey> | undefined;
      for (;;) {
        const rows = await items.listVisible({
          resource: 'memory',
          userId: dave,
          access: everything,
          limit: 10,
          ...(after ? { after } : {}),
        });
        pages.push(rows.length);
        seen.push(...rows);
        if (rows.length < 10) break;
        after = itemKey(rows.at(-1)!);
      }
      expect(pages).to.deep.equal([10, 10, 5]);
      expect(seen.map((row) => row.id)).to.deep.equal(everythingAtOnce.map((row) => row.id));
      expect(new Set(seen.map((row) => row.id)).size).to.equal(25);
      for (let n = 1; n < seen.length; n++) {
        const [previous, current] = [seen[n - 1]!, seen[n]!];
        const ordered =
          previous.updatedAt > current.updatedAt ||
          (previous.updatedAt.getTime() === current.updatedAt.getTime() && previous.id > current.id);
        expect(ordered, `${previous.title} before ${current.title}`).to.equal(true);
      }
    });

    it('limit 1 and a limit above the count also return all 25 exactly once', async () => {
      for (const limit of [1, 7, 25, 26]) {
        const seen = await pageAll(limit);
        expect(new Set(seen.map((row) => row.id)).size, `limit ${limit}`).to.equal(25);
        expect(seen, `limit ${limit}`).to.have.length(25);
      }
    });

    it('an item changed between pages moves to the head: never repeated, and skipped by this pass if not yet seen', async () => {
      const head = await items.listVisible({
        resource: 'memory',
        userId: dave,
        access: everything,
        limit: 25,
      });
      const alreadySeen = head[2]!;
      const notYetSeen = head[20]!;
      const seen = await pageAll(10, async (page) => {
        if (page !== 0) return;
        for (const record of [alreadySeen, notYetSeen]) {
          await items.update({ ...record, body: `${record.body} (changed)`, id: record.id });
        }
      });
      // No duplicates; the not-yet-seen item now sorts before the cursor, so this pass misses it.
      expect(seen).to.have.length(24);
      expect(new Set(seen.map((row) => row.id)).size).to.equal(24);
      expect(seen.map((row) => row.id)).not.to.include(notYetSeen.id);
      // A fresh listing starts with the two changed items.
      const fresh = await items.listVisible({
        resource: 'memory',
        userId: dave,
        access: everything,
        limit: 2,
      });
      expect(fresh.map((row) => row.id).sort()).to.deep.equal([alreadySeen.id, notYetSeen.id].sort());
    });

    it('refuses a limit outside 1..10001', async () => {
      for (const limit of [0, -1, 1.5, 10_002]) {
        await items.listVisible({ resource: 'memory', userId: dave, access: everything, limit }).then(
          () => expect.fail(`limit ${limit} accepted`),
          (error: unknown) => expect(error).to.be.instanceOf(RangeError),
        );
      }
    });
  });
});
