import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { deletePrefix, randomPrefix, redisUrl, startValkeyRelay } from '../../../test/support/redis.js';
import { settle } from '../../../test/support/settle.js';
import { createBullmqAdapters } from '../src/adapters/bullmq-adapters.js';
import type { Adapters } from '../src/adapters/job-queue.js';
import { createLocalAdapters } from '../src/adapters/local-adapters.js';
import { createLogger } from '../src/log/logger.js';
import { ValkeyUnreachableError } from '../src/redis/request-path-redis.js';

/** Polls until `condition` holds; fails with `what` after a generous deadline instead of sleeping a fixed time. */
async function eventually(what: string, condition: () => boolean, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Flavour {
  name: string;
  create(): { adapters: Adapters; prefix: string | null; connectionName: string | null };
}

const flavours: Flavour[] = [
  {
    name: 'local (in process)',
    create: () => ({ adapters: createLocalAdapters(), prefix: null, connectionName: null }),
  },
  {
    name: 'bullmq (Redis)',
    create: () => {
      const prefix = randomPrefix();
      // A connection name of its own, so CLIENT LIST can tell this instance's connections apart.
      const connectionName = `test-${prefix}`;
      return {
        adapters: createBullmqAdapters({ url: redisUrl, prefix, connectionName }),
        prefix,
        connectionName,
      };
    },
  },
];

describe('queue and pub/sub adapters', function () {
  this.timeout(60_000);

  for (const flavour of flavours) {
    describe(flavour.name, () => {
      let adapters: Adapters;
      let prefix: string | null;
      let connectionName: string | null;

      beforeEach(() => {
        ({ adapters, prefix, connectionName } = flavour.create());
      });
      afterEach(async () => {
        await adapters?.close();
        if (prefix) await deletePrefix(prefix);
      });

      it('delivers an added job to the consumer with its data', async () => {
        const received: Array<{ order: number; tags: string[] }> = [];
        const queue = adapters.queue<{ order: number; tags: string[] }>('deliver');
        queue.consume(async (data) => {
          received.push(data);
        });
        await queue.add({ data: { order: 42, tags: ['a', 'b'] } });
        await eventually('the job is delivered', () => received.length === 1);
        expect(received).to.deep.equal([{ order: 42, tags: ['a', 'b'] }]);
      });

      it('retries a job whose handler throws until it succeeds', async () => {
        let attempts = 0;
        let succeeded = false;
        const queue = adapters.queue<{ payload: string }>('retry');
        queue.consume(async (data) => {
          attempts += 1;
          if (attempts < 3) throw new Error(`attempt ${attempts} fails on purpose`);
          expect(data).to.deep.equal({ payload: 'again' });
          succeeded = true;
        });
        await queue.add({ data: { payload: 'again' } });
        await eventually('the third attempt succeeds', () => succeeded);
        expect(attempts).to.equal(3);
      });

      it('delivers two jobs with the same id once', async () => {
        const received: string[] = [];
        const queue = adapters.queue<{ label: string }>('idempotent');
        await queue.add({ id: 'same-id', data: { label: 'first' } });
        await queue.add({ id: 'same-id', data: { label: 'second' } });
        queue.consume(async (data) => {
          received.push(data.label);
        });
        // One consumer, one at a time, in order: once the sentinel is through, a duplicate would have been too.
        await queue.add({ id: 'sentinel', data: { label: 'sentinel' } });
        await eventually('the sentinel is delivered', () => received.includes('sentinel'));
        expect(received).to.deep.equal(['first', 'sentinel']);
      });

      it('publishes to every subscriber of the channel and to no other channel', async () => {
        const first: string[] = [];
        const second: string[] = [];
        const other: string[] = [];
        await adapters.pubsub.subscribe('news', (message) => first.push(message));
        await adapters.pubsub.subscribe('news', (message) => second.push(message));
        await adapters.pubsub.subscribe('other', (message) => other.push(message));

        await adapters.pubsub.publish('news', 'hello');
        await eventually(
          'both subscribers of "news" got the message',
          () => first.length + second.length === 2,
        );
        // Messages arrive in publish order: once the sentinel is on "other", "hello" would be too.
        await adapters.pubsub.publish('other', 'sentinel');
        await eventually('the sentinel arrives on "other"', () => other.length > 0);

        expect(first).to.deep.equal(['hello']);
        expect(second).to.deep.equal(['hello']);
        expect(other).to.deep.equal(['sentinel']);
      });

      it('gives an unsubscribed handler nothing more', async () => {
        const gone: string[] = [];
        const staying: string[] = [];
        const unsubscribe = await adapters.pubsub.subscribe('updates', (message) => gone.push(message));
        await adapters.pubsub.subscribe('updates', (message) => staying.push(message));
        await adapters.pubsub.publish('updates', 'one');
        await eventually('both got "one"', () => gone.length === 1 && staying.length === 1);

        await unsubscribe();
        await adapters.pubsub.publish('updates', 'two');
        await eventually('the remaining subscriber got "two"', () => staying.length === 2);
        expect(staying).to.deep.equal(['one', 'two']);
        expect(gone).to.deep.equal(['one']);
      });

      it('a guarded take applies only while the generation marker is unchanged, and then takes nothing', async () => {
        const bucket = `guarded-${Math.random().toString(36).slice(2)}`;
        const guard = {
          key: `grant:${bucket}`,
          expected: await adapters.generations.current(`grant:${bucket}`),
        };
        expect(guard.expected).to.equal('');
        const first = await adapters.rateLimiter.takeIfCurrent(bucket, 5, 60_000, guard);
        expect(first).to.deep.include({ current: true, allowed: true, remaining: 4 });
        await adapters.generations.bump(guard.key);
        const moved = await adapters.rateLimiter.takeIfCurrent(bucket, 5, 60_000, guard);
        expect(moved.current).to.equal(false);
        const generation = moved.current ? '' : moved.generation;
        expect(generation).to.not.equal('');
        expect(generation).to.equal(await adapters.generations.current(guard.key));
        // Nothing was taken by the refused call: the next token is the second of five.
        const again = await adapters.rateLimiter.takeIfCurrent(bucket, 5, 60_000, {
          ...guard,
          expected: generation,
        });
        expect(again).to.deep.include({ current: true, allowed: true, remaining: 3 });
        await adapters.generations.bump(guard.key);
        expect(await adapters.generations.current(guard.key)).to.not.equal(generation);
      });

      it('guarded takes made together are answered as the same takes one after the other', async () => {
        const bucket = `together-${Math.random().toString(36).slice(2)}`;
        const guard = { key: `grant:${bucket}`, expected: '' };
        const results = await Promise.all(
          Array.from({ length: 8 }, () => adapters.rateLimiter.takeIfCurrent(bucket, 5, 60_000, guard)),
        );
        const answered = results.map((result) => (result.current ? result : expect.fail('guard moved')));
        const allowed = answered.filter((result) => result.allowed);
        expect(allowed).to.have.length(5);
        expect(allowed.map((result) => result.remaining)).to.have.members([4, 3, 2, 1, 0]);
        const refused = answered.filter((result) => !result.allowed);
        expect(refused).to.have.length(3);
        // 5 per minute: a token is back within 12 s.
        for (const result of refused) expect(result.retryAfterMs).to.be.within(1, 12_000);
        // The bucket holds what the eight took: the next take is refused as well.
        const next = await adapters.rateLimiter.takeIfCurrent(bucket, 5, 60_000, guard);
        expect(next).to.deep.include({ current: true, allowed: false });

        // A moved marker answers every take made with the stale guard, and takes nothing.
        const fresh = `together-${Math.random().toString(36).slice(2)}`;
        const freshGuard = { key: `grant:${fresh}`, expected: '' };
        await adapters.generations.bump(freshGuard.key);
        const moved = await adapters.generations.current(freshGuard.key);
        const stale = await Promise.all(
          Array.from({ length: 3 }, () => adapters.rateLimiter.takeIfCurrent(fresh, 5, 60_000, freshGuard)),
        );
        expect(stale).to.deep.equal(Array.from({ length: 3 }, () => ({ current: false, generation: moved })));
        const current = await adapters.rateLimiter.takeIfCurrent(fresh, 5, 60_000, {
          ...freshGuard,
          expected: moved,
        });
        expect(current).to.deep.include({ current: true, allowed: true, remaining: 4 });
      });

      it('close() is safe to call twice', async () => {
        const queue = adapters.queue<{ n: number }>('closing');
        let delivered = 0;
        queue.consume(async () => {
          delivered += 1;
        });
        await queue.add({ data: { n: 1 } });
        await adapters.pubsub.subscribe('closing', () => {});
        await eventually('the job is delivered', () => delivered === 1);

        await Promise.all([adapters.close(), adapters.close()]);
        await adapters.close();
      });

      if (flavour.name.startsWith('bullmq')) {
        it('guarded takes of one bucket made in the same turn share one script call; a failed call fails each', async () => {
          const bucket = `shared-call-${Math.random().toString(36).slice(2)}`;
          const other = `other-${Math.random().toString(36).slice(2)}`;
          const broken = `broken-${Math.random().toString(36).slice(2)}`;
          const guardOf = (key: string) => ({ key: `grant:${key}`, expected: '' });
          const admin = new Redis(redisUrl);
          // A bucket key holding a string: the script's HMGET fails in Valkey with WRONGTYPE.
          await admin.set(`${prefix}:bucket:${broken}`, 'not a bucket');
          // Loaded before MONITOR starts, so no NOSCRIPT retry shows among the calls counted.
          await adapters.rateLimiter.takeIfCurrent(`warm-${bucket}`, 1, 60_000, guardOf('warm'));
          // MONITOR shows every command Valkey runs: keep the script calls naming this test's buckets.
          const monitor = await new Redis(redisUrl).monitor();
          const calls: string[][] = [];
          monitor.on('monitor', (_time: string, args: string[]) => {
            if (args[0]?.toLowerCase().startsWith('eval') && args.some((arg) => arg.includes(prefix!)))
              calls.push(args);
          });
          try {
            const take = (key: string) => adapters.rateLimiter.takeIfCurrent(key, 100, 60_000, guardOf(key));
            const [together, alone, failed] = await Promise.all([
              Promise.all(Array.from({ length: 12 }, () => take(bucket))),
              take(other),
              Promise.allSettled(Array.from({ length: 3 }, () => take(broken))),
            ]);
            expect(
              together.map((result) => (result.current && result.allowed ? result.remaining : -1)),
            ).to.have.members(Array.from({ length: 12 }, (_, index) => 88 + index));
            expect(alone).to.deep.include({ current: true, allowed: true, remaining: 99 });
            expect(failed.map((result) => result.status)).to.deep.equal(['rejected', 'rejected', 'rejected']);
            const reasons = failed.map((result) =>
              result.status === 'rejected' ? String(result.reason) : '',
            );
            expect(reasons[0]).to.match(/WRONGTYPE/);
            expect(new Set(reasons).size).to.equal(1);
            await eventually('MONITOR reported the three script calls', () => calls.length >= 3);
            // One call per bucket, each taking as many tokens as takes were made on it.
            expect(calls, JSON.stringify(calls)).to.have.length(3);
            const countFor = (key: string) =>
              calls.find((args) => args.some((arg) => arg.endsWith(`:bucket:${key}`)))?.at(-1);
            expect([countFor(bucket), countFor(other), countFor(broken)]).to.deep.equal(['12', '1', '3']);
          } finally {
            monitor.disconnect();
            admin.disconnect();
          }
        });

        it('while Valkey is away the rate limiter and the markers fail within their bound, and work again once it is back', async () => {
          // Valkey behind a TCP relay this test can cut and restore, as a restart or a network failure would.
          const relay = await startValkeyRelay();
          const lines: Array<{ level: string; msg: string; connection?: string }> = [];
          const destination = new Writable({
            write(chunk, _encoding, done) {
              for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
              done();
            },
          });
          const limited = createBullmqAdapters({
            url: relay.url,
            prefix: prefix!,
            connectionName: `${connectionName}-relay`,
            requestPathTimeoutMs: 300,
            logger: createLogger({ service: 'adapters-test', destination }),
          });
          try {
            const bucket = `away-${Math.random().toString(36).slice(2)}`;
            const guard = { key: `grant:${bucket}`, expected: '' };
            // A take answered once the connection is up (the first one also waits for the connect).
            const answeredTake = async (within: string) => {
              const deadline = Date.now() + 15_000;
              for (;;) {
                const taken = await limited.rateLimiter
                  .takeIfCurrent(bucket, 5, 60_000, guard)
                  .catch(() => undefined);
                if (taken) return taken;
                if (Date.now() > deadline) expect.fail(`no take was answered within 15 s ${within}`);
                await sleep(50);
              }
            };
            expect(await answeredTake('of the start')).to.deep.include({
              current: true,
              allowed: true,
              remaining: 4,
            });
            // Each call must fail on its own, naming Valkey, well within the 10 s guard (a call that
            // waited for Valkey to come back would reach it).
            const expectRefused = ({ outcome, ms }: { outcome: unknown; ms: number }) => {
              expect(outcome).to.be.instanceOf(ValkeyUnreachableError);
              expect((outcome as Error).message).to.match(
                /^(Valkey did not answer within 300 ms|Valkey is unreachable: |the connection to Valkey dropped before it answered)/,
              );
              // Refused about when the bound ends (300 ms), with room for a loaded machine.
              expect(ms, 'ms to the refusal').to.be.below(900);
            };

            // A connection that stays open but is answered no more: the command is already written.
            relay.stall();
            expectRefused(await settle(limited.rateLimiter.takeIfCurrent(bucket, 5, 60_000, guard)));
            // The silent connection is dropped: the next takes get a new one (the relay still takes
            // new connections) instead of waiting out the bound on it, and the stalled take's bytes
            // never reached Valkey, so this is the second token.
            expect(await answeredTake('after the stall')).to.deep.include({
              current: true,
              allowed: true,
              remaining: 3,
            });

            // A dropped connection: calls made before ioredis sees it fail at once ...
            await relay.stop();
            const calls = () =>
              [
                limited.rateLimiter.takeIfCurrent(bucket, 5, 60_000, guard),
                limited.rateLimiter.take(bucket, 5, 60_000),
                limited.generations.current(guard.key),
              ].map((call) => settle(call));
            for (const refusal of await Promise.all(calls())) expectRefused(refusal);
            // ... and calls made while it reconnects wait for it, up to the same bound.
            await sleep(100);
            for (const refusal of await Promise.all(calls())) {
              expectRefused(refusal);
              expect((refusal.outcome as Error).message).to.equal('Valkey did not answer within 300 ms');
            }

            await relay.start();
            // The bucket kept its state in Valkey: the third of five tokens (nothing refused was sent
            // again after the reconnect).
            expect(await answeredTake('of Valkey coming back')).to.deep.include({
              current: true,
              allowed: true,
              remaining: 2,
            });
            // Each connection's loss is logged once however many reconnects failed, and so is its return.
            const logged = (msg: string) =>
              lines.filter((line) => line.msg === msg).map((line) => line.connection);
            // The request path's connection was lost twice: dropped after the stall, then cut.
            const names = [
              `${connectionName}-relay`,
              `${connectionName}-relay:requests`,
              `${connectionName}-relay:requests`,
            ];
            await eventually(
              'both connections logged each return',
              () => logged('Valkey connection back').length === names.length,
            );
            expect(logged('Valkey connection lost; reconnecting')).to.have.members(names);
            expect(logged('Valkey connection back')).to.have.members(names);
          } finally {
            await limited.close();
            await relay.stop();
          }
        });

        it('close() releases every Redis connection it opened', async () => {
          const queue = adapters.queue<{ n: number }>('connections');
          let delivered = 0;
          queue.consume(async () => {
            delivered += 1;
          });
          await queue.add({ data: { n: 1 } });
          await adapters.pubsub.subscribe('connections', () => {});
          await adapters.scheduler.every('connections-tick', 60_000, async () => {});
          await adapters.rateLimiter.take('connections', 5, 60_000);
          await eventually('the job is delivered', () => delivered === 1);

          const admin = new Redis(redisUrl);
          try {
            const ours = async () =>
              ((await admin.client('LIST')) as string)
                .split('\n')
                .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
                .filter((name) => name.startsWith(connectionName!));
            // Connections name themselves once connected: wait for the scheduler worker's.
            const expected = [
              connectionName!,
              `${connectionName}:worker`,
              `${connectionName}:scheduler`,
              `${connectionName}:requests`,
            ];
            let open: string[] = [];
            const connectedBy = Date.now() + 5_000;
            do {
              open = await ours();
              if (!expected.every((name) => open.includes(name)))
                await new Promise((resolve) => setTimeout(resolve, 50));
            } while (!expected.every((name) => open.includes(name)) && Date.now() < connectedBy);
            expect(open).to.include.members(expected);

            await adapters.close();
            // A quit is answered before the server drops the connection: poll until they are gone.
            let left: string[] = [];
            const deadline = Date.now() + 5_000;
            do {
              left = await ours();
              if (left.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
            } while (left.length > 0 && Date.now() < deadline);
            expect(left, 'connections still open after close()').to.deep.equal([]);
          } finally {
            admin.disconnect();
          }
        });
      }
    });
  }
});
