import net from 'node:net';
import { auditModule } from '@mosaic/audit';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { DependencyStatus } from '@mosaic/contracts/v1/common_pb';
import { createLogger, createServiceDataSource, loadConfig, runMigrations } from '@mosaic/platform';
import { expect } from 'chai';
import { bearerClient } from '../../../test/support/bearer-client.js';
import {
  federatedEnv,
  MosaicProcess,
  randomInternalKey,
  readRunFile,
  runCli,
  tempDir,
} from '../../../test/support/mosaic-process.js';
import { startPasswordPostgres } from '../../../test/support/password-postgres.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { deletePrefix, randomPrefix, redisUrl } from '../../../test/support/redis.js';
import { runTarget } from '../src/run-target.js';

describe('boot and shutdown safety', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let dataDir: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => {
    db = await createTestDatabase();
    dataDir = await tempDir();
  });
  afterEach(async () => {
    await db.drop();
    await dataDir.remove();
  });

  it('two replicas of one service starting at once apply each migration exactly once', async () => {
    const dataSources = [0, 1].map(() =>
      createServiceDataSource({
        url: db.url,
        schema: auditModule.schema,
        entities: auditModule.entities,
        migrations: auditModule.migrations,
        poolSize: 2,
        applicationName: 'replica',
        connectTimeoutMs: 3000,
      }),
    );
    await Promise.all(dataSources.map((dataSource) => dataSource.initialize()));
    try {
      const results = await Promise.all(dataSources.map((dataSource) => runMigrations(dataSource, 'audit')));
      const applied = results.map((result) => result.applied.length).sort();
      expect(applied).to.deep.equal([0, auditModule.migrations.length]);
    } finally {
      await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
    }
    const rows = await db.query<{ name: string }>('SELECT name FROM audit.migrations');
    expect(rows.map((row) => row.name)).to.deep.equal(
      auditModule.migrations.map((migration) => migration.name),
    );
  });

  it('two whole replicas (runTarget --target=audit) starting together both come up on one migrated schema', async () => {
    const prefix = randomPrefix();
    const config = loadConfig({
      env: {
        MOSAIC_STORAGE_TIER: 'federated',
        DATABASE_URL: db.url,
        VALKEY_URL: redisUrl,
        MOSAIC_VALKEY_PREFIX: prefix,
        MOSAIC_MEMORY_TYPE: 'keyword',
        MOSAIC_DATA_DIR: dataDir.path,
        MOSAIC_LISTEN: '127.0.0.1:0',
      },
    });
    process.env.MOSAIC_INTERNAL_KEY = randomInternalKey();
    try {
      const logger = createLogger({ service: 'test', level: 'silent' });
      const replicas = await Promise.all([0, 1].map(() => runTarget({ target: 'audit', config, logger })));
      expect(replicas[0]!.internalUrl).to.not.equal(replicas[1]!.internalUrl);
      await Promise.all(replicas.map((replica) => replica.close()));
    } finally {
      delete process.env.MOSAIC_INTERNAL_KEY;
      await deletePrefix(prefix);
    }
    const rows = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit.migrations');
    expect(rows[0]!.n).to.equal(String(auditModule.migrations.length));
  });

  it('a service whose Postgres password is wrong fails with a message that contains no password', async () => {
    const cluster = await startPasswordPostgres('the-right-password-4711');
    try {
      const wrong = 'Wr0ng-Pa55word-LEAK-ME';
      const result = await runCli(
        ['serve', '--target=grants'],
        federatedEnv({
          databaseUrl: `postgres://postgres:${wrong}@127.0.0.1:${cluster.port}/postgres`,
          dataDir: dataDir.path,
        }),
      );
      expect(result.code).to.equal(3);
      expect(result.stderr).to.include(
        `PostgreSQL at 127.0.0.1:${cluster.port} rejected the password of user "postgres"`,
      );
      expect(result.stdout + result.stderr).not.to.include(wrong);
      expect(result.stdout + result.stderr).not.to.include(cluster.password);
    } finally {
      await cluster.stop();
    }
  });

  it('an in-flight call completes when the service gets SIGTERM, then the process exits 0', async () => {
    // A "ca" that accepts connections and never answers makes the gateway's doctor report take its
    // full probe deadline: a real call that is still running when SIGTERM arrives.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const env = federatedEnv({
      databaseUrl: db.url,
      dataDir: dataDir.path,
      extra: { MOSAIC_CA_URL: silentUrl, MOSAIC_GRANTS_URL: silentUrl, MOSAIC_AUDIT_URL: silentUrl },
    });
    const gateway = new MosaicProcess(['serve', '--target=gateway'], env);
    try {
      await gateway.waitFor(/is up/);
      const minted = await runCli(['admin', 'token', 'create', '--json'], env);
      const token = (JSON.parse(minted.stdout) as { token: string }).token;
      const adminUrl = readRunFile(dataDir.path, 'gateway')!.adminUrl!;
      const admin = bearerClient(AdminService, adminUrl, token);
      const started = Date.now();
      const inFlight = admin.getDoctorReport({});
      // The report waits ~3 s on the silent services; SIGTERM lands well inside that window.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const exit = gateway.stop('SIGTERM');
      const report = await inFlight;
      expect(Date.now() - started).to.be.greaterThan(500);
      expect(report.services.find((service) => service.name === 'ca')?.status).to.equal(DependencyStatus.RED);
      expect(await exit).to.equal(0);
      expect(gateway.stdout).to.include('"listener":"admin","msg":"listener closed"');
    } finally {
      await gateway.stop('SIGKILL');
      await deletePrefix(env.MOSAIC_VALKEY_PREFIX!);
      silent.close();
    }
  });
});
