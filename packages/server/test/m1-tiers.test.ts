import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus } from '@mosaic/contracts/health/v1/health_pb';
import { expect } from 'chai';
import {
  cleanEnv,
  federatedEnv,
  MosaicProcess,
  readRunFile,
  runCli,
  tempDir,
} from '../../../test/support/mosaic-process.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { deletePrefix, redisUrl } from '../../../test/support/redis.js';

const secretPassword = 'Sup3r-s3cret-PW';

interface Doctor {
  tier: string;
  overall: string;
  mode: string;
  dependencies: Array<{ name: string; status: string; target: string; message: string; remedy: string }>;
  services: Array<{ name: string; status: string }>;
}

/** Runs `mosaic gateway doctor --json`, minting an admin token first where the tier has no local one. */
async function doctor(
  env: NodeJS.ProcessEnv,
  endpoint: string,
): Promise<{ code: number | null; report: Doctor }> {
  let token = env.MOSAIC_TOKEN;
  if (!token && env.MOSAIC_INTERNAL_KEY) {
    const minted = await runCli(['admin', 'token', 'create', '--json', '--subject', 'm1-test'], env);
    expect(minted.code, minted.stderr).to.equal(0);
    token = (JSON.parse(minted.stdout) as { token: string }).token;
  }
  const result = await runCli(
    ['gateway', 'doctor', '--json', '--endpoint', endpoint],
    token ? { ...env, MOSAIC_TOKEN: token } : env,
  );
  expect(result.stdout, result.stderr).to.not.equal('');
  return { code: result.code, report: JSON.parse(result.stdout) as Doctor };
}

