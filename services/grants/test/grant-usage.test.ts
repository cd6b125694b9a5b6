import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { GrantsServiceRecordGrantUsageRequestSchema } from '@mosaic/contracts/v1/grants_pb';
import { createServiceDataSource, isMosaicError } from '@mosaic/platform';
import { expect } from 'chai';
import { federationClient, peerCredentials } from '../../../test/support/federation-client.js';
import { enrolledPeer, twoStacks } from '../../../test/support/stack.js';
import { GrantsApi, type GrantsApiDeps } from '../src/api/grants-api.js';
import { GrantStore } from '../src/store/grant-store.js';

describe("a grant's last use (two stacks: A 127.0.0.2, B 127.0.0.3)", function () {
  this.timeout(60_000);
  // B reports grants' last use every second instead of every 30, so the test need not wait long.
  const stacks = twoStacks({ b: { config: { grantUsageReportMs: 1000 } } });

  it('is reported by the gateway after federated requests, and only ever moves forward', async () => {
    const { a, b } = stacks;
    const { grantId, peerId } = await enrolledPeer(stacks);
    expect((await b.admin.getGrant({ grantId })).grant!.lastUsedAt).to.equal(undefined);

    const before = Date.now();
    await federationClient(await peerCredentials(a, peerId)).list({ resource: Resource.TASKS });
    let lastUsedAt: Date | undefined;
    for (let waited = 0; waited < 10_000 && !lastUsedAt; waited += 100) {
      const stamp = (await b.admin.getGrant({ grantId })).grant!.lastUsedAt;
      if (stamp) lastUsedAt = timestampDate(stamp);
      else await sleep(100);
    }
    expect(lastUsedAt, 'last_used_at within 10 s of a request (reports every 1 s)').to.be.instanceOf(Date);
    expect(lastUsedAt!.getTime()).to.be.within(before - 1000, Date.now());

    // Reports from several replicas arrive in any order: an older time never moves it back.
    const dataSource = createServiceDataSource({
      url: b.db.url,
      schema: 'grants',
      entities: [],
      migrations: [],
      poolSize: 1,
      applicationName: 'grant-usage-test',
      connectTimeoutMs: 5_000,
    });
    await dataSource.initialize();
    try {
      const store = new GrantStore(dataSource);
      const api = new GrantsApi({ grants: store } as Pick<GrantsApiDeps, 'grants'> as GrantsApiDeps);
      const record = (atMs: number) =>
        api.recordGrantUsage(
          create(GrantsServiceRecordGrantUsageRequestSchema, {
            usages: [{ grantId, lastUsedAt: timestampFromMs(atMs) }],
          }),
        );
      expect((await record(lastUsedAt!.getTime() - 60_000)).updatedCount).to.equal(0);
      expect(timestampDate((await b.admin.getGrant({ grantId })).grant!.lastUsedAt!)).to.deep.equal(
        lastUsedAt,
      );
      expect((await record(lastUsedAt!.getTime() + 1000)).updatedCount).to.equal(1);

      // Bad reports change nothing: a time from the future, a non-UUID, too many entries.
      for (const bad of [
        { usages: [{ grantId, lastUsedAt: timestampFromMs(Date.now() + 3_600_000) }] },
        { usages: [{ grantId: 'nope', lastUsedAt: timestampFromMs(Date.now()) }] },
        {
          usages: Array.from({ length: 1001 }, () => ({ grantId, lastUsedAt: timestampFromMs(Date.now()) })),
        },
      ]) {
        const refused = await api
          .recordGrantUsage(create(GrantsServiceRecordGrantUsageRequestSchema, bad))
          .then(
            () => null,
            (error: unknown) => error,
          );
        expect(isMosaicError(refused) && refused.kind).to.equal('invalid_argument');
      }
      expect(timestampDate((await b.admin.getGrant({ grantId })).grant!.lastUsedAt!).getTime()).to.equal(
        lastUsedAt!.getTime() + 1000,
      );
    } finally {
      await dataSource.destroy();
    }
  });
});
