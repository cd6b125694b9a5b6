import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus } from '@mosaic/contracts/health/v1/health_pb';
import { expect } from 'chai';
import { HealthService } from '../src/health/health-service.js';
import { healthEndpoints } from '../src/health/plain-endpoints.js';
import { type CheckResult, ServiceHealth } from '../src/health/readiness.js';
import { createLogger } from '../src/log/logger.js';
import { Metrics } from '../src/metrics/registry.js';
import { serverInterceptors } from '../src/rpc/interceptors.js';
import { policyForService } from '../src/rpc/method-policy.js';
import { type RunningListener, startHttpListener } from '../src/server/http-listener.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const slowCheckMs = 1_500;

/** Polls until `condition` holds; fails with `what` after a generous deadline instead of sleeping a fixed time. */
async function eventually(what: string, condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

/**
 * How a listener serves HTTP/2: with plain handlers through Node's compatibility layer (as a
 * service process's listener, health over RPC and plain HTTP), or, answering RPCs only, straight
 * from the streams (as the federation listener).
 */
const modes = [
  { name: 'with plain handlers (HTTP/2 through the compatibility layer)', plain: true },
  { name: 'RPCs only (HTTP/2 from the streams)', plain: false },
] as const;

/** The listener as a service process builds it: health over RPC (and plain HTTP), the one interceptor chain. */
function startHealthListener(
  services: ServiceHealth[],
  mode: { plain: boolean } = modes[0],
): Promise<RunningListener> {
  const metrics = new Metrics({ service: 'test' });
  return startHttpListener({
    name: 'test',
    address: { host: '127.0.0.1', port: 0 },
    routes: (router) => router.service(Health, new HealthService(services)),
    interceptors: serverInterceptors({
      logger,
      metrics,
      auth: { policy: policyForService(Health, { kind: 'public' }) },
    }),
    ...(mode.plain ? { plain: healthEndpoints({ services, metrics }) } : {}),
    logger,
  });
}

function slowService(): ServiceHealth {
  return new ServiceHealth('mosaic.test.Slow', [
    async (): Promise<CheckResult> => {
      await delay(slowCheckMs);
      return { name: 'slow', ok: true, latencyMs: slowCheckMs, detail: 'ok' };
    },
  ]);
}

/** Whether a fresh TCP connection to `port` is refused (ECONNREFUSED) or accepted. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** One way of asking grpc.health.v1.Health/Check for the whole process; resolves to the status name. */
interface Protocol {
  name: string;
  check(baseUrl: string): Promise<string>;
}

const protocols: Protocol[] = [
  {
    name: 'gRPC (HTTP/2)',
    async check(baseUrl) {
      const client = createClient(Health, createGrpcTransport({ baseUrl }));
      return HealthCheckResponse_ServingStatus[(await client.check({})).status];
    },
  },
  {
    name: 'Connect over HTTP/2',
    async check(baseUrl) {
      const client = createClient(Health, createConnectTransport({ baseUrl, httpVersion: '2' }));
      return HealthCheckResponse_ServingStatus[(await client.check({})).status];
    },
  },
  {
    name: 'Connect JSON over HTTP/1.1 (plain fetch)',
    async check(baseUrl) {
      const response = await fetch(`${baseUrl}/grpc.health.v1.Health/Check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/json/);
      return ((await response.json()) as { status: string }).status;
    },
  },
];

for (const mode of modes)
  describe(`startHttpListener, ${mode.name}`, function () {
    this.timeout(30_000);

    describe('one port, every protocol', () => {
      let listener: RunningListener;
      before(async () => {
        listener = await startHealthListener([slowService()], mode);
      });
      after(async () => {
        await listener?.close(1_000);
      });

      it('binds the port the OS picked and names it in its url', () => {
        expect(listener.address.host).to.equal('127.0.0.1');
        expect(listener.address.port).to.be.greaterThan(0);
        expect(listener.url).to.equal(`http://127.0.0.1:${listener.address.port}`);
      });

      for (const protocol of protocols) {
        it(`answers Health/Check over ${protocol.name}`, async () => {
          expect(await protocol.check(listener.url)).to.equal('SERVING');
        });
      }

      it('survives a client that connects and resets before sending a byte, and goes on serving', async () => {
        for (let attempt = 0; attempt < 5; attempt += 1) {
          await new Promise<void>((resolve) => {
            const socket = net.connect(listener.address.port, '127.0.0.1', () => {
              socket.resetAndDestroy();
              resolve();
            });
          });
        }
        // The server sees the resets after the client is gone; give them a moment to land.
        await delay(100);
        expect(await protocols[0]!.check(listener.url)).to.equal('SERVING');
      });

      it(
        mode.plain ? 'answers /healthz over plain HTTP' : 'answers 404 for a path that is no RPC',
        async () => {
          const response = await fetch(`${listener.url}/healthz`);
          expect(response.status).to.equal(mode.plain ? 200 : 404);
          if (mode.plain) expect(await response.text()).to.equal('ok\n');
        },
      );
    });

    describe('close(deadline)', () => {
      const listeners: RunningListener[] = [];
      const releases: Array<() => void> = [];
      afterEach(async () => {
        for (const release of releases.splice(0)) release();
        await Promise.all(listeners.splice(0).map((listener) => listener.close(1_000)));
      });

      for (const protocol of protocols) {
        it(`lets a slow in-flight Check finish with SERVING, then refuses new connections (${protocol.name})`, async () => {
          const listener = await startHealthListener([slowService()], mode);
          listeners.push(listener);

          const call = protocol.check(listener.url);
          call.catch(() => {}); // awaited below; keeps an early rejection from being reported as unhandled
          await eventually('the call is in flight', () => listener.inFlight() === 1);
          const closing = listener.close(20_000);

          expect(await call).to.equal('SERVING');
          await closing;
          expect(listener.inFlight()).to.equal(0);
          expect(await tryConnect(listener.address.port)).to.equal('ECONNREFUSED');
        });
      }

      for (const protocol of protocols) {
        it(`does not wait past the deadline for a call that never ends (${protocol.name})`, async () => {
          let release = () => {};
          const never = new Promise<void>((resolve) => {
            release = resolve;
          });
          releases.push(release);
          const stuck = new ServiceHealth('mosaic.test.Stuck', [
            async (): Promise<CheckResult> => {
              await never;
              return { name: 'stuck', ok: true, latencyMs: 0, detail: 'released' };
            },
          ]);
          const listener = await startHealthListener([stuck], mode);
          listeners.push(listener);

          const call = protocol.check(listener.url).then(
            (status) => ({ status }),
            (error: unknown) => ({ error }),
          );
          await eventually('the call is in flight', () => listener.inFlight() === 1);

          // Mocha's timeout is the only bound: close() must resolve although the handler never returns.
          await listener.close(300);
          const outcome = await call;
          expect(outcome, 'the client got an answer from a call that never ended').to.have.property('error');
          const error = (outcome as { error: unknown }).error;
          expect(error).to.be.instanceOf(Error);
          if (protocol.name !== 'Connect JSON over HTTP/1.1 (plain fetch)') {
            expect(error).to.be.instanceOf(ConnectError);
          }
          expect(await tryConnect(listener.address.port)).to.equal('ECONNREFUSED');
        });
      }
    });
  });
