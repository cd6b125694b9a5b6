import { DataSource, type EntityManager } from 'typeorm';

/** The part of a `pg` pool that `queryRows` and `queryArrays` use. */
interface PgPool {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>;
  query(config: { text: string; values: unknown[]; rowMode: 'array' }): Promise<{ rows: unknown[][] }>;
}

/**
 * Runs one SQL statement and returns its rows, whatever the statement. (TypeORM's plain `query`
 * returns `[rows, affected]` for UPDATE and DELETE, which would read as two rows.)
 *
 * Outside a transaction the statement goes straight to the data source's `pg` pool: a TypeORM
 * query runner per call (acquire, wrap, release) cost a few percent of a federation List, and
 * its QueryFailedError would carry the statement's parameters, which a log must never see.
 */
export async function queryRows<T = Record<string, unknown>>(
  source: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (source instanceof DataSource) {
    const pool = pgPoolOf(source);
    if (pool) return (await pool.query(sql, params)).rows as T[];
    const runner = source.createQueryRunner();
    try {
      return (await runner.query(sql, params, true)).records as T[];
    } finally {
      await runner.release();
    }
  }
  if (!source.queryRunner) throw new Error('queryRows needs a transactional EntityManager or a DataSource');
  return (await source.queryRunner.query(sql, params, true)).records as T[];
}

/**
 * Runs one SQL statement outside a transaction and returns its rows as arrays, in the order of its
 * select list. For hot reads: an array row is filled by position, where an object row is copied
 * from a template and then written key by key, which costs a List of 100 rows measurably more.
 */
export async function queryArrays(
  source: DataSource,
  sql: string,
  params: unknown[] = [],
): Promise<unknown[][]> {
  const pool = pgPoolOf(source);
  if (!pool) {
    throw new Error(
      `queryArrays needs a connected postgres DataSource (this one is ${source.isInitialized ? source.options.type : 'not initialized'})`,
    );
  }
  return (await pool.query({ text: sql, values: params, rowMode: 'array' })).rows;
}

/** The `pg` pool behind a connected postgres data source (TypeORM's PostgresDriver keeps it as `master`). */
function pgPoolOf(source: DataSource): PgPool | undefined {
  if (!source.isInitialized || source.options.type !== 'postgres') return undefined;
  const master = (source.driver as { master?: Partial<PgPool> }).master;
  return typeof master?.query === 'function' ? (master as PgPool) : undefined;
}
