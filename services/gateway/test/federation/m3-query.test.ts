import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { QueryService, QueryVerb, SourceStatus } from '@mosaic/contracts/v1/query_pb';
import { createServiceDataSource, Sealer } from '@mosaic/platform';
import { expect } from 'chai';
import { bearerClient } from '../../../../test/support/bearer-client.js';
import { startStack, type TestStack } from '../../../../test/support/stack.js';
import { PeerClients } from '../../src/federation/client/peer-clients.js';
import { PeerOutcomeRecorder } from '../../src/peers/peer-outcome-recorder.js';
import { PeerStore } from '../../src/peers/peer-store.js';

describe('M3 query API on the requesting gateway (two stacks: A 127.0.0.2, B 127.0.0.3)', function () {
  this.timeout(90_000);
  let a: TestStack;
  let b: TestStack;
  let query: ReturnType<typeof createClient<typeof QueryService>>;
  let queryJson: ReturnType<typeof createClient<typeof QueryService>>;
  let work: string;

  const task = (stack: TestStack, title: string, userId: string) =>
    stack.admin.createItem({
      item: { item: { case: 'task', value: { title, owner: { owner: { case: 'userId', value: userId } } } } },
    });

  before(async () => {
    [a, b] = await Promise.all([startStack('127.0.0.2'), startStack('127.0.0.3')]);
    const home = (await a.admin.createUser({ username: 'alice-home' })).user!.id;
    work = (await b.admin.createUser({ username: 'alice' })).user!.id;
    for (const title of ['home 1', 'home 2']) await task(a, title, home);
    for (const title of ['work 1', 'work 2', 'work 3']) await task(b, title, work);
    const created = await b.admin.createGrant({
      subjectUserId: work,
      requestingServer: '127.0.0.2',
      scopeJson: '{"resources":["tasks"]}',
    });
    await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl, localUserId: home });
    const { token } = await a.admin.createAccessToken({ userId: home, name: 'agent' });
    query = bearerClient(QueryService, a.running.adminUrl!, token);
    queryJson = bearerClient(QueryService, a.running.adminUrl!, token, 'json');
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  /** A's gateway schema, through a data source of the test's own. */
  const gatewayDataOfA = async (applicationName: string) => {
    const dataSource = createServiceDataSource({
      url: a.db.url,
      schema: 'gateway',
      entities: [],
      migrations: [],
      poolSize: 1,
      applicationName,
      connectTimeoutMs: 5_000,
    });
    await dataSource.initialize();
    return dataSource;
  };

  const titled = (items: Array<{ item?: { item: { value?: unknown } }; source: string }>) =>
    items.map((entry) => `${entry.source}:${(entry.item!.item.value as { title: string }).title}`).sort();

  it('peer outcomes: repeated successes are written once per interval, a failure and the recovery after it at once', async () => {
    const dataSource = await gatewayDataOfA('peer-outcome-test');
    try {
      const [peer] = await a.db.query<{ id: string }>('SELECT id FROM gateway.peers');
      const row = async () =>
        (
          await a.db.query<{ success: string | null; failure: string | null; reason: string }>(
            `SELECT last_success_at::text AS success, last_failure_at::text AS failure,
                    last_failure_reason AS reason FROM gateway.peers WHERE id = $1`,
            [peer!.id],
          )
        )[0]!;
      // An interval no test run outlasts: what is (not) written cannot depend on the machine's speed.
      const recorder = new PeerOutcomeRecorder(dataSource, 3_600_000);
      await recorder.record(peer!.id, { ok: true });
      const first = await row();
      expect(first.success).to.not.equal(null);
      await recorder.record(peer!.id, { ok: true });
      expect((await row()).success).to.equal(first.success);
      await recorder.record(peer!.id, { ok: false, reason: 'connect ECONNREFUSED' });
      const failed = await row();
      expect(failed.failure).to.not.equal(null);
      expect(failed.reason).to.equal('connect ECONNREFUSED');
      await recorder.record(peer!.id, { ok: true });
      expect((await row()).success).to.not.equal(first.success);
    } finally {
      await dataSource.destroy();
    }
  });

  it('M3-8: source all merges local and federated results, each tagged with its source', async () => {
    const response = await query.query({ source: 'all', verb: QueryVerb.LIST, resource: Resource.TASKS });
    expect(titled(response.items)).to.deep.equal([
      '127.0.0.3:work 1',
      '127.0.0.3:work 2',
      '127.0.0.3:work 3',
      'local:home 1',
      'local:home 2',
    ]);
    expect(response.items.every((entry) => entry.cached === false)).to.equal(true);
    expect(
      response.sources.map((source) => [source.source, SourceStatus[source.status], source.itemCount]),
    ).to.deep.equal([
      ['local', 'OK', 2],
      ['127.0.0.3', 'OK', 3],
    ]);
    expect(response.signals).to.deep.equal([]);
  });

  it('M3-8: LIST is merged newest first across sources, the same in a binary answer (written straight to the wire) and a JSON one', async () => {
    const asked = { source: 'all', verb: QueryVerb.LIST, resource: Resource.TASKS } as const;
    const [binary, json] = await Promise.all([query.query(asked), queryJson.query(asked)]);
    expect(binary.items).to.have.length(5);
    expect(json.items).to.deep.equal(binary.items);
    const updatedAt = binary.items.map((entry) => {
      const time = (entry.item!.item.value as { updatedAt: { seconds: bigint; nanos: number } }).updatedAt;
      return Number(time.seconds) * 1000 + time.nanos / 1e6;
    });
    expect(updatedAt).to.deep.equal([...updatedAt].sort((x, y) => y - x));
    expect(json.sources.map((source) => source.itemCount)).to.deep.equal([2, 3]);
  });

  it('source local and federated:<peer> select one side', async () => {
    const local = await query.query({ source: 'local', verb: QueryVerb.LIST, resource: Resource.TASKS });
    expect(titled(local.items)).to.deep.equal(['local:home 1', 'local:home 2']);
    const remote = await query.query({
      source: 'federated:127.0.0.3',
      verb: QueryVerb.LIST,
      resource: Resource.TASKS,
    });
    expect(titled(remote.items)).to.deep.equal(['127.0.0.3:work 1', '127.0.0.3:work 2', '127.0.0.3:work 3']);
  });

  it('source all: a local read that fails while the peer lookup is still running is refused with its own error, and A goes on answering', async () => {
    // The local read starts before the peer lookup; with no resource it fails at once, before the
    // lookup's round trip to the database ends. Left unobserved until then, that failure would be
    // an unhandled rejection, which ends a gateway process (Node's default).
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const error = await query
      .query({ source: 'all', verb: QueryVerb.LIST, resource: Resource.UNSPECIFIED })
      .then(
        () => undefined,
        (thrown: unknown) => ConnectError.from(thrown),
      )
      .finally(() => process.off('unhandledRejection', onUnhandled));
    expect(unhandled).to.deep.equal([]);
    expect(error?.code).to.equal(Code.InvalidArgument);
    expect(error?.rawMessage).to.match(/^resource is required\./);
    const next = await query.query({ source: 'all', verb: QueryVerb.LIST, resource: Resource.TASKS });
    expect(next.sources.map((source) => source.status)).to.deep.equal([SourceStatus.OK, SourceStatus.OK]);
  });

  it('M3-9: federated responses never persist on A: row counts are unchanged after many round trips', async () => {
    const counts = async () => {
      const tables = await a.db.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
         WHERE table_schema IN ('ca', 'grants', 'audit', 'gateway') AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
      );
      const result: Record<string, number> = {};
      for (const table of tables) {
        const [row] = await a.db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM "${table.schema}"."${table.name}"`,
        );
        result[`${table.schema}.${table.name}`] = Number(row!.n);
      }
      return result;
    };
    const before = await counts();
    expect(before['gateway.items']).to.equal(2);
    for (let round = 0; round < 40; round += 1) {
      const response = await query.query({ source: 'all', verb: QueryVerb.LIST, resource: Resource.TASKS });
      expect(response.items).to.have.length(5);
    }
    expect(await counts()).to.deep.equal(before);
    // Nothing of B's text is anywhere in A's database either.
    const dump = JSON.stringify(await a.db.query("SELECT * FROM gateway.items WHERE title LIKE 'work%'"));
    expect(dump).to.equal('[]');
  });

  it('the query API refuses an admin token: agents act as a user', async () => {
    const adminCall = createClient(
      QueryService,
      createConnectTransport({ baseUrl: a.running.adminUrl!, httpVersion: '2' }),
    );
    const error = await adminCall
      .query({ source: 'local', verb: QueryVerb.LIST, resource: Resource.TASKS })
      .then(
        () => null,
        (reason: Error) => reason,
      );
    expect(error?.message).to.include('user bearer token');
    // A valid admin token is known, but it is not the query API's: permission denied, with what to use.
    const withAdminToken = bearerClient(QueryService, a.running.adminUrl!, a.adminToken);
    const refused = await withAdminToken
      .query({ source: 'local', verb: QueryVerb.LIST, resource: Resource.TASKS })
      .then(
        () => null,
        (reason: unknown) => ConnectError.from(reason),
      );
    expect(refused?.code).to.equal(Code.PermissionDenied);
    expect(refused?.rawMessage).to.include('this is an admin token');
    expect(refused?.rawMessage).to.include('mosaic user token create');
  });

  it('the admin API refuses a user token as permission denied, naming the token it needs', async () => {
    const user = (await a.admin.createUser({ username: 'hana-home' })).user!.id;
    const { token } = await a.admin.createAccessToken({ userId: user, name: 'agent' });
    const asUser = bearerClient(AdminService, a.running.adminUrl!, token);
    const refused = await asUser.listUsers({}).then(
      () => null,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(refused?.code).to.equal(Code.PermissionDenied);
    expect(refused?.rawMessage).to.include('this is a user token');
    expect(refused?.rawMessage).to.include('mosaic admin token create');
    // A token that does not verify stays unauthenticated.
    const forged = bearerClient(AdminService, a.running.adminUrl!, `${token.slice(0, -4)}AAAA`);
    const unknown = await forged.listUsers({}).then(
      () => null,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(unknown?.code).to.equal(Code.Unauthenticated);
  });

  it("peer answers come whole by default; peerCompression gzip asks the peer to gzip them (B's listener compresses what A accepts); an answer over the bound is refused", async () => {
    const dataSource = await gatewayDataOfA('peer-compression-test');
    // Past Connect's 1 KiB threshold: a smaller answer is never compressed, whatever was asked.
    const { item } = await b.admin.createItem({
      item: {
        item: {
          case: 'task',
          value: { title: 'long', body: 'x'.repeat(4096), owner: { owner: { case: 'userId', value: work } } },
        },
      },
    });
    const id = (item!.item.value as { id: string }).id;
    try {
      const [peer] = await new PeerStore(dataSource).list({ limit: 1 });
      const sealer = new Sealer(Buffer.from(a.env.MOSAIC_MASTER_KEY!, 'base64url'));
      for (const [setting, encoding] of [
        ['none', null],
        ['gzip', 'gzip'],
      ] as const) {
        let answered: string | null | undefined;
        const got = await new PeerClients(sealer, setting)
          .forPeer(peer!)
          .get(
            { resource: Resource.TASKS, id },
            { onHeader: (header) => (answered = header.get('content-encoding')) },
          );
        expect((got.item!.item.value as { body: string }).body, setting).to.have.length(4096);
        expect(answered, setting).to.equal(encoding);
      }
      // An answer over the client's bound is refused, not buffered (the bound is 64 MiB; 2 KiB here).
      const refused = await new PeerClients(sealer, 'none', 2048)
        .forPeer(peer!)
        .get({ resource: Resource.TASKS, id })
        .then(
          () => null,
          (reason: unknown) => ConnectError.from(reason),
        );
      expect(refused?.code).to.equal(Code.ResourceExhausted);
    } finally {
      await b.admin.deleteItem({ resource: Resource.TASKS, id });
      await dataSource.destroy();
    }
  });

  it("a user's peer is theirs alone: another user never queries it, nor after the user is deleted", async () => {
    const carol = (await a.admin.createUser({ username: 'carol-home' })).user!.id;
    const dave = (await a.admin.createUser({ username: 'dave-home' })).user!.id;
    const created = await b.admin.createGrant({
      subjectUserId: work,
      requestingServer: '127.0.0.2',
      scopeJson: '{"resources":["tasks"]}',
    });
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl, localUserId: carol });
    const asUser = async (userId: string) =>
      bearerClient(
        QueryService,
        a.running.adminUrl!,
        (await a.admin.createAccessToken({ userId, name: 'agent' })).token,
      );
    const carolQuery = await asUser(carol);
    const daveQuery = await asUser(dave);
    const federated = async (client: typeof query) =>
      (await client.query({ source: 'all', verb: QueryVerb.LIST, resource: Resource.TASKS })).items.filter(
        (entry) => entry.source !== 'local',
      );

    expect(await federated(carolQuery)).to.have.length(3);
    expect(await federated(daveQuery)).to.deep.equal([]);
    await a.admin.deleteUser({ userId: carol });
    // Before, the deleted user's peer became every user's (local_user_id set to NULL).
    expect(await federated(daveQuery)).to.deep.equal([]);
    expect(await a.db.query('SELECT id FROM gateway.peers WHERE id = $1', [peer!.id])).to.deep.equal([]);
  });
});
