import { expect } from 'chai';
import { startValkeyRelay } from '../../../test/support/redis.js';
import { createRequestPathRedis, ValkeyUnreachableError } from '../src/redis/request-path-redis.js';

/** How a call settles, and after how long; a guard ends a call that would wait on. */
async function settle(call: Promise<unknown>, guardMs = 10_000): Promise<{ outcome: unknown; ms: number }> {
  const startedAt = performance.now();
  const outcome = await Promise.race([
    call.then(
      () => 'answered',
      (error: unknown) => error,
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve(`still waiting after ${guardMs} ms`), guardMs)),
  ]);
  return { outcome, ms: performance.now() - startedAt };
}

describe('request-path Valkey calls (createRequestPathRedis)', () => {
  it('one deadline covers the wait for the connection and the answer', async () => {
    // Valkey is away when the call is made, comes back 600 ms into its 1000 ms bound, and then
    // answers nothing: the call ends at its bound, not 1000 ms after the connection came back.
    const relay = await startValkeyRelay();
    await relay.stop();
    const requestPath = createRequestPathRedis({
      url: relay.url,
      connectionName: 'deadline-test',
      timeoutMs: 1000,
    });
    try {
      // Registered after the module's own listener, so the waiting call is released first and its
      // command is written only after this has stalled the new connection.
      requestPath.redis.once('ready', () => relay.stall());
      const call = settle(requestPath.call((redis) => redis.ping()));
      await new Promise((resolve) => setTimeout(resolve, 600));
      await relay.start();
      const { outcome, ms } = await call;
      expect(outcome).to.be.instanceOf(ValkeyUnreachableError);
      expect((outcome as Error).message).to.equal('Valkey did not answer within 1000 ms');
      // Two bounds, one for the wait and one for the answer, would end at ~1600 ms or later.
      expect(ms, 'ms to the refusal').to.be.below(1450);
    } finally {
      requestPath.disconnect();
      await relay.stop();
    }
  });

  it('after disconnect() a call fails at once as closed, even when the connection was reconnecting', async () => {
    const relay = await startValkeyRelay();
    const requestPath = createRequestPathRedis({
      url: relay.url,
      connectionName: 'closed-test',
      timeoutMs: 2000,
    });
    try {
      expect(await requestPath.call((redis) => redis.ping())).to.equal('PONG');
      await relay.stop();
      // Once ioredis has seen the drop, it reconnects (in vain: the relay is gone).
      const seenBy = Date.now() + 5_000;
      while (requestPath.redis.status === 'ready' && Date.now() < seenBy)
        await new Promise((resolve) => setTimeout(resolve, 10));
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
    } finally {
      requestPath.disconnect();
      await relay.stop();
    }
  });
});
