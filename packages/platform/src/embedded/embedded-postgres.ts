import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepWasmCode } from './wasm-code-gc.js';

/**
 * The embedded store of the `local` tier: PGlite (with pgvector) served over the Postgres wire
 * protocol on loopback, so the same `pg`/TypeORM code runs unchanged against it.
 */
export interface EmbeddedPostgres {
  /** Connection URL of the loopback socket (no password: it only listens on 127.0.0.1). */
  readonly url: string;
  close(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder of the database files; `memory://` keeps it in memory (tests). */
  dir: string;
  /** Concurrent client connections multiplexed onto PGlite's single session. */
  maxConnections?: number;
  /**
   * search_path of the one session every connection shares. PGlite ignores per-connection startup
   * options, so a service gets an embedded store of its own with its schema set here.
   */
  searchPath?: string[];
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  if (!options.dir.startsWith('memory://')) await mkdir(options.dir, { recursive: true });
  keepWasmCode();
  const db = await PGlite.create({ dataDir: options.dir, extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  if (options.searchPath) {
    for (const schema of options.searchPath) {
      if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    }
    // The schema must exist before it can be first on the path; migrations fill it.
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${options.searchPath[0]}`);
    await db.exec(`SET search_path TO ${options.searchPath.join(', ')}`);
  }
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections ?? 16,
  });
  await server.start();
  let closing: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    close() {
      closing ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return closing;
    },
  };
}
