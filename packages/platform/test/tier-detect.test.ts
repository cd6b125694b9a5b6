import net from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import { adminUrl } from '../../../test/support/postgres.js';
import { redisUrl } from '../../../test/support/redis.js';
import type { MemoryType } from '../src/config/config-types.js';
import { type DependencyUnavailableError, isDependencyUnavailableError } from '../src/errors/index.js';
import type { DependencyReport } from '../src/tier/dependency-report.js';
import { assertBootable, detectDependencies } from '../src/tier/detect-dependencies.js';
import { probePostgres } from '../src/tier/probe-postgres.js';
import { probeRedis } from '../src/tier/probe-redis.js';

/** Nothing listens on port 1 of the loopback address: connections are refused at once. */
const closedPort = '127.0.0.1:1';
const timeoutMs = 2_000;

function byName(reports: DependencyReport[], name: DependencyReport['name']): DependencyReport {
  const report = reports.find((candidate) => candidate.name === name);
  if (!report) expect.fail(`no ${name} report in ${JSON.stringify(reports)}`);
  return report;
}

/** A TCP server that accepts connections and never says a word. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('tier dependency detection', function () {
  this.timeout(30_000);
  let pgvectorAvailable: boolean;

  before(async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
      pgvectorAvailable = rows.length > 0;
    } finally {
      await client.end();
    }
  });

  describe('detectDependencies against the real servers', () => {
    const cases: Array<{ memory: MemoryType }> = [{ memory: 'keyword' }, { memory: 'pgvector' }];
    for (const tc of cases) {
      it(`reports Postgres and Valkey green, and pgvector as the server allows (memory ${tc.memory})`, async () => {
        const reports = await detectDependencies({
          tier: 'federated',
          postgresUrl: adminUrl,
          redisUrl,
          memory: tc.memory,
          timeoutMs,
        });
        expect(reports.map((report) => report.name)).to.deep.equal(['postgres', 'valkey', 'pgvector']);

        const postgres = byName(reports, 'postgres');
        expect(postgres).to.include({
          status: 'green',
          target: '127.0.0.1:5432',
          message: 'PostgreSQL answering',
          remedy: '',
        });
        expect(postgres.latencyMs).to.be.a('number');

        const valkey = byName(reports, 'valkey');
        expect(valkey).to.include({
          status: 'green',
          target: '127.0.0.1:6379',
          message: 'Valkey/Redis answering PING',
          remedy: '',
        });
        expect(valkey.latencyMs).to.be.a('number');

        const pgvector = byName(reports, 'pgvector');
        if (pgvectorAvailable) {
          expect(pgvector.status).to.equal('green');
          expect(pgvector.remedy).to.equal('');
        } else if (tc.memory === 'keyword') {
          expect(pgvector).to.include({
            status: 'yellow',
            message: 'pgvector not installed: memory search runs in keyword mode',
          });
        } else {
          expect(pgvector).to.include({
            status: 'red',
            message: 'memory.type is "pgvector" but this PostgreSQL has no pgvector extension',
          });
          expect(pgvector.remedy).to.include('MOSAIC_MEMORY_TYPE=keyword');
        }
      });
    }

    it('the local tier reports in-process adapters and the embedded store folder', async () => {
      const reports = await detectDependencies({
        tier: 'local',
        postgresUrl: adminUrl,
        embeddedDir: '/var/lib/mosaic/pglite',
        redisUrl: null,
        memory: 'keyword',
        timeoutMs,
      });
      expect(byName(reports, 'postgres')).to.include({
        status: 'green',
        target: 'embedded PGlite in /var/lib/mosaic/pglite',
        message: 'embedded store answering over the Postgres wire protocol',
      });
      expect(byName(reports, 'valkey')).to.include({ status: 'green', target: 'in-process adapters' });
    });
  });

  describe('unreachable dependencies are red with a remedy', () => {
    const cases: Array<{
      name: string;
      postgresUrl: string;
      redisUrl: string;
      memory: MemoryType;
      expected: Array<Pick<DependencyReport, 'name' | 'status' | 'target' | 'message'> & { remedy: RegExp }>;
    }> = [
      {
        name: 'Postgres refusing the connection',
        postgresUrl: `postgres://postgres@${closedPort}/mosaic`,
        redisUrl,
        memory: 'keyword',
        expected: [
          {
            name: 'postgres',
            status: 'red',
            target: closedPort,
            message: `PostgreSQL at ${closedPort} refused the connection (nothing listens there)`,
            remedy:
              /^Start PostgreSQL at 127\.0\.0\.1:1 or point DATABASE_URL \(storage\.url\) at a reachable server; tier "federated" requires it/,
          },
          {
            name: 'pgvector',
            status: 'yellow',
            target: 'postgres extension "vector"',
            message: 'unknown: PostgreSQL could not be asked',
            remedy: /^Fix the PostgreSQL connection first\.$/,
          },
        ],
      },
      {
        name: 'Postgres without the database',
        postgresUrl: `${adminUrl.replace(/\/[^/]*$/, '')}/mosaic_absent_${process.pid}`,
        redisUrl,
        memory: 'pgvector',
        expected: [
          {
            name: 'postgres',
            status: 'red',
            target: '127.0.0.1:5432',
            message: 'PostgreSQL at 127.0.0.1:5432 has no such database',
            remedy: /DATABASE_URL/,
          },
          {
            name: 'pgvector',
            status: 'red',
            target: 'postgres extension "vector"',
            message: 'unknown: PostgreSQL could not be asked',
            remedy: /^Fix the PostgreSQL connection first\.$/,
          },
        ],
      },
      {
        name: 'Valkey refusing the connection',
        postgresUrl: adminUrl,
        redisUrl: `redis://${closedPort}`,
        memory: 'keyword',
        expected: [
          {
            name: 'valkey',
            status: 'red',
            target: closedPort,
            message: `Valkey/Redis at ${closedPort} refused the connection (nothing listens there)`,
            remedy:
              /^Start Valkey\/Redis at 127\.0\.0\.1:1 or point VALKEY_URL \(queue\.url\) at a reachable server; tier "federated"/,
          },
        ],
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const reports = await detectDependencies({
          tier: 'federated',
          postgresUrl: tc.postgresUrl,
          redisUrl: tc.redisUrl,
          memory: tc.memory,
          timeoutMs,
        });
        for (const expected of tc.expected) {
          const report = byName(reports, expected.name);
          const { remedy, ...rest } = expected;
          expect(report).to.include(rest);
          expect(report.latencyMs).to.equal(null);
          expect(report.remedy).to.match(remedy);
        }
      });
    }
  });

  describe('assertBootable', () => {
    it('passes when nothing is red', () => {
      const yellow: DependencyReport = {
        name: 'pgvector',
        status: 'yellow',
        latencyMs: null,
        target: 'postgres extension "vector"',
        message: 'keyword mode',
        remedy: 'Install pgvector.',
      };
      expect(() => assertBootable('ca', [yellow])).to.not.throw();
    });

    it('refuses listing every red dependency, without the password of either URL', async () => {
      const pgPassword = 'PgPw-7f3a-never-shown';
      const redisPassword = 'RdPw-91c2-never-shown';
      const reports = await detectDependencies({
        tier: 'federated',
        postgresUrl: `postgres://app:${pgPassword}@${closedPort}/mosaic`,
        redisUrl: `redis://default:${redisPassword}@${closedPort}`,
        memory: 'pgvector',
        timeoutMs,
      });
      let thrown: unknown;
      try {
        assertBootable('grants', reports);
      } catch (error) {
        thrown = error;
      }
      if (!isDependencyUnavailableError(thrown))
        expect.fail(`expected DependencyUnavailableError, got ${thrown}`);
      const error: DependencyUnavailableError = thrown;
      expect(error.dependency).to.equal('postgres');
      expect(error.kind).to.equal('unavailable');
      expect(error.message).to.equal(
        'grants cannot start: ' +
          `PostgreSQL at ${closedPort} refused the connection (nothing listens there). ` +
          `Valkey/Redis at ${closedPort} refused the connection (nothing listens there). ` +
          'unknown: PostgreSQL could not be asked.',
      );
      expect(error.remedy).to.include('DATABASE_URL');
      expect(error.remedy).to.include('VALKEY_URL');
      expect(error.remedy).to.include('Fix the PostgreSQL connection first.');
      const everything = `${error.describe()} ${JSON.stringify(reports)}`;
      expect(everything).to.not.include(pgPassword);
      expect(everything).to.not.include(redisPassword);
    });
  });

  describe('probes against a server that accepts and never answers', () => {
    let silent: Awaited<ReturnType<typeof startSilentServer>>;
    beforeEach(async () => {
      silent = await startSilentServer();
    });
    afterEach(async () => {
      await silent?.close();
    });

    it('probeRedis reports that it did not answer within the timeout', async () => {
      const probe = await probeRedis(`redis://127.0.0.1:${silent.port}`, 500);
      expect(probe).to.deep.equal({
        ok: false,
        latencyMs: null,
        target: `127.0.0.1:${silent.port}`,
        problem: 'did not answer within 500 ms',
      });
    });

    it('probePostgres reports that it did not answer within the timeout', async () => {
      const probe = await probePostgres(`postgres://postgres@127.0.0.1:${silent.port}/mosaic`, 500);
      expect(probe).to.deep.equal({
        ok: false,
        latencyMs: null,
        target: `127.0.0.1:${silent.port}`,
        problem: 'did not answer within 500 ms',
      });
    });

    it('probeRedis returns by its deadline (bounded only by mocha: 4x the probe timeout)', async function () {
      // The probe promises "one connection attempt with a deadline". A generous bound (4x) is mocha's
      // own timeout; no duration is measured or asserted here.
      this.timeout(2_000);
      const probe = await probeRedis(`redis://127.0.0.1:${silent.port}`, 500);
      expect(probe.ok).to.equal(false);
    });
  });
});
