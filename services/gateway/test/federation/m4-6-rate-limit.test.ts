import { ConnectError } from '@connectrpc/connect';
import { AuditOutcome } from '@mosaic/contracts/v1/audit_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { QueryService, QueryVerb, SignalKind, SourceStatus } from '@mosaic/contracts/v1/query_pb';
import { expect } from 'chai';
import { bearerClient } from '../../../../test/support/bearer-client.js';
import { federationClient, peerCredentials } from '../../../../test/support/federation-client.js';
import { twoStacks } from '../../../../test/support/stack.js';

describe('M4-6 / AC-6 rate limiting across the boundary (two stacks)', function () {
  this.timeout(90_000);
  const stacks = twoStacks();

  it('M4-6 / AC-6: the 61st request within 60 s answers 429 with Retry-After; the client backs off and succeeds after', async () => {
    const { a, b } = stacks;
    const home = (await a.admin.createUser({ username: 'hal-home' })).user!.id;
    const { user } = await b.admin.createUser({ username: 'hal' });
    const created = await b.admin.createGrant({
      subjectUserId: user!.id,
      requestingServer: '127.0.0.2',
      scopeJson: '{"resources":["tasks"]}',
    });
    expect(created.grant!.rateLimitRpm).to.equal(60);
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl, localUserId: home });
    const direct = federationClient(await peerCredentials(a, peer!.id));

    // The bucket refills at 1 token/s: on a slow or busy machine the 60 calls take more than a
    // second, and each second earns one more call. Call until refused, then check the count.
    const started = Date.now();
    let passed = 0;
    let limited: ConnectError | undefined;
    while (!limited && passed < 200) {
      limited = await direct.list({ resource: Resource.TASKS }).then(
        () => {
          passed += 1;
          return undefined;
        },
        (error: unknown) => ConnectError.from(error),
      );
    }
    const refills = Math.ceil((Date.now() - started) / 1000);
    expect(passed).to.be.within(60, 60 + refills);
    expect(limited!.code).to.equal(8); // resource_exhausted → HTTP 429
    const retryAfter = Number(limited!.metadata.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);

    // Through A's query API: the peer's answer becomes a rate-limited source and a signal …
    const { token } = await a.admin.createAccessToken({ userId: home });
    const query = bearerClient(QueryService, a.running.adminUrl!, token);
    const ask = () => query.query({ source: 'all', verb: QueryVerb.LIST, resource: Resource.TASKS });
    const first = await ask();
    expect(first.sources.find((source) => source.source === '127.0.0.3')!.status).to.equal(
      SourceStatus.RATE_LIMITED,
    );
    expect(first.signals.map((signal) => signal.kind)).to.deep.equal([SignalKind.RATE_LIMITED]);
    // … and A backs off: the next query does not call B at all while Retry-After runs.
    const rateLimitedRows = async () =>
      (
        await b.admin.queryAuditEvents({
          filter: { grantId: created.grant!.id, outcomes: [AuditOutcome.RATE_LIMITED] },
        })
      ).events.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seenByB = await rateLimitedRows();
    const second = await ask();
    expect(second.sources.find((source) => source.source === '127.0.0.3')!.status).to.equal(
      SourceStatus.RATE_LIMITED,
    );
    expect(second.sources.find((source) => source.source === '127.0.0.3')!.message).to.include(
      'not calling it',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await rateLimitedRows()).to.equal(seenByB);

    // After the wait it succeeds again.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200));
    const later = await ask();
    expect(later.sources.find((source) => source.source === '127.0.0.3')!.status).to.equal(SourceStatus.OK);
  });
});
