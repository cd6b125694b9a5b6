import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import {
  type ItemAccess,
  type ItemSearchHit,
  ItemStore,
  type SearchKey,
  type SearchVisibleOptions,
} from '../../src/data/item-store.js';
import { type ResourceName, resourceNames } from '../../src/data/resource-names.js';
import { DirectoryStore } from '../../src/directory/directory-store.js';
import { newItem, openGatewayData, personal, team } from '../data/item-fixture.js';
import { hostileQueries } from './hostile-queries.js';

const everything: ItemAccess = { includePersonal: true, includeTeams: null };
const accessTo = (resources: readonly ResourceName[], access: ItemAccess = everything) =>
  Object.fromEntries(resources.map((name) => [name, access]));

describe('gateway data: item search (full text, native RBAC ∩ access per resource, in SQL)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let dataSource: DataSource;
  let directory: DirectoryStore;
  let items: ItemStore;
  const users: Record<'alice' | 'bob' | 'carol' | 'dave', string> = {
    alice: '',
    bob: '',
    carol: '',
    dave: '',
  };
  const teams: Record<'t1' | 't2' | 't3', string> = { t1: '', t2: '', t3: '' };

  const titles = (hits: ItemSearchHit[]) => hits.map((hit) => hit.record.title).sort();
  const search = (options: Partial<SearchVisibleOptions> & { user: keyof typeof users }) => {
    const resources = options.resources ?? resourceNames;
    return items.searchVisible({
      resources,
      userId: users[options.user],
      accessByResource: options.accessByResource ?? accessTo(resources),
      query: options.query ?? 'orchid',
      limit: options.limit ?? 100,
      ...(options.after ? { after: options.after } : {}),
    });
  };

  before(async () => {
    db = await createTestDatabase();
    dataSource = await openGatewayData(db.url);
    directory = new DirectoryStore(dataSource);
    items = new ItemStore(dataSource);
    for (const name of ['alice', 'bob', 'carol', 'dave'] as const) {
      users[name] = (
        await directory.createUser({ username: name, displayName: name, email: '', role: 'member' })
      ).id;
    }
    for (const name of ['t1', 't2', 't3'] as const) {
      teams[name] = (await directory.createTeam({ name, description: '' })).id;
    }
    // alice: t1, t2. bob: t3. carol: no team.
    await directory.addMember(teams.t1, users.alice);
    await directory.addMember(teams.t2, users.alice);
    await directory.addMember(teams.t3, users.bob);
    const seed: Array<[ResourceName, ReturnType<typeof personal>, string, string]> = [
      ['notes', personal(users.alice), 'orchid care', 'water weekly'],
      ['notes', personal(users.alice), 'greenhouse', 'the orchid shelf'],
      ['notes', personal(users.bob), 'bob orchid', ''],
      ['notes', team(teams.t1), 't1 orchid note', ''],
      ['notes', team(teams.t2), 't2 orchid note', ''],
      ['notes', team(teams.t3), 't3 orchid note', ''],
      ['tasks', personal(users.alice), 'repot the orchid', ''],
      ['tasks', team(teams.t1), 't1 task', 'buy orchid soil'],
      ['memory', personal(users.alice), 'likes', 'alice likes orchid tea'],
      ['credentials', personal(users.alice), 'orchid shop password', ''],
      ['notes', personal(users.alice), 'unrelated', 'nothing to see'],
    ];
    for (const [resource, owner, title, body] of seed) {
      await items.create(
        newItem(resource, owner, title, {
          body,
          ...(resource === 'credentials' ? { maskedValue: '****' } : {}),
        }),
      );
    }
  });

  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  interface SearchCase {
    name: string;
    user: keyof typeof users;
    resources?: ResourceName[];
    access?: (t: typeof teams) => Partial<Record<ResourceName, ItemAccess>>;
    finds: string[];
  }

  const cases: SearchCase[] = [
    {
      name: 'native RBAC over every resource: own personal items and the items of the user’s teams',
      user: 'alice',
      finds: [
        'greenhouse',
        'likes',
        'orchid care',
        'orchid shop password',
        'repot the orchid',
        't1 orchid note',
        't1 task',
        't2 orchid note',
      ],
    },
    {
      name: 'only the given resources are searched: a credential never matches when credentials are not among them',
      user: 'alice',
      resources: ['tasks', 'notes'],
      finds: ['greenhouse', 'orchid care', 'repot the orchid', 't1 orchid note', 't1 task', 't2 orchid note'],
    },
    {
      name: 'M3-4 for search: never another user’s personal item nor a team the user is not in',
      user: 'bob',
      finds: ['bob orchid', 't3 orchid note'],
    },
    { name: 'a user in no team finds nothing of anyone else', user: 'carol', finds: [] },
    {
      name: 'each resource through its own access',
      user: 'alice',
      resources: ['tasks', 'notes'],
      access: (t) => ({
        tasks: { includePersonal: false, includeTeams: null },
        notes: { includePersonal: true, includeTeams: [t.t2] },
      }),
      finds: ['greenhouse', 'orchid care', 't1 task', 't2 orchid note'],
    },
    {
      name: 'M3-10 for search: include_teams naming a team the user is not in yields nothing from it',
      user: 'alice',
      resources: ['notes'],
      access: (t) => ({ notes: { includePersonal: false, includeTeams: [t.t3] } }),
      finds: [],
    },
    {
      name: 'include_teams [] and include_personal:false: nothing',
      user: 'alice',
      resources: ['notes', 'tasks'],
      access: () => ({
        notes: { includePersonal: false, includeTeams: [] },
        tasks: { includePersonal: false, includeTeams: [] },
      }),
      finds: [],
    },
    { name: 'no resources: nothing', user: 'alice', resources: [], finds: [] },
  ];

  for (const tc of cases) {
    it(`searchVisible: ${tc.name}`, async () => {
      const hits = await search({
        user: tc.user,
        ...(tc.resources ? { resources: tc.resources } : {}),
        ...(tc.access ? { accessByResource: tc.access(teams) } : {}),
      });
      expect(titles(hits)).to.deep.equal([...tc.finds].sort());
    });
  }

  it('ranks a title match above a body-only match, best first, with its ts_rank', async () => {
    const hits = await search({ user: 'alice', resources: ['notes'] });
    const order = hits.map((hit) => hit.record.title);
    expect(order.indexOf('orchid care')).to.be.lessThan(order.indexOf('greenhouse'));
    for (let n = 1; n < hits.length; n++) expect(hits[n - 1]!.rank).to.be.at.least(hits[n]!.rank);
    expect(hits.every((hit) => hit.rank > 0)).to.equal(true);
  });

  it('web-search syntax of websearch_to_tsquery: every word must match, quotes make a phrase', async () => {
    expect(titles(await search({ user: 'alice', query: 'orchid water' }))).to.deep.equal(['orchid care']);
    expect(titles(await search({ user: 'alice', query: '"shelf orchid"' }))).to.deep.equal([]);
    expect(titles(await search({ user: 'alice', query: '"the orchid shelf"' }))).to.deep.equal([
      'greenhouse',
    ]);
    expect(titles(await search({ user: 'alice', query: 'ORCHID Tea' }))).to.deep.equal(['likes']);
  });

  it('an empty or blank query, or one without a searchable word, finds nothing (not an error)', async () => {
    for (const query of ['', '   ', '\t\n', '\u0000', '&|!', '::', '""']) {
      expect(await search({ user: 'alice', query }), JSON.stringify(query)).to.deep.equal([]);
    }
  });

  it('SQL and tsquery meta-characters are searched as text and change nothing', async () => {
    const counts = async () =>
      (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM gateway.items'))[0]!.n;
    const before = await counts();
    for (const query of hostileQueries) {
      const hits = await search({ user: 'alice', query });
      // Whatever matches is still only what alice may see.
      for (const hit of hits) expect(hit.record.title, query).not.to.match(/^(bob|t3) /);
    }
    // A keyword next to meta-characters is still found; % is no wildcard.
    expect(titles(await search({ user: 'alice', query: '%orchid%', resources: ['tasks'] }))).to.deep.equal([
      'repot the orchid',
      't1 task',
    ]);
    expect(await search({ user: 'alice', query: 'orch%' })).to.deep.equal([]);
    expect(await counts()).to.equal(before);
    expect((await db.query("SELECT to_regclass('gateway.items') AS t"))[0]).to.deep.equal({
      t: 'gateway.items',
    });
  });

  it('refuses a limit outside 1..10001 and an access missing for a searched resource', async () => {
    for (const limit of [0, 1.5, 10_002]) {
      await search({ user: 'alice', limit }).then(
        () => expect.fail(`limit ${limit} accepted`),
        (error: unknown) => expect(error).to.be.instanceOf(RangeError),
      );
    }
    await search({ user: 'alice', resources: ['notes'], accessByResource: {} }).then(
      () => expect.fail('accepted'),
      (error: unknown) => expect(error).to.be.instanceOf(RangeError),
    );
  });

  describe('keyset paging by (rank DESC, id DESC)', () => {
    before(async () => {
      const t4 = (await directory.createTeam({ name: 't4', description: '' })).id;
      await directory.addMember(t4, users.dave);
      for (let n = 0; n < 30; n++) {
        // Three kinds of match (title, body, tag), ten of each: ties that only the id can break.
        const owner = n % 2 === 0 ? personal(users.dave) : team(t4);
        const content =
          n % 3 === 0
            ? { title: `lotus ${n}`, body: '' }
            : n % 3 === 1
              ? { title: `pond ${n}`, body: 'a lotus flower' }
              : { title: `plant ${n}`, body: 'green', tags: ['lotus'] };
        await items.create(newItem(n % 2 ? 'notes' : 'memory', owner, content.title, content));
      }
    });

    const pageAll = async (limit: number) => {
      const seen: ItemSearchHit[] = [];
      let after: SearchKey | undefined;
      for (let page = 0; page < 100; page++) {
        const hits = await search({
          user: 'dave',
          query: 'lotus',
          limit,
          ...(after ? { after } : {}),
        });
        seen.push(...hits);
        if (hits.length < limit) break;
        after = { rank: hits.at(-1)!.rank, id: hits.at(-1)!.record.id };
      }
      return seen;
    };

    it('every hit exactly once, in the one-shot order, whatever the page size', async () => {
      const all = await search({ user: 'dave', query: 'lotus' });
      expect(all).to.have.length(30);
      expect(new Set(all.map((hit) => hit.rank)).size).to.be.greaterThan(1);
      for (let n = 1; n < all.length; n++) {
        const [previous, current] = [all[n - 1]!, all[n]!];
        const ordered =
          previous.rank > current.rank ||
          (previous.rank === current.rank && previous.record.id > current.record.id);
        expect(ordered).to.equal(true);
      }
      for (const limit of [1, 4, 7, 10, 30, 31]) {
        const seen = await pageAll(limit);
        expect(
          seen.map((hit) => hit.record.id),
          `limit ${limit}`,
        ).to.deep.equal(all.map((hit) => hit.record.id));
      }
    });
  });
});
