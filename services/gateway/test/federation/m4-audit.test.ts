import { create, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { AuditOutcome, AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import {
  ListRequestSchema,
  ListResponseSchema,
  SearchRequestSchema,
} from '@mosaic/contracts/v1/federation_pb';
import { expect } from 'chai';
import { connectError } from '../../../../test/support/connect-error.js';
import {
  type ClientCredentials,
  federationClient,
  peerCredentials,
} from '../../../../test/support/federation-client.js';
import { startStack, type TestStack } from '../../../../test/support/stack.js';
import { queryHash } from '../../src/federation/server/federation-audit.js';

describe('M4 audit of federated requests (two stacks)', function () {
  this.timeout(60_000);
  let a: TestStack;
  let b: TestStack;
  let grantId: string;
  let credentials: ClientCredentials;

  /** Waits (polling) until the audit log of the grant has at least `count` rows matching. */
  async function auditRows(filter: { outcomes?: AuditOutcome[]; verbs?: AuditVerb[] }, count: number) {
    const started = Date.now();
    for (;;) {
      const { events } = await b.admin.queryAuditEvents({ filter: { grantId, ...filter } });
      if (events.length >= count || Date.now() - started > 10_000) {
        return { events, waitedMs: Date.now() - started };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  before(async () => {
    [a, b] = await Promise.all([startStack('127.0.0.2'), startStack('127.0.0.3')]);
    const { user } = await b.admin.createUser({ username: 'erin' });
    const created = await b.admin.createGrant({
      subjectUserId: user!.id,
      requestingServer: '127.0.0.2',
      scopeJson: '{"resources":["tasks"]}',
    });
    grantId = created.grant!.id;
    for (const title of ['audit me 1', 'audit me 2']) {
      await b.admin.createItem({
        item: {
          item: { case: 'task', value: { title, owner: { owner: { case: 'userId', value: user!.id } } } },
        },
      });
    }
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl });
    credentials = await peerCredentials(a, peer!.id);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('M4-3 / AC-8: every successful request is in the audit log (queryable without waiting on the request)', async () => {
    const client = federationClient(credentials);
    const sizes: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await client.list({ resource: Resource.TASKS, pageSize: 10 + i });
      sizes.push(toBinary(ListResponseSchema, response).length);
    }
    const { events, waitedMs } = await auditRows({ outcomes: [AuditOutcome.OK], verbs: [AuditVerb.LIST] }, 5);
    const lists = events.filter((event) => event.verb === AuditVerb.LIST);
    expect(lists).to.have.length(5);
    for (const event of lists) {
      expect(event.resource).to.equal(Resource.TASKS);
      expect(event.queryHash).to.match(/^[0-9a-f]{64}$/);
      expect(event.peer).to.equal('127.0.0.2');
      expect(Number(event.bytesOut)).to.be.greaterThan(0);
    }
    // bytes_out is the size of the body each answer sent (Connect unary: the encoded message).
    expect(lists.map((event) => Number(event.bytesOut)).sort()).to.deep.equal(sizes.sort());
    // Different parameters, different hashes.
    expect(new Set(lists.map((event) => event.queryHash)).size).to.equal(5);
    console.log(`      (audit rows queryable after ${waitedMs} ms)`);
  });

  it('M4-4: a denied request is audited with outcome denied; a rate-limited one with rate_limited', async () => {
    const client = federationClient(credentials);
    const denied = await connectError(client.list({ resource: Resource.CREDENTIALS }));
    expect(denied.code).to.equal(Code.PermissionDenied);
    expect((await auditRows({ outcomes: [AuditOutcome.DENIED] }, 1)).events).to.have.length(1);

    await b.admin.updateGrant({ grantId, rateLimitRpm: 2 });
    const codes: Code[] = [];
    for (let i = 0; i < 4; i += 1) {
      codes.push(
        await client.list({ resource: Resource.TASKS }).then(
          () => 0 as Code,
          (e) => connectError(Promise.reject(e)).then((c) => c.code),
        ),
      );
    }
    expect(codes).to.include(Code.ResourceExhausted);
    const limited = await auditRows({ outcomes: [AuditOutcome.RATE_LIMITED] }, 1);
    expect(limited.events.length).to.be.at.least(1);
    expect(limited.events[0]!.grantId).to.equal(grantId);
    await b.admin.updateGrant({ grantId, rateLimitRpm: 600 });
  });

  it('M4-5: the audit row holds the query hash but not the query', () => {
    const secret = 'acquisition of globex corp';
    const search = create(SearchRequestSchema, { query: secret, resources: [Resource.NOTES] });
    const hash = queryHash(SearchRequestSchema, search);
    expect(hash).to.match(/^[0-9a-f]{64}$/);
    expect(hash).to.not.include(Buffer.from(secret).toString('hex').slice(0, 12));
    // The same parameters in any field order give the same hash; any change gives another.
    expect(
      queryHash(
        SearchRequestSchema,
        create(SearchRequestSchema, { resources: [Resource.NOTES], query: secret }),
      ),
    ).to.equal(hash);
    expect(
      queryHash(
        SearchRequestSchema,
        create(SearchRequestSchema, { query: `${secret}!`, resources: [Resource.NOTES] }),
      ),
    ).to.not.equal(hash);
    expect(
      queryHash(ListRequestSchema, create(ListRequestSchema, { resource: Resource.TASKS })),
    ).to.not.equal(hash);
  });

  it('a request JSON cannot express (a timestamp past year 9999) still gets a hash, of its binary form', () => {
    const request = (seconds: bigint) =>
      create(ListRequestSchema, { resource: Resource.TASKS, filter: { updatedAfter: { seconds } } });
    const hash = queryHash(ListRequestSchema, request(10n ** 15n));
    expect(hash).to.match(/^bin:[0-9a-f]{64}$/);
    expect(queryHash(ListRequestSchema, request(10n ** 15n))).to.equal(hash);
    expect(queryHash(ListRequestSchema, request(10n ** 15n + 1n))).to.not.equal(hash);
    expect(queryHash(ListRequestSchema, request(0n))).to.match(/^[0-9a-f]{64}$/);
  });

  it('no audit column holds request parameters: only the hash', async () => {
    const rows = await b.db.query('SELECT * FROM audit.events WHERE grant_id = $1', [grantId]);
    expect(rows.length).to.be.greaterThan(0);
    const columns = Object.keys(rows[0] as object).sort();
    expect(columns).to.deep.equal(
      [
        'actor',
        'bytes_out',
        'grant_id',
        'id',
        'latency_ms',
        'occurred_at',
        'outcome',
        'peer',
        'query_hash',
        'reason',
        'recorded_at',
        'resource',
        'trace_id',
        'verb',
      ].sort(),
    );
  });
});
