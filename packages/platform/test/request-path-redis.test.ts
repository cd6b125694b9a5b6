import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { startValkeyRelay, type ValkeyRelay } from '../../../test/support/redis.js';
import { settle } from '../../../test/support/settle.js';
import {
  createRequestPathRedis,
  type RequestPathRedis,
  ValkeyUnreachableError,
} from '../src/redis/request-path-redis.js';

/** A request-path connection to the test Valkey through a relay the test can cut, closed after. */
async function throughRelay(
  timeoutMs: number,
  test: (requestPath: RequestPathRedis, relay: ValkeyRelay) => Promise<void>,
): Promise<void> {
  const relay = await startValkeyRelay();
  const requestPath = createRequestPathRedis({
    url: relay.url,
    connectionName: 'request-path-test',
    timeoutMs,
  });
  try {
    await test(requestPath, relay);
  } finally {
    requestPath.disconnect();
    await relay.stop();
  }
}

describe('request-path Valkey calls (createRequestPathRedis)', () => {
  it('one deadline covers the wait for the connection and the answer', async () => {
    // Valkey is away when the call is made, comes back 600 ms into its 1000 ms bound, and then
    // answers nothing: the call ends at its bound, not 1000 ms after the connection came back.
    await throughRelay(1000, async (requestPath, relay) => {
      await relay.stop();
      // Registered after the module's own listener, so the waiting call is released first and its
      // command is written only after this has stalled the new connection.
      requestPath.redis.once('ready', () => relay.stall());
      const call = settle(requestPath.call((redis) => redis.ping()));
      await sleep(600);
      await relay.start();
      const { outcome, ms } = await call;
      expect(outcome).to.be.instanceOf(ValkeyUnreachableError);
      expect((outcome as Error).message).to.equal('Valkey did not answer within 1000 ms');
      // Two bounds, one for the wait and one for the answer, would end at ~1600 ms or later.
      expect(ms, 'ms to the refusal').to.be.below(1450);
    });
  });

  it('after disconnect() a call fails at once as closed, even when the connection was reconnecting', async () => {
    await throughRelay(2000, async (requestPath, relay) => {
      expect(await requestPath.call((redis) => redis.ping())).to.equal('PONG');
      await relay.stop();
      // Once ioredis has seen the drop, it reconnects (in vain: the relay is gone).
      const seenBy = Date.now() + 5_000;
      while (requestPath.redis.status === 'ready' && Date.now() < seenBy) await sleep(10);
      expect(requestPath.redis.status).to.not.equal('ready');

      const waiting = settle(requestPath.call((redis) => redis.ping()));
      requestPath.disconnect();
      const later = await settle(requestPath.call((redis) => redis.ping()));
      for (const { outcome, ms } of [await waiting, later]) {
        expect(outcome).to.be.instanceOf(ValkeyUnreachableError);
        expect((outcome as Error).message).to.equal('the Valkey connection is closed');
        // Not the 2000 ms bound: nothing is left to wait for.
        expect(ms, 'ms to the refusal').to.be.below(1000);
      }
    });
  });
});
