import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { Code, ConnectError, createClient, createContextValues, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus } from '@mosaic/contracts/health/v1/health_pb';
import { expect } from 'chai';
import { HealthService } from '../src/health/health-service.js';
import { type CheckResult, ServiceHealth } from '../src/health/readiness.js';
import { createLogger } from '../src/log/logger.js';
import { Metrics } from '../src/metrics/registry.js';
import { serverInterceptors } from '../src/rpc/interceptors.js';
import { policyForService } from '../src/rpc/method-policy.js';
import { type CallOrigin, type RunningListener, startHttpListener } from '../src/server/http-listener.js';
import { responseMeterKey } from '../src/server/response-meter.js';

const logger = createLogger({ service: 'test', level: 'silent' });

/** Polls until `condition` holds; fails with `what` after a generous deadline. */
async function eventually(what: string, condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

/**
 * An RPC-only TLS listener (as the federation listener: no plain handlers, so its HTTP/2 calls are
 * served straight from the streams), with health over a service whose readiness the test sets.
 */
describe('startHttpListener, RPC-only over TLS: HTTP/2 streams served by connect-stream-handler', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: Buffer;
  let listener: RunningListener;
  let ready = true;
  let checks = 0;
  let never: Promise<void>;
  let release = () => {};
  /** Each call's connection: ALPN protocol and whether a meter was attached. */
  const origins: Array<{ alpn: string | false; encrypted: boolean }> = [];
  /** Body bytes each metered answer reported, by RPC. */
  const metered: Array<{ rpc: string; bytes: number }> = [];

  const readiness = new ServiceHealth('mosaic.test.Switch', [
    async (): Promise<CheckResult> => {
      checks += 1;
      return { name: 'switch', ok: ready, latencyMs: 0, detail: ready ? 'ok' : 'down' };
    },
  ]);
  const stuck = new ServiceHealth('mosaic.test.Stuck', [
    async (): Promise<CheckResult> => {
      await never;
      return { name: 'stuck', ok: true, latencyMs: 0, detail: 'released' };
    },
  ]);
  const recordMeter: Interceptor = (next) => async (request) => {
    const response = await next(request);
    request.contextValues
      .get(responseMeterKey)
      ?.onFinished((bytes) => metered.push({ rpc: request.method.name, bytes }));
    return response;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mosaic-stream-test-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'));
    never = new Promise<void>((resolve) => {
      release = resolve;
    });
    listener = await startHttpListener({
      name: 'test-tls',
      address: { host: '127.0.0.1', port: 0 },
      tls: { secure: { key: readFileSync(join(dir, 'key.pem')), cert: ca } },
      routes: (router) => router.service(Health, new HealthService([readiness, stuck])),
      interceptors: serverInterceptors({
        logger,
        metrics: new Metrics({ service: 'test' }),
        auth: { policy: policyForService(Health, { kind: 'public' }) },
        after: [recordMeter],
      }),
      contextValues: (origin: CallOrigin) => {
        const socket = origin.socket as TLSSocket;
        origins.push({ alpn: socket.alpnProtocol ?? false, encrypted: socket.encrypted === true });
        return createContextValues();
      },
      meterResponses: true,
      readMaxBytes: 64 * 1024,
      logger,
    });
  });

  after(async () => {
    release();
    await listener?.close(1_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    ready = true;
    origins.length = 0;
    metered.length = 0;
  });

  const baseUrl = () => `https://127.0.0.1:${listener.address.port}`;
  const grpc = () => createClient(Health, createGrpcTransport({ baseUrl: baseUrl(), nodeOptions: { ca } }));
  const connect = () =>
    createClient(
      Health,
      createConnectTransport({ baseUrl: baseUrl(), httpVersion: '2', nodeOptions: { ca } }),
    );

  it('answers gRPC and Connect over HTTP/2 (ALPN h2) and Connect JSON over HTTP/1.1 on the one TLS port', async () => {
    expect((await grpc().check({ service: 'mosaic.test.Switch' })).status).to.equal(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    expect((await connect().check({ service: 'mosaic.test.Switch' })).status).to.equal(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    const overHttp1 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = https.request(
        `${baseUrl()}/grpc.health.v1.Health/Check`,
        { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ service: 'mosaic.test.Switch' }));
    });
    expect(overHttp1).to.deep.equal({ status: 200, body: '{"status":"SERVING"}' });
    expect(origins).to.deep.equal([
      { alpn: 'h2', encrypted: true },
      { alpn: 'h2', encrypted: true },
      { alpn: false, encrypted: true },
    ]);
  });

  it('carries errors: gRPC in trailers, Connect in the body, with their codes', async () => {
    for (const client of [grpc(), connect()]) {
      const error = await client.check({ service: 'mosaic.test.Unknown' }).then(
        () => expect.fail('an unknown service must be refused'),
        (caught: unknown) => ConnectError.from(caught),
      );
      expect(error.code).to.equal(Code.NotFound);
      expect(error.rawMessage).to.equal('unknown service "mosaic.test.Unknown"');
    }
  });

  it('refuses a request message over readMaxBytes with resource_exhausted, on HTTP/2 and HTTP/1.1', async () => {
    const service = 'x'.repeat(100 * 1024);
    for (const client of [grpc(), connect()]) {
      const error = await client.check({ service }).then(
        () => expect.fail('a request over the limit must be refused'),
        (caught: unknown) => ConnectError.from(caught),
      );
      expect(error.code, error.message).to.equal(Code.ResourceExhausted);
    }
    const overHttp1 = createClient(
      Health,
      createConnectTransport({ baseUrl: baseUrl(), httpVersion: '1.1', nodeOptions: { ca } }),
    );
    const error = await overHttp1.check({ service }).then(
      () => expect.fail('a request over the limit must be refused'),
      (caught: unknown) => ConnectError.from(caught),
    );
    expect(error.code).to.equal(Code.ResourceExhausted);
    // No refused call stays open on the server (a client may stop sending without ending).
    await eventually('no call is in flight on the server', () => listener.inFlight() === 0);
    expect((await grpc().check({ service: 'mosaic.test.Switch' })).status).to.equal(
      HealthCheckResponse_ServingStatus.SERVING,
    );
  });

  it('meters each answer: the bytes the client received, reported once the stream is over', async () => {
    const session = http2.connect(baseUrl(), { ca });
    try {
      const body = await new Promise<Buffer>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/grpc.health.v1.Health/Check',
          'content-type': 'application/proto',
        });
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => resolve(Buffer.concat(chunks)));
        stream.on('error', reject);
        // HealthCheckRequest{service: "mosaic.test.Switch"}
        stream.end(Buffer.concat([Buffer.from([10, 18]), Buffer.from('mosaic.test.Switch')]));
      });
      expect(body).to.deep.equal(Buffer.from([8, HealthCheckResponse_ServingStatus.SERVING]));
      await eventually('the answer is metered', () => metered.length === 1);
      expect(metered).to.deep.equal([{ rpc: 'Check', bytes: body.byteLength }]);
    } finally {
      session.close();
    }
  });

  it('streams a server-streaming answer message by message, and stops the handler when the client leaves', async () => {
    ready = false;
    const abort = new AbortController();
    const seen: HealthCheckResponse_ServingStatus[] = [];
    const watching = (async () => {
      for await (const message of grpc().watch({ service: 'mosaic.test.Switch' }, { signal: abort.signal })) {
        seen.push(message.status);
        if (seen.length === 1) ready = true;
        if (seen.length === 2) abort.abort();
      }
    })().catch((error: unknown) => {
      if (ConnectError.from(error).code !== Code.Canceled) throw error;
    });
    await watching;
    expect(seen).to.deep.equal([
      HealthCheckResponse_ServingStatus.NOT_SERVING,
      HealthCheckResponse_ServingStatus.SERVING,
    ]);
    await eventually('the watch is no longer in flight', () => listener.inFlight() === 0);
    // The handler saw its signal abort: it checks no more.
    const after = checks;
    await delay(1_500);
    expect(checks).to.equal(after);
  });

  it('closes a stream it answered without reading its body, however long the client keeps sending', async () => {
    const session = http2.connect(baseUrl(), { ca });
    session.on('error', () => {});
    try {
      // A content type no protocol takes: Connect answers 415 without reading the body.
      const stream = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'text/plain',
      });
      stream.on('error', () => {});
      stream.on('data', () => {});
      const status = new Promise<number>((resolve) =>
        stream.once('response', (headers) => resolve(Number(headers[':status']))),
      );
      let closed = false;
      stream.once('close', () => {
        closed = true;
      });
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = setInterval(() => {
        if (!stream.destroyed) stream.write(chunk);
      }, 2);
      try {
        expect(await status).to.equal(415);
        await eventually('the server closed the stream', () => closed, 5_000);
      } finally {
        clearInterval(pump);
      }
      await eventually('no call is in flight on the server', () => listener.inFlight() === 0);
    } finally {
      session.close();
    }
  });

  it('ends a server-streaming handler whose client left while it was producing: its finally runs', async () => {
    let finished = false;
    let produce = () => {};
    const more = new Promise<void>((resolve) => {
      produce = resolve;
    });
    const rpcOnly = await startHttpListener({
      name: 'test-streaming',
      address: { host: '127.0.0.1', port: 0 },
      routes: (router) =>
        router.service(Health, {
          check: async () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
          async *watch() {
            try {
              yield { status: HealthCheckResponse_ServingStatus.SERVING };
              await more;
              // Produced after the client has gone.
              yield { status: HealthCheckResponse_ServingStatus.NOT_SERVING };
              await new Promise(() => {});
            } finally {
              finished = true;
            }
          },
        }),
      interceptors: [],
      logger,
    });
    try {
      const abort = new AbortController();
      const client = createClient(Health, createGrpcTransport({ baseUrl: rpcOnly.url }));
      await (async () => {
        for await (const message of client.watch({}, { signal: abort.signal })) {
          expect(message.status).to.equal(HealthCheckResponse_ServingStatus.SERVING);
          abort.abort();
        }
      })().catch((error: unknown) => expect(ConnectError.from(error).code).to.equal(Code.Canceled));
      await eventually('the stream is closed on the server', () => rpcOnly.inFlight() === 0);
      produce();
      await eventually("the handler's finally ran", () => finished);
    } finally {
      await rpcOnly.close(1_000);
    }
  });

  it('a client that resets a call in flight ends it on the server, which goes on serving', async () => {
    const abort = new AbortController();
    const call = connect()
      .check({ service: 'mosaic.test.Stuck' }, { signal: abort.signal })
      .then(
        () => 'answered',
        (error: unknown) => Code[ConnectError.from(error).code],
      );
    await eventually('the call is in flight', () => listener.inFlight() === 1);
    abort.abort();
    expect(await call).to.equal('Canceled');
    await eventually('the stream is closed on the server', () => listener.inFlight() === 0);
    expect((await grpc().check({ service: 'mosaic.test.Switch' })).status).to.equal(
      HealthCheckResponse_ServingStatus.SERVING,
    );
  });
});
