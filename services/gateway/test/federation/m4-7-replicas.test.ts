import { type Client, Code } from '@connectrpc/connect';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { createLogger, deriveEd25519, loadConfig, mintAdminToken } from '@mosaic/platform';
import { type RunningTarget, runTarget } from '@mosaic/server';
import { expect } from 'chai';
import { bearerClient } from '../../../../test/support/bearer-client.js';
import { connectError } from '../../../../test/support/connect-error.js';
import { federationClient, peerCredentials } from '../../../../test/support/federation-client.js';
import { randomInternalKey, tempDir } from '../../../../test/support/mosaic-process.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import { deletePrefix, randomPrefix, redisUrl } from '../../../../test/support/redis.js';
import { startStack, type TestStack } from '../../../../test/support/stack.js';

describe('M4-7, M4-8: B in microservices mode (ca, grants, audit, two gateways) on one Postgres and Valkey', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let dataDir: Awaited<ReturnType<typeof tempDir>>;
  const prefix = randomPrefix();
  const env = { MOSAIC_INTERNAL_KEY: randomInternalKey(), MOSAIC_MASTER_KEY: randomInternalKey() };
  const running: RunningTarget[] = [];
  const gateways: Array<{ target: RunningTarget; admin: Client<typeof AdminService> }> = [];
  let a: TestStack;
  let auditTarget: RunningTarget;
  let grantsTarget: RunningTarget;

  const start = async (target: 'ca' | 'audit' | 'grants' | 'gateway', urls: Record<string, string>) => {
    const config = loadConfig({
      env: {
        MOSAIC_STORAGE_TIER: 'federated',
        DATABASE_URL: db.url,
        VALKEY_URL: redisUrl,
        MOSAIC_VALKEY_PREFIX: prefix,
        MOSAIC_MEMORY_TYPE: 'keyword',
        MOSAIC_DATA_DIR: dataDir.path,
        MOSAIC_LISTEN: '127.0.0.3:0',
        MOSAIC_ADMIN_LISTEN: '127.0.0.3:0',
        MOSAIC_ENROLLMENT_LISTEN: '127.0.0.3:0',
        MOSAIC_FEDERATION_LISTEN: '127.0.0.3:0',
        MOSAIC_PUBLIC_HOSTNAME: '127.0.0.3',
        ...urls,
      },
    });
    const target_ = await runTarget({
      target,
      config,
      env,
      logger: createLogger({ service: target, level: 'silent' }),
    });
    running.push(target_);
    return target_;
  };

  /** A user on B with a tasks grant for A (1000/min), created through the first replica, and A enrolled. */
  const enrolledGrant = async (username: string) => {
    const { user } = await gateways[0]!.admin.createUser({ username });
    const created = await gateways[0]!.admin.createGrant({
      subjectUserId: user!.id,
      requestingServer: '127.0.0.2',
      scopeJson: '{"resources":["tasks"]}',
      rateLimitRpm: 1000,
    });
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl });
    return { grantId: created.grant!.id, credentials: await peerCredentials(a, peer!.id) };
  };

  /** Each gateway replica's federation port, as its readiness report states it. */
  const replicaFederationPorts = () =>
    Promise.all(
      gateways.map(async ({ target }) => {
        const health = (await (await fetch(`${target.internalUrl}/readyz`)).json()) as {
          services: Array<{ checks: Array<{ name: string; detail: string }> }>;
        };
        const detail = health.services
          .flatMap((service) => service.checks)
          .find((check) => check.name.includes('federation'))!.detail;
        return /https:\/\/[^,]+:(\d+)$/.exec(detail)![1]!;
      }),
    );

  before(async () => {
    db = await createTestDatabase();
    dataDir = await tempDir();
    const ca = await start('ca', {});
    const audit = await start('audit', {});
    auditTarget = audit;
    const grants = await start('grants', {
      MOSAIC_CA_URL: ca.internalUrl,
      MOSAIC_AUDIT_URL: audit.internalUrl,
    });
    grantsTarget = grants;
    const urls = {
      MOSAIC_CA_URL: ca.internalUrl,
      MOSAIC_AUDIT_URL: audit.internalUrl,
      MOSAIC_GRANTS_URL: grants.internalUrl,
    };
    const { token } = await mintAdminToken(
      deriveEd25519(Buffer.from(env.MOSAIC_MASTER_KEY, 'base64url'), 'admin-token v1'),
      {
        subject: 'test',
        ttlSeconds: 600,
      },
    );
    for (let i = 0; i < 2; i += 1) {
      const target = await start('gateway', urls);
      const admin = bearerClient(AdminService, target.adminUrl!, token);
      gateways.push({ target, admin });
    }
    a = await startStack('127.0.0.2');
  });
  after(async () => {
    await a?.close();
    for (const target of running.reverse()) await target.close();
    await db?.drop();
    await dataDir?.remove();
    await deletePrefix(prefix);
  });

  it('M4-7: a per-grant limit holds across two replicas sharing Valkey, and an override applies without restart', async () => {
    const [first, second] = gateways;
    const { user } = await first!.admin.createUser({ username: 'fay' });
    const created = await first!.admin.createGrant({
      subjectUserId: user!.id,
      requestingServer: '127.0.0.2',
      scopeJson: '{"resources":["tasks"]}',
      rateLimitRpm: 6,
    });
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl });
    const credentials = await peerCredentials(a, peer!.id);
    // The peer record points at the replica it enrolled with; the other replica has its own port.
    const federationPorts = await replicaFederationPorts();
    expect(new Set(federationPorts).size).to.equal(2);
    const clients = federationPorts.map((port) =>
      federationClient({ ...credentials, baseUrl: `https://127.0.0.3:${port}` }),
    );
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      outcomes.push(
        await clients[i % 2]!.list({ resource: Resource.TASKS }).then(
          () => 'ok',
          async (error: unknown) => Code[(await connectError(Promise.reject(error))).code]!,
        ),
      );
    }
    // Six tokens in the shared bucket, whichever replica served the request.
    expect(outcomes.filter((outcome) => outcome === 'ok')).to.have.length(6);
    expect(outcomes.slice(6)).to.deep.equal([
      'ResourceExhausted',
      'ResourceExhausted',
      'ResourceExhausted',
      'ResourceExhausted',
    ]);

    // Raised through the other replica's admin API: effective at once, no restart, on both replicas.
    await second!.admin.updateGrant({ grantId: created.grant!.id, rateLimitRpm: 600 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      after.push(
        await clients[i % 2]!.list({ resource: Resource.TASKS }).then(
          () => 'ok',
          () => 'refused',
        ),
      );
    }
    expect(after).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
  });

  it('grant cache: a suspension through one replica refuses the next request on the other; cached admissions never call the grants service', async () => {
    const [first, second] = gateways;
    const { grantId, credentials } = await enrolledGrant('ida');
    const ports = await replicaFederationPorts();
    const [viaFirst, viaSecond] = ports.map((port) =>
      federationClient({ ...credentials, baseUrl: `https://127.0.0.3:${port}` }),
    );
    const getGrantCalls = async () =>
      (await (await fetch(`${grantsTarget.internalUrl}/metrics`)).text())
        .split('\n')
        .filter((line) => line.startsWith('mosaic_rpc_duration_seconds_count{') && line.includes('GetGrant'))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    const outcome = (client: typeof viaFirst) =>
      client!.list({ resource: Resource.TASKS }).then(
        () => 'ok',
        async (error: unknown) => (await connectError(Promise.reject(error))).rawMessage,
      );

    // Warm both replicas' caches, then many requests: the grants service is not asked again.
    expect([await outcome(viaFirst), await outcome(viaSecond)]).to.deep.equal(['ok', 'ok']);
    const callsWarm = await getGrantCalls();
    for (let i = 0; i < 20; i += 1) expect(await outcome(i % 2 ? viaSecond : viaFirst)).to.equal('ok');
    expect(await getGrantCalls()).to.equal(callsWarm);

    // Suspended through the first replica's admin API: the very next request on the second is refused.
    await first!.admin.suspendGrant({ grantId, reason: 'incident' });
    expect(await outcome(viaSecond)).to.include('is suspended');
    expect(await outcome(viaFirst)).to.include('is suspended');
    // Resumed through the second: the next request on the first passes.
    await second!.admin.resumeGrant({ grantId });
    expect(await outcome(viaFirst)).to.equal('ok');
    expect(await outcome(viaSecond)).to.equal('ok');
    // Revoked: refused at once on both (before the CRL even reaches the handshake).
    await second!.admin.revokeGrant({ grantId, reason: 'offboarded' });
    expect(await outcome(viaFirst)).to.match(/revoked|certificate/);
    expect(await outcome(viaSecond)).to.match(/revoked|certificate/);
  });

  it('M4-8: audit writes are asynchronous: requests pass while the audit store is slow and while it is down; no event is lost', async () => {
    const { grantId, credentials } = await enrolledGrant('gus');
    const client = federationClient(credentials);
    const listRows = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            'SELECT count(*)::text AS n FROM audit.events WHERE grant_id = $1 AND verb = 2',
            [grantId],
          )
        )[0]!.n,
      ) + 0;
    const waitForRows = async (count: number) => {
      for (let attempt = 0; attempt < 300; attempt += 1) {
        if ((await listRows()) >= count) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    // AuditVerb.GET is 2; the test counts Get calls (answered not_found, audited as ok).
    // The normal answer for an id that is not there is not_found: anything else fails the test.
    const call = () =>
      client.get({ resource: Resource.TASKS, id: '00000000-0000-4000-8000-000000000000' }).then(
        () => 'found?!',
        async (error: unknown) =>
          (await connectError(Promise.reject(error))).code === Code.NotFound ? 'ok' : 'failed',
      );

    // 1. Slow store: a transaction holds an exclusive lock on the audit table.
    const locker = await import('pg').then((pg) => new pg.default.Client({ connectionString: db.url }));
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE audit.events IN ACCESS EXCLUSIVE MODE');
    for (let i = 0; i < 10; i += 1) expect(await call()).to.equal('ok');
    await locker.query('COMMIT');
    await locker.end();
    await waitForRows(10);
    expect(await listRows()).to.equal(10);

    // 2. Store down: the audit service is stopped; requests still pass; events wait in the queue.
    await auditTarget.close();
    for (let i = 0; i < 10; i += 1) expect(await call()).to.equal('ok');
    expect(await listRows()).to.equal(10);
    auditTarget = await start('audit', {});
    await waitForRows(20);
    expect(await listRows()).to.equal(20);
  });
});