describe('M1 tiers', function () {
  this.timeout(120_000);
  // Each federated run's own Valkey prefix, removed at the end (never another run's keys).
  const prefixes = new Set<string>();
  const federated = (options: Parameters<typeof federatedEnv>[0]) => {
    const env = federatedEnv(options);
    prefixes.add(env.MOSAIC_VALKEY_PREFIX!);
    return env;
  };

  describe('federated tier', () => {
    let db: TestDatabase;
    let dataDir: Awaited<ReturnType<typeof tempDir>>;
    let env: NodeJS.ProcessEnv;
    const processes: MosaicProcess[] = [];

    beforeEach(async () => {
      db = await createTestDatabase();
      dataDir = await tempDir();
      env = federated({ databaseUrl: db.url, dataDir: dataDir.path });
    });

    afterEach(async () => {
      await Promise.all(processes.splice(0).map((process) => process.stop()));
      await db.drop();
      await dataDir.remove();
    });

    it('M1-1: the stack boots in federated tier with Postgres and Valkey present (monolithic mode)', async () => {
      const server = new MosaicProcess(['serve', '--target=all'], env);
      processes.push(server);
      await server.waitFor(/is up — tier federated/);
      const run = readRunFile(dataDir.path, 'all');
      expect(run?.tier).to.equal('federated');

      const readyz = await fetch(`${run!.internalUrl}/readyz`);
      expect(readyz.status).to.equal(200);
      // Real gRPC (HTTP/2, trailers) against the same port.
      const health = createClient(Health, createGrpcTransport({ baseUrl: run!.internalUrl }));
      for (const service of ['', 'ca', 'grants', 'audit', 'gateway']) {
        expect((await health.check({ service })).status, service).to.equal(
          HealthCheckResponse_ServingStatus.SERVING,
        );
      }
      // Each service migrated its own schema, and only its own.
      const schemas = await db.query<{ schema: string; migrations: string }>(
        `SELECT table_schema AS schema, count(*)::text AS migrations FROM information_schema.tables
          WHERE table_name = 'migrations' GROUP BY table_schema ORDER BY table_schema`,
      );
      expect(schemas.map((row) => row.schema)).to.deep.equal(['audit', 'ca', 'gateway', 'grants']);

      const { code, report } = await doctor(env, run!.adminUrl!);
      expect(code).to.equal(0);
      expect(report.tier).to.equal('federated');
      expect(report.mode).to.equal('all');
      expect(report.dependencies.map((d) => [d.name, d.status])).to.deep.equal([
        ['postgres', 'green'],
        ['valkey', 'green'],
        ['pgvector', 'yellow'],
      ]);
      expect(report.services.map((s) => [s.name, s.status])).to.deep.equal([
        ['ca', 'green'],
        ['grants', 'green'],
        ['audit', 'green'],
        ['gateway', 'green'],
      ]);
    });

    it('M1-1: the stack boots in federated tier as four processes (microservices mode)', async () => {
      const started: Record<string, string> = {};
      for (const target of ['ca', 'audit', 'grants']) {
        const service = new MosaicProcess([`serve`, `--target=${target}`], env);
        processes.push(service);
        await service.waitFor(/is up/);
        started[target] = readRunFile(dataDir.path, target)!.internalUrl;
      }
      const gateway = new MosaicProcess(['serve', '--target=gateway'], {
        ...env,
        MOSAIC_CA_URL: started.ca!,
        MOSAIC_GRANTS_URL: started.grants!,
        MOSAIC_AUDIT_URL: started.audit!,
      });
      processes.push(gateway);
      await gateway.waitFor(/is up/);
      const run = readRunFile(dataDir.path, 'gateway')!;

      const { code, report } = await doctor(env, run.adminUrl!);
      expect(code).to.equal(0);
      expect(report.mode).to.equal('gateway');
      expect(report.services.map((s) => [s.name, s.status])).to.deep.equal([
        ['ca', 'green'],
        ['grants', 'green'],
        ['audit', 'green'],
        ['gateway', 'green'],
      ]);

      // A service that goes away turns red in the gateway's doctor, with where it was expected.
      await processes.find((process) => process.output.includes('ca service is up'))!.stop();
      const after = await doctor(env, run.adminUrl!);
      expect(after.code).to.equal(1);
      const ca = after.report.services.find((s) => s.name === 'ca') as unknown as {
        status: string;
        message: string;
      };
      expect(ca.status).to.equal('red');
      expect(ca.message).to.include(started.ca!);
    });
  });

  describe('refusing to boot', () => {
    let dataDir: Awaited<ReturnType<typeof tempDir>>;
    beforeEach(async () => {
      dataDir = await tempDir();
    });
    afterEach(() => dataDir.remove());

    const cases = [
      {
        name: 'M1-2: Postgres unreachable → refused fast, naming host:port and a remedy, no password',
        env: {
          DATABASE_URL: `postgres://mosaic:${secretPassword}@127.0.0.1:1/mosaic`,
          VALKEY_URL: redisUrl,
        },
        names: ['PostgreSQL at 127.0.0.1:1 refused the connection', 'DATABASE_URL'],
      },
      {
        name: 'M1-2: Valkey unreachable → refused fast, naming host:port and a remedy, no password',
        env: {
          DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
          VALKEY_URL: `redis://default:${secretPassword}@127.0.0.1:1`,
        },
        names: ['Valkey/Redis at 127.0.0.1:1 refused the connection', 'VALKEY_URL'],
      },
    ];
    for (const testCase of cases) {
      for (const target of ['all', 'gateway']) {
        it(`${testCase.name} (--target=${target})`, async () => {
          const result = await runCli(
            ['serve', `--target=${target}`],
            federated({
              databaseUrl: testCase.env.DATABASE_URL,
              dataDir: dataDir.path,
              extra: testCase.env,
            }),
          );
          expect(result.code).to.equal(3);
          for (const text of testCase.names) expect(result.stderr).to.include(text);
          expect(result.stderr).to.match(/cannot start: .*Remedy: Start/s);
          expect(result.stdout + result.stderr).not.to.include(secretPassword);
          // It refused before opening any port.
          expect(readRunFile(dataDir.path, target)).to.equal(null);
        });
      }
    }
  });

  describe('pgvector detection', () => {
    let db: TestDatabase;
    let dataDir: Awaited<ReturnType<typeof tempDir>>;
    let serverHasPgvector: boolean;
    const processes: MosaicProcess[] = [];

    beforeEach(async () => {
      db = await createTestDatabase();
      dataDir = await tempDir();
      const rows = await db.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM pg_available_extensions WHERE name = 'vector'",
      );
      serverHasPgvector = rows[0]!.n !== '0';
    });
    afterEach(async () => {
      await Promise.all(processes.splice(0).map((process) => process.stop()));
      await db.drop();
      await dataDir.remove();
    });

    const withMemory = (memory: string) =>
      federated({ databaseUrl: db.url, dataDir: dataDir.path, extra: { MOSAIC_MEMORY_TYPE: memory } });

    it('M1-3: green on the embedded store, which has pgvector', async () => {
      const env = cleanEnv({
        MOSAIC_DATA_DIR: dataDir.path,
        MOSAIC_LISTEN: '127.0.0.1:0',
        MOSAIC_ADMIN_LISTEN: '127.0.0.1:0',
      });
      const server = new MosaicProcess(['serve', '--target=all'], env);
      processes.push(server);
      await server.waitFor(/is up — tier local/);
      const { report } = await doctor(env, readRunFile(dataDir.path, 'all')!.adminUrl!);
      const pgvector = report.dependencies.find((d) => d.name === 'pgvector')!;
      expect(pgvector.status).to.equal('green');
      expect(pgvector.message).to.equal('pgvector installed');
    });

    it('M1-3: memory.type pgvector on a Postgres without it is refused with a remedy', async () => {
      const result = await runCli(['serve', '--target=all'], withMemory('pgvector'));
      if (serverHasPgvector) {
        // This machine's Postgres has pgvector, so the refusal path cannot be shown against it.
        expect.fail('the test Postgres has pgvector; point MOSAIC_TEST_POSTGRES_URL at one without it');
      }
      expect(result.code).to.equal(3);
      expect(result.stderr).to.include(
        'memory.type is "pgvector" but this PostgreSQL has no pgvector extension',
      );
      expect(result.stderr).to.include('MOSAIC_MEMORY_TYPE=keyword');
    });

    it('M1-3: memory.type keyword on a Postgres without pgvector is reported yellow and boot proceeds', async () => {
      const env = withMemory('keyword');
      const server = new MosaicProcess(['serve', '--target=all'], env);
      processes.push(server);
      await server.waitFor(/is up — tier federated/);
      const { code, report } = await doctor(env, readRunFile(dataDir.path, 'all')!.adminUrl!);
      expect(code).to.equal(0);
      expect(report.overall).to.equal(serverHasPgvector ? 'green' : 'yellow');
      const pgvector = report.dependencies.find((d) => d.name === 'pgvector')!;
      expect(pgvector.status).to.equal(serverHasPgvector ? 'green' : 'yellow');
      if (!serverHasPgvector) expect(pgvector.message).to.include('keyword mode');
    });
  });

  after(async () => {
    for (const prefix of prefixes) await deletePrefix(prefix);
  });
});
