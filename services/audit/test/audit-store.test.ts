import { randomUUID } from 'node:crypto';
import { AuditOutcome, AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import { createServiceDataSource, runMigrations } from '@mosaic/platform';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { auditModule } from '../src/module.js';
import { AuditBatchWriter } from '../src/store/audit-batch-writer.js';
import { AuditEventStore } from '../src/store/audit-event-store.js';

describe('audit store', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: AuditEventStore;

  before(async () => {
    db = await createTestDatabase();
    dataSource = createServiceDataSource({
      url: db.url,
      schema: 'audit',
      entities: [],
      migrations: auditModule.migrations,
      poolSize: 4,
      applicationName: 'audit-test',
      connectTimeoutMs: 3000,
    });
    await dataSource.initialize();
    await runMigrations(dataSource, 'audit');
    store = new AuditEventStore(dataSource);
  });
  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const event = (id = randomUUID()) => ({
    id,
    grantId: randomUUID(),
    occurredAt: new Date(),
    verb: AuditVerb.LIST,
    resource: 1,
    queryHash: 'ab'.repeat(32),
    outcome: AuditOutcome.OK,
    bytesOut: 120,
    latencyMs: 3,
    peer: 'a.example',
    traceId: '',
    actor: '',
    reason: '',
  });

  it('a retried audit job does not duplicate its row (idempotent by event id)', async () => {
    const once = event();
    expect(await store.insert([once])).to.deep.equal({ created: 1 });
    expect(await store.insert([once])).to.deep.equal({ created: 0 });
    const rows = await db.query('SELECT id FROM audit.events WHERE id = $1', [once.id]);
    expect(rows).to.have.length(1);
  });

  it('the batch writer commits concurrent events in batches, each exactly once', async () => {
    const writer = new AuditBatchWriter(store, { maxBatch: 50, maxWaitMs: 20 });
    const events = Array.from({ length: 120 }, () => event());
    await Promise.all([...events, events[0]!, events[1]!].map((e) => writer.write(e)));
    const [row] = await db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM audit.events WHERE id = ANY($1)',
      [events.map((e) => e.id)],
    );
    expect(Number(row!.n)).to.equal(120);
  });
});
