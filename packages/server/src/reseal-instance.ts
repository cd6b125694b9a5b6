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
import type { DataSource } from 'typeorm';

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
  /** Only this service's keys (when the ca and the gateway have master secrets of their own). */
  only?: 'ca' | 'gateway';
}): Promise<ResealReport[]> {
  const from = new Sealer(options.from);
  const to = new Sealer(options.to);
  const opened: EmbeddedPostgres[] = [];
  const { storage } = options.config;
  const services = [
    { module: caModule, reseal: AuthorityStore.reseal, table: 'ca.authorities' },
    { module: gatewayModule, reseal: resealPeerKeys, table: 'gateway.peers' },
  ].filter((service) => !options.only || service.module.name === options.only);
  const dataSources: DataSource[] = [];
  try {
    for (const { module } of services) {
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
      dataSources.push(dataSource);
      await runMigrations(dataSource, module.schema);
    }
    // First every key of every service is opened with the current secret and sealed anew without
    // writing: a wrong secret or a damaged row stops everything before anything changes.
    for (const [index, service] of services.entries()) {
      await service.reseal(dataSources[index]!, from, to, { dryRun: true });
    }
    const reports: ResealReport[] = [];
    for (const [index, service] of services.entries()) {
      reports.push({ table: service.table, ...(await service.reseal(dataSources[index]!, from, to)) });
    }
    return reports;
  } finally {
    for (const dataSource of dataSources) await dataSource.destroy();
    for (const store of opened) await store.close();
  }
}
