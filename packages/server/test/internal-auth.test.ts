import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus } from '@mosaic/contracts/health/v1/health_pb';
import { CaService } from '@mosaic/contracts/v1/ca_pb';
import { createLogger, deriveEd25519, InternalTokenIssuer, loadConfig } from '@mosaic/platform';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import { randomInternalKey, tempDir } from '../../../test/support/mosaic-process.js';
import { type RunningTarget, runTarget } from '../src/run-target.js';

describe('internal service authentication', function () {
  this.timeout(60_000);
  let running: RunningTarget;
  let dataDir: Awaited<ReturnType<typeof tempDir>>;
  let secret: Buffer;

  before(async () => {
    dataDir = await tempDir();
    const config = loadConfig({
      env: {
        MOSAIC_DATA_DIR: dataDir.path,
        MOSAIC_LISTEN: '127.0.0.1:0',
        MOSAIC_ADMIN_LISTEN: '127.0.0.1:0',
      },
    });
    running = await runTarget({
      target: 'all',
      config,
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const stored = await readFile(path.join(dataDir.path, 'secrets', 'internal.key'), 'utf8');
    secret = Buffer.from(stored.trim(), 'base64url');
  });

  after(async () => {
    await running?.close();
    await dataDir?.remove();
  });

  const caWith = (authorization: string | undefined) =>
    createClient(
      CaService,
      createConnectTransport({
        baseUrl: running.internalUrl,
        httpVersion: '2',
        interceptors: [
          (next) => async (request) => {
            if (authorization) request.header.set('authorization', authorization);
            return next(request);
          },
        ],
      }),
    );

  const bearer = async (caller: string, audience: string, key = secret) =>
    `Bearer ${await new InternalTokenIssuer(deriveEd25519(key, 'internal-jwt v1'), caller).tokenFor(audience)}`;

  const cases: Array<{
    name: string;
    authorization: () => Promise<string | undefined>;
    code: Code | null;
    message: RegExp;
  }> = [
    {
      name: 'a call without a token is refused unauthenticated',
      authorization: async () => undefined,
      code: Code.Unauthenticated,
      message: /internal call to ca without a bearer token/,
    },
    {
      name: 'a token for another service (wrong audience) is refused unauthenticated',
      authorization: () => bearer('gateway', 'grants'),
      code: Code.Unauthenticated,
      message: /claim "aud" is wrong \(expected audience ca\)/,
    },
    {
      name: 'a token signed by another instance is refused unauthenticated',
      authorization: () => bearer('gateway', 'ca', Buffer.from(randomInternalKey(), 'base64url')),
      code: Code.Unauthenticated,
      message: /invalid or signed by another instance/,
    },
    {
      name: 'an expired token is refused unauthenticated',
      authorization: async () => {
        const keys = deriveEd25519(secret, 'internal-jwt v1');
        const token = await new SignJWT({})
          .setProtectedHeader({ alg: 'EdDSA' })
          .setIssuer('mosaic-internal')
          .setSubject('gateway')
          .setAudience('ca')
          .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
          .sign(keys.privateKey);
        return `Bearer ${token}`;
      },
      code: Code.Unauthenticated,
      message: /has expired/,
    },
    {
      name: 'a valid token of a service that may not call the method is refused permission_denied',
      authorization: () => bearer('audit', 'ca'),
      code: Code.PermissionDenied,
      message: /audit may not call mosaic\.federation\.v1\.CaService\/GetRoot/,
    },
    {
      name: 'a valid token of an allowed caller reaches the handler',
      authorization: () => bearer('gateway', 'ca'),
      code: null,
      message: /^[0-9a-f]{64}$/,
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, async () => {
      const client = caWith(await testCase.authorization());
      if (testCase.code === null) {
        expect((await client.getRoot({})).sha256Fingerprint).to.match(testCase.message);
        return;
      }
      const error = await client.getRoot({}).then(
        () => expect.fail('the call succeeded'),
        (reason: unknown) => ConnectError.from(reason),
      );
      expect(Code[error.code]).to.equal(Code[testCase.code]);
      expect(error.rawMessage).to.match(testCase.message);
    });
  }

  it('health checks need no token (orchestrators call them)', async () => {
    const health = createClient(
      Health,
      createConnectTransport({ baseUrl: running.internalUrl, httpVersion: '2' }),
    );
    expect((await health.check({ service: 'ca' })).status).to.equal(
      HealthCheckResponse_ServingStatus.SERVING,
    );
  });

  it('grpc.health.v1 Watch streams the current status, and an unknown service is refused', async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: running.internalUrl }));
    const abort = new AbortController();
    const statuses: HealthCheckResponse_ServingStatus[] = [];
    try {
      for await (const message of health.watch({ service: 'gateway' }, { signal: abort.signal })) {
        statuses.push(message.status);
        abort.abort();
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
    expect(statuses).to.deep.equal([HealthCheckResponse_ServingStatus.SERVING]);
    const unknown = await health.check({ service: 'nope' }).then(
      () => null,
      (reason: Error) => reason.message,
    );
    expect(unknown).to.include('unknown service');
  });
});
