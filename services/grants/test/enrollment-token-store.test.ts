import { randomUUID } from 'node:crypto';
import { createServiceDataSource, runMigrations } from '@mosaic/platform';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { generateEnrollmentToken } from '../src/domain/index.js';
import { grantsModule } from '../src/module.js';
import { EnrollmentTokenStore } from '../src/store/enrollment-token-store.js';
import { GrantStore } from '../src/store/grant-store.js';

describe('enrollment token leases (real Postgres)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let tokens: EnrollmentTokenStore;
  let grantId: string;

  before(async () => {
    db = await createTestDatabase();
    dataSource = createServiceDataSource({
      url: db.url,
      schema: 'grants',
      entities: [],
      migrations: grantsModule.migrations,
      poolSize: 4,
      applicationName: 'tokens-test',
      connectTimeoutMs: 3000,
    });
    await dataSource.initialize();
    await runMigrations(dataSource, 'grants');
    tokens = new EnrollmentTokenStore(dataSource);
    const grant = await new GrantStore(dataSource).insert({
      id: randomUUID(),
      subjectUserId: randomUUID(),
      requestingServer: 'a.example',
      requestingCaFingerprint: null,
      scope: { resources: ['tasks'], filters: {}, excluded_resources: [], max_rows_per_query: 500 } as never,
      rateLimitRpm: 60,
      notes: '',
    });
    grantId = grant.id;
  });
  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('a redemption whose lease ran out can neither consume nor release the claim of the next one', async () => {
    const { hash } = generateEnrollmentToken();
    await tokens.replace(hash, grantId, new Date(Date.now() + 60_000));
    const slow = await tokens.claim(hash, grantId, 1);
    expect(slow.ok).to.equal(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await tokens.claim(hash, grantId, 60_000);
    expect(next.ok).to.equal(true);
    if (!slow.ok || !next.ok) return;
    await tokens.release(hash, slow.claimId);
    expect(await dataSource.transaction((manager) => tokens.consume(hash, slow.claimId, manager))).to.equal(
      false,
    );
    // The next claim is intact: a third redemption cannot claim, and the holder consumes.
    expect(await tokens.claim(hash, grantId, 60_000)).to.deep.equal({ ok: false, why: 'in_use' });
    expect(await dataSource.transaction((manager) => tokens.consume(hash, next.claimId, manager))).to.equal(
      true,
    );
    expect(await tokens.claim(hash, grantId, 60_000)).to.deep.equal({ ok: false, why: 'consumed' });
  });
});
