import { Code, type createClient } from '@connectrpc/connect';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import type { SearchHit } from '@mosaic/contracts/v1/federation_pb';
import type { Item } from '@mosaic/contracts/v1/items_pb';
import { QueryService, QueryVerb, SignalKind, SourceStatus } from '@mosaic/contracts/v1/query_pb';
import { reasonOfConnectError } from '@mosaic/platform';
import { expect } from 'chai';
import { bearerClient } from '../../../../test/support/bearer-client.js';
import { connectError } from '../../../../test/support/connect-error.js';
import {
  type ClientCredentials,
  federationClient,
  peerCredentials,
} from '../../../../test/support/federation-client.js';
import { startStack, type TestStack } from '../../../../test/support/stack.js';
import { hostileQueries } from './hostile-queries.js';

/** The title of a task, note or memory entry; the name of a credential or API key. */
const label = (item: Item | undefined) => {
  const value = item?.item.value as { title?: string; name?: string } | undefined;
  return value?.title ?? value?.name ?? '';
};
const labels = (hits: SearchHit[]) => hits.map((hit) => label(hit.item)).sort();

describe('M4 search (two stacks: A 127.0.0.2, B 127.0.0.3)', function () {
  this.timeout(120_000);
  let a: TestStack;
  let b: TestStack;
  const ids: Record<string, string> = {};
  const credentials: Record<string, ClientCredentials> = {};
  let query: ReturnType<typeof createClient<typeof QueryService>>;

  const owner = (who: { userId?: string; teamId?: string }) => ({
    owner: who.userId
      ? { case: 'userId' as const, value: who.userId }
      : { case: 'teamId' as const, value: who.teamId! },
  });

  async function create(
    stack: TestStack,
    kind: 'task' | 'note' | 'memory',
    title: string,
    who: { userId?: string; teamId?: string },
    body = '',
  ) {
    const { item } = await stack.admin.createItem({
      item: { item: { case: kind, value: { title, body, owner: owner(who) } } },
    });
    return (item!.item.value as { id: string }).id;
  }

  /** Enrolls A with a grant of B; the peer belongs to A's user `localUserId`. */
  async function enroll(
    name: string,
    subject: string,
    scope: unknown,
    localUserId: string,
    allowSensitive = false,
  ) {
    const created = await b.admin.createGrant({
      subjectUserId: subject,
      requestingServer: '127.0.0.2',
      scopeJson: JSON.stringify(scope),
      allowSensitive,
    });
    ids[`grant:${name}`] = created.grant!.id;
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl, localUserId });
    credentials[name] = await peerCredentials(a, peer!.id);
  }

  before(async () => {
    [a, b] = await Promise.all([startStack('127.0.0.2'), startStack('127.0.0.3')]);
    // B: alice (teams t1), bob (team t3).
    const alice = (await b.admin.createUser({ username: 'alice' })).user!.id;
    const bob = (await b.admin.createUser({ username: 'bob' })).user!.id;
    Object.assign(ids, { alice, bob });
    for (const team of ['t1', 't3']) ids[team] = (await b.admin.createTeam({ name: team })).team!.id;
    await b.admin.addTeamMember({ teamId: ids.t1!, userId: alice });
    await b.admin.addTeamMember({ teamId: ids.t3!, userId: bob });
    await create(b, 'task', 'kiwi launch plan', { userId: alice });
    await create(b, 'task', 'weekly review', { userId: alice }, 'the kiwi came up in passing');
    await create(b, 'task', 't1 kiwi task', { teamId: ids.t1! });
    await create(b, 'task', 't3 kiwi task', { teamId: ids.t3! });
    await create(b, 'task', 'bob kiwi task', { userId: bob });
    await create(b, 'note', 'kiwi note', { userId: alice });
    await create(b, 'memory', 'kiwi memory', { userId: alice });
    await create(b, 'task', 'rotate the database password', { userId: alice });
    await b.admin.createItem({
      item: {
        item: {
          case: 'credential',
          value: { name: 'prod database password', maskedValue: '****', owner: owner({ userId: alice }) },
        },
      },
    });
    // A: the agent's user "home" with local data; "other" owns the peers of the direct federation tests.
    const home = (await a.admin.createUser({ username: 'alice-home' })).user!.id;
    const other = (await a.admin.createUser({ username: 'other' })).user!.id;
    await create(a, 'task', 'kiwi shopping', { userId: home });
    await create(a, 'note', 'home notes', { userId: home }, 'kiwi and password manager');

    await enroll('tasks-notes', alice, { resources: ['tasks', 'notes'] }, home);
    await enroll('all-but-sensitive', alice, { resources: ['tasks', 'notes', 'memory'] }, other);
    await enroll('paged', alice, { resources: ['tasks', 'notes', 'memory'], max_rows_per_query: 2 }, other);
    await enroll(
      'alice-t3',
      alice,
      { resources: ['tasks'], filters: { tasks: { include_teams: [ids.t3], include_personal: false } } },
      other,
    );
    await enroll('bob', bob, { resources: ['tasks'] }, other);
    await enroll('sensitive', alice, { resources: ['tasks', 'credentials'] }, other, true);

    const { token } = await a.admin.createAccessToken({ userId: home, name: 'agent' });
    query = bearerClient(QueryService, a.running.adminUrl!, token);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const search = (
    name: string,
    request: { query: string; resources?: readonly Resource[]; pageSize?: number; pageToken?: string },
  ) => federationClient(credentials[name]!).search({ ...request, resources: [...(request.resources ?? [])] });

  it('M4-1: search returns ranked hits only from allowed resources', async () => {
    const { hits, nextPageToken } = await search('tasks-notes', { query: 'kiwi' });
    // tasks and notes of alice's (personal and t1); never memory, never bob's, never team t3's.
    expect(labels(hits)).to.deep.equal(['kiwi launch plan', 'kiwi note', 't1 kiwi task', 'weekly review']);
    expect(nextPageToken).to.equal('');
    // Best first: a title match ranks above a body-only match.
    const order = hits.map((hit) => label(hit.item));
    expect(order.indexOf('kiwi launch plan')).to.be.lessThan(order.indexOf('weekly review'));
    const scores = hits.map((hit) => hit.score);
    expect(scores.every((score) => score > 0)).to.equal(true);
    expect([...scores].sort((x, y) => y - x)).to.deep.equal(scores);
    expect(hits.find((hit) => label(hit.item) === 'kiwi launch plan')!.score).to.be.greaterThan(
      hits.find((hit) => label(hit.item) === 'weekly review')!.score,
    );
    // Naming a disallowed resource skips it; the allowed ones are searched.
    const named = await search('tasks-notes', {
      query: 'kiwi',
      resources: [Resource.MEMORY, Resource.NOTES],
    });
    expect(labels(named.hits)).to.deep.equal(['kiwi note']);
    // The same data is there for a grant that allows memory.
    const wider = await search('all-but-sensitive', { query: 'kiwi', resources: [Resource.MEMORY] });
    expect(labels(wider.hits)).to.deep.equal(['kiwi memory']);
  });

  it("M4-2: with credentials excluded, a keyword that matches a credential's name returns no credential", async () => {
    for (const keywords of ['password', 'prod database', 'prod database password', 'database']) {
      const { hits } = await search('tasks-notes', { query: keywords });
      expect(
        hits.filter((hit) => hit.item?.item.case === 'credential'),
        keywords,
      ).to.deep.equal([]);
      expect(labels(hits), keywords).not.to.include('prod database password');
    }
    // The task that shares the keyword is found: the search ran, the credential is what was left out.
    expect(labels((await search('tasks-notes', { query: 'password' })).hits)).to.deep.equal([
      'rotate the database password',
    ]);
    // Asking for credentials explicitly: 403, as List and Get.
    for (const resources of [[Resource.CREDENTIALS], [Resource.CREDENTIALS, Resource.API_KEYS]]) {
      const error = await connectError(search('tasks-notes', { query: 'password', resources }));
      expect(error.code).to.equal(Code.PermissionDenied);
      expect(reasonOfConnectError(error)).to.equal('resource_not_in_scope');
      expect(error.rawMessage).to.include('credentials');
      expect(error.rawMessage).to.match(/credentials(, api_keys)? is (not )?in the scope/);
    }
    // The credential does match "password" for a grant that allows credentials.
    const sensitive = await search('sensitive', { query: 'prod database' });
    expect(labels(sensitive.hits)).to.deep.equal(['prod database password']);
    expect(sensitive.hits[0]!.item!.item.case).to.equal('credential');
  });

  it('AC-9: a scope excluding credentials never returns credentials, even via search with matching keywords', async () => {
    for (const keywords of ['password', 'prod database', 'prod database password']) {
      const response = await query.query({ source: 'all', verb: QueryVerb.SEARCH, query: keywords });
      expect(
        response.items.filter((entry) => entry.item?.item.case === 'credential'),
        keywords,
      ).to.deep.equal([]);
      expect(response.sources.map((source) => [source.source, SourceStatus[source.status]])).to.deep.equal([
        ['local', 'OK'],
        ['127.0.0.3', 'OK'],
      ]);
    }
    const password = await query.query({ source: 'all', verb: QueryVerb.SEARCH, query: 'password' });
    expect(password.items.map((entry) => `${entry.source}:${label(entry.item)}`).sort()).to.deep.equal([
      '127.0.0.3:rotate the database password',
      'local:home notes',
    ]);
    // Asking for credentials explicitly through A: B refuses (access denied, reported), still no credential.
    const explicit = await query.query({
      source: 'all',
      verb: QueryVerb.SEARCH,
      query: 'password',
      resources: [Resource.CREDENTIALS],
    });
    expect(explicit.items).to.deep.equal([]);
    const peer = explicit.sources.find((source) => source.source === '127.0.0.3')!;
    expect(SourceStatus[peer.status]).to.equal('DENIED');
    expect(explicit.signals.map((signal) => SignalKind[signal.kind])).to.deep.equal(['ACCESS_DENIED']);
  });

  it('QueryService SEARCH: local, federated and all, each item tagged with its source and score, never cached', async () => {
    const local = await query.query({ source: 'local', verb: QueryVerb.SEARCH, query: 'kiwi' });
    expect(local.items.map((entry) => `${entry.source}:${label(entry.item)}`)).to.deep.equal([
      'local:kiwi shopping',
      'local:home notes',
    ]);
    const remote = await query.query({
      source: 'federated:127.0.0.3',
      verb: QueryVerb.SEARCH,
      query: 'kiwi',
    });
    expect(remote.items.map((entry) => label(entry.item)).sort()).to.deep.equal([
      'kiwi launch plan',
      'kiwi note',
      't1 kiwi task',
      'weekly review',
    ]);
    const all = await query.query({ source: 'all', verb: QueryVerb.SEARCH, query: 'kiwi' });
    expect(all.items).to.have.length(6);
    expect(all.items.every((entry) => entry.cached === false && entry.score > 0)).to.equal(true);
    // Each source's ranking is kept, and interleaved: the first two items are each source's best.
    for (const source of ['local', '127.0.0.3']) {
      const own = all.items.filter((entry) => entry.source === source);
      const asked = source === 'local' ? local.items : remote.items;
      expect(own.map((entry) => label(entry.item))).to.deep.equal(asked.map((entry) => label(entry.item)));
      expect(own.map((entry) => entry.score)).to.deep.equal(asked.map((entry) => entry.score));
    }
    expect(new Set(all.items.slice(0, 2).map((entry) => entry.source))).to.deep.equal(
      new Set(['local', '127.0.0.3']),
    );
    // Searching again asks B again: nothing is served from a cache.
    const again = await query.query({ source: 'all', verb: QueryVerb.SEARCH, query: 'kiwi' });
    expect(again.items.every((entry) => entry.cached === false)).to.equal(true);
    expect(again.sources.every((source) => source.cached === false)).to.equal(true);
    // Resources narrow every source.
    const notes = await query.query({
      source: 'all',
      verb: QueryVerb.SEARCH,
      query: 'kiwi',
      resources: [Resource.NOTES],
    });
    expect(notes.items.map((entry) => `${entry.source}:${label(entry.item)}`).sort()).to.deep.equal([
      '127.0.0.3:kiwi note',
      'local:home notes',
    ]);
  });

  it('QueryService SEARCH pages one peer with its own token; a token elsewhere and a blank query are refused', async () => {
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await query.query({
        source: 'federated:127.0.0.3',
        verb: QueryVerb.SEARCH,
        query: 'kiwi',
        pageSize: 1,
        pageToken,
      });
      expect(page.items.length).to.be.at.most(1);
      seen.push(...page.items.map((entry) => label(entry.item)));
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken && pages < 10);
    expect(seen.sort()).to.deep.equal(['kiwi launch plan', 'kiwi note', 't1 kiwi task', 'weekly review']);
    for (const request of [
      { source: 'all', query: 'kiwi', pageToken: 'x.y' },
      { source: 'local', query: '   ' },
      { source: 'all', query: 'k'.repeat(513) },
    ]) {
      const error = await connectError(query.query({ verb: QueryVerb.SEARCH, ...request }));
      expect(error.code, JSON.stringify(request).slice(0, 60)).to.equal(Code.InvalidArgument);
    }
  });

  it('an SQL-meta-character search returns normally and changes nothing', async () => {
    const counts = async (stack: TestStack) => {
      const [row] = await stack.db.query<Record<string, string>>(
        `SELECT (SELECT count(*) FROM gateway.items)::text AS items, (SELECT count(*) FROM gateway.users)::text AS users,
           (SELECT count(*) FROM gateway.teams)::text AS teams, (SELECT count(*) FROM gateway.memberships)::text AS memberships,
           (SELECT count(*) FROM grants.grants)::text AS grants`,
      );
      return row;
    };
    const [beforeA, beforeB] = [await counts(a), await counts(b)];
    for (const keywords of hostileQueries) {
      const { hits } = await search('tasks-notes', { query: keywords });
      for (const hit of hits) expect(['task', 'note'], keywords).to.include(hit.item?.item.case);
      const response = await query.query({ source: 'all', verb: QueryVerb.SEARCH, query: keywords });
      expect(
        response.sources.map((source) => SourceStatus[source.status]),
        keywords,
      ).to.deep.equal(['OK', 'OK']);
    }
    // A keyword among meta-characters is still just a keyword.
    expect(
      labels((await search('tasks-notes', { query: "kiwi'; --", resources: [Resource.NOTES] })).hits),
    ).to.deep.equal(['kiwi note']);
    expect(await counts(a)).to.deep.equal(beforeA);
    expect(await counts(b)).to.deep.equal(beforeB);
    // The contract's bounds: 1..512 characters.
    for (const keywords of ['', '  ', 'x'.repeat(513)]) {
      const error = await connectError(search('tasks-notes', { query: keywords }));
      expect(error.code).to.equal(Code.InvalidArgument);
    }
  });

  it("M3-4 / M3-10 for search: never another user's personal item, nor a team the user is not in", async () => {
    const asAlice = await search('all-but-sensitive', { query: 'kiwi' });
    expect(labels(asAlice.hits)).to.deep.equal([
      'kiwi launch plan',
      'kiwi memory',
      'kiwi note',
      't1 kiwi task',
      'weekly review',
    ]);
    for (const name of ['bob kiwi task', 't3 kiwi task']) {
      expect(labels((await search('all-but-sensitive', { query: name })).hits)).not.to.include(name);
    }
    // include_teams naming a team alice is not in: nothing, whatever the keyword.
    for (const keywords of ['kiwi', 't3', 't3 kiwi task', 'bob']) {
      expect((await search('alice-t3', { query: keywords })).hits, keywords).to.deep.equal([]);
    }
    // bob's own grant sees bob's data only.
    expect(labels((await search('bob', { query: 'kiwi' })).hits)).to.deep.equal([
      'bob kiwi task',
      't3 kiwi task',
    ]);
  });

  it('max_rows_per_query caps a search page; page tokens give the rest without duplicates or gaps', async () => {
    const seen: SearchHit[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await search('paged', { query: 'kiwi', pageSize: 50, pageToken });
      expect(page.hits.length).to.be.at.most(2);
      seen.push(...page.hits);
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken && pages < 10);
    expect(pages).to.equal(3);
    expect(labels(seen)).to.deep.equal(labels((await search('all-but-sensitive', { query: 'kiwi' })).hits));
    expect(new Set(seen.map((hit) => label(hit.item))).size).to.equal(seen.length);
    const scores = seen.map((hit) => hit.score);
    expect([...scores].sort((x, y) => y - x)).to.deep.equal(scores);
    // Page size 1 walks the same hits in the same order.
    const single: SearchHit[] = [];
    pageToken = '';
    do {
      const page = await search('paged', { query: 'kiwi', pageSize: 1, pageToken });
      single.push(...page.hits);
      pageToken = page.nextPageToken;
    } while (pageToken && single.length < 10);
    expect(single.map((hit) => label(hit.item))).to.deep.equal(seen.map((hit) => label(hit.item)));
  });

  it('a search page token is bound to its grant, resources and query', async () => {
    const { nextPageToken } = await search('paged', { query: 'kiwi' });
    expect(nextPageToken).not.to.equal('');
    for (const [name, request] of [
      ['paged', { query: 'kiwi plan', pageToken: nextPageToken }],
      ['paged', { query: 'kiwi', resources: [Resource.TASKS], pageToken: nextPageToken }],
      ['all-but-sensitive', { query: 'kiwi', pageToken: nextPageToken }],
    ] as const) {
      const error = await connectError(search(name, request));
      expect(error.code, JSON.stringify(request)).to.equal(Code.InvalidArgument);
    }
    // A list token is no search token, even for the same grant.
    const listToken = (await federationClient(credentials.paged!).list({ resource: Resource.TASKS }))
      .nextPageToken;
    expect(listToken).not.to.equal('');
    const error = await connectError(search('paged', { query: 'kiwi', pageToken: listToken }));
    expect(error.code).to.equal(Code.InvalidArgument);
    // An altered position is refused.
    const [payload, mac] = nextPageToken.split('.');
    const position = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...position, r: 1e9 })).toString('base64url')}.${mac}`;
    expect((await connectError(search('paged', { query: 'kiwi', pageToken: forged }))).code).to.equal(
      Code.InvalidArgument,
    );
  });
});
