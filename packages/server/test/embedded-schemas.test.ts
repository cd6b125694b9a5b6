import { createServiceDataSource, queryRows, runMigrations, startEmbeddedPostgres } from '@mosaic/platform';
import { expect } from 'chai';
import { tempDir } from '../../../test/support/mosaic-process.js';
import { moduleOrder } from '../src/service-modules.js';

describe('embedded store (local tier)', function () {
  this.timeout(120_000);

  it("keeps every service's tables in its own schema (PGlite ignores per-connection search_path)", async () => {
    const dir = await tempDir();
    try {
      for (const module of moduleOrder) {
        const store = await startEmbeddedPostgres({
          dir: `${dir.path}/${module.name}`,
          searchPath: [module.schema, 'public'],
        });
        const dataSource = createServiceDataSource({
          url: store.url,
          schema: module.schema,
          entities: module.entities,
          migrations: module.migrations,
          poolSize: 2,
          applicationName: 'test',
          connectTimeoutMs: 3000,
        });
        try {
          await dataSource.initialize();
          await runMigrations(dataSource, module.schema);
          const rows = await queryRows<{ schema: string; count: string }>(
            dataSource,
            `SELECT table_schema AS schema, count(*)::text AS count FROM information_schema.tables
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY table_schema ORDER BY 1`,
          );
          expect(
            rows.map((row) => row.schema),
            module.name,
          ).to.deep.equal([module.schema]);
          expect(Number(rows[0]!.count)).to.be.greaterThan(1);
        } finally {
          if (dataSource.isInitialized) await dataSource.destroy();
          await store.close();
        }
      }
    } finally {
      await dir.remove();
    }
  });
});
