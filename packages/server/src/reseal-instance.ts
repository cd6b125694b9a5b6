import path from 'node:path';
import { AuthorityStore, caModule } from '@mosaic/ca';
import { gatewayModule, resealPeerKeys } from '@mosaic/gateway';
import {
  createServiceDataSource,
  type EmbeddedPostgres,
  type MosaicConfig,
  runMigrations,
  Sealer,
  startEmbeddedPostgres,
} from '@mosaic/platform';

export interface ResealReport {
  table: string;
  resealed: number;
  skipped: number;
}

/**
 * Re-seals every private key of an instance (the CA's keys, the peers' client keys) from the
 * current master secret to a new one, each service in its own schema and transaction. Run it with
 * the services stopped; for the embedded store that is required (PGlite has one owner).
 */
export async function resealInstance(options: {
  config: MosaicConfig;
  from: Buffer;
  to: Buffer;
}): Promise<ResealReport[]> {
  const from = new Sealer(options.from);
  const to = new Sealer(options.to);
  const reports: ResealReport[] = [];
  const opened: EmbeddedPostgres[] = [];
  const { storage } = options.config;
  try {
    for (const [module, reseal, table] of [
      [caModule, AuthorityStore.reseal, 'ca.authorities'],
      [gatewayModule, resealPeerKeys, 'gateway.peers'],
    ] as const) {
      let url: string;
      if (storage.type === 'pglite') {
        const store = await startEmbeddedPostgres({
          dir: path.join(storage.dir, module.name),
          searchPath: [module.schema, 'public'],
        });
        opened.push(store);
        url = store.url;
      } else {
        url = storage.url;
      }
      const dataSource = createServiceDataSource({
        url,
        schema: module.schema,
        entities: module.entities,
        migrations: module.migrations,
        poolSize: 2,
        applicationName: `mosaic-reseal-${module.name}`,
        connectTimeoutMs: options.config.probeTimeoutMs,
      });
      await dataSource.initialize();
      try {
        await runMigrations(dataSource, module.schema);
        reports.push({ table, ...(await reseal(dataSource, from, to)) });
      } finally {
        await dataSource.destroy();
      }
    }
  } finally {
    for (const store of opened) await store.close();
  }
  return reports;
}
