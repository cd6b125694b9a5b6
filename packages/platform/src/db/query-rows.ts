import { DataSource, type EntityManager } from 'typeorm';

/**
 * Runs one SQL statement and returns its rows, whatever the statement. (TypeORM's plain `query`
 * returns `[rows, affected]` for UPDATE and DELETE, which would read as two rows.)
 */
export async function queryRows<T = Record<string, unknown>>(
  source: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (source instanceof DataSource) {
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
