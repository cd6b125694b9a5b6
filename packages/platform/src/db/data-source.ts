import 'reflect-metadata';
import { DataSource, type EntitySchema, type MigrationInterface } from 'typeorm';

export interface ServiceDataSourceOptions {
  /** postgres:// URL; for the embedded tier the URL of the local PGlite socket. */
  url: string;
  /** The service's own schema: entities, migrations table and search_path all live there. */
  schema: string;
  entities: EntitySchema[];
  migrations: Array<new () => MigrationInterface>;
  /** Pool size; the embedded store multiplexes one session, so it gets a small pool. */
  poolSize: number;
  applicationName: string;
  connectTimeoutMs: number;
}

/** A TypeORM DataSource confined to one service schema. Schemas change through migrations only. */
export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName,
    extra: {
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      options: `-c search_path=${options.schema},public`,
    },
  });
}
