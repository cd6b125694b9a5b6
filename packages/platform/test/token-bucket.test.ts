import { expect } from 'chai';
import { deletePrefix, randomPrefix, redisUrl } from '../../../test/support/redis.js';
import { createBullmqAdapters, createLocalAdapters } from '../src/adapters/index.js';
import type { Adapters } from '../src/adapters/job-queue.js';
import { takeToken } from '../src/adapters/token-bucket.js';

describe('token bucket', () => {
  it('refills by elapsed time and reports when the next token is back', () => {
    let state: Parameters<typeof takeToken>[0];
    const options = { capacity: 60, refillPeriodMs: 60_000 };
    for (let i = 0; i < 60; i += 1) {
      const step = takeToken(state, { ...options, nowMs: 1000 });
      expect(step.result.allowed).to.equal(true);
      state = step.state;
    }
    const refused = takeToken(state, { ...options, nowMs: 1000 });
    expect(refused.result).to.deep.equal({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    // One token per second comes back.
    expect(takeToken(refused.state, { ...options, nowMs: 1999 }).result.allowed).to.equal(false);
    expect(takeToken(refused.state, { ...options, nowMs: 2000 }).result.allowed).to.equal(true);
  });

  const kinds: Array<{ name: string; make: (prefix: string) => Adapters }> = [
    { name: 'in process', make: () => createLocalAdapters() },
    {
      name: 'Valkey (token-bucket-2.lua)',
      make: (prefix) => createBullmqAdapters({ url: redisUrl, prefix, connectionName: 'bucket-test' }),
    },
  ];
  for (const kind of kinds) {
    describe(kind.name, () => {
      const prefix = randomPrefix();
      const opened: Adapters[] = [];
      after(async () => {
        await Promise.all(opened.map((adapters) => adapters.close()));
        await deletePrefix(prefix);
      });

      it('allows `capacity` requests in a burst, then refuses with a retry-after', async () => {
        const adapters = kind.make(prefix);
        opened.push(adapters);
        const results = [];
        for (let i = 0; i < 6; i += 1) results.push(await adapters.rateLimiter.take('grant-a', 5, 60_000));
        expect(results.map((result) => result.allowed)).to.deep.equal([true, true, true, true, true, false]);
        expect(results[4]!.remaining).to.equal(0);
        expect(results[5]!.retryAfterMs).to.be.within(1, 12_000);
        // Another key has its own bucket.
        expect((await adapters.rateLimiter.take('grant-b', 5, 60_000)).allowed).to.equal(true);
      });
    });
  }

  it('one bucket is shared by every replica on the same Valkey', async () => {
    const prefix = randomPrefix();
    const replicas = [0, 1].map((i) =>
      createBullmqAdapters({ url: redisUrl, prefix, connectionName: `replica-${i}` }),
    );
    try {
      const allowed: boolean[] = [];
      for (let i = 0; i < 10; i += 1) {
        allowed.push((await replicas[i % 2]!.rateLimiter.take('shared', 6, 60_000)).allowed);
      }
      expect(allowed.filter(Boolean)).to.have.length(6);
      expect(allowed.slice(6)).to.deep.equal([false, false, false, false]);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await deletePrefix(prefix);
    }
  });
});

describe('scheduler', () => {
  const kinds: Array<{ name: string; make: (prefix: string) => Adapters }> = [
    { name: 'in process', make: () => createLocalAdapters() },
    {
      name: 'BullMQ job scheduler',
      make: (prefix) => createBullmqAdapters({ url: redisUrl, prefix, connectionName: 'scheduler-test' }),
    },
  ];
  for (const kind of kinds) {
    it(`runs a task repeatedly and stops on close (${kind.name})`, async () => {
      const prefix = randomPrefix();
      const adapters = kind.make(prefix);
      let runs = 0;
      try {
        await adapters.scheduler.every('tick', 100, async () => {
          runs += 1;
        });
        const deadline = Date.now() + 10_000;
        while (runs < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(runs).to.be.at.least(3);
      } finally {
        await adapters.close();
        await deletePrefix(prefix);
      }
      const after = runs;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(runs).to.equal(after);
    });
  }
});
