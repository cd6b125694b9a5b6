import { createHash } from 'node:crypto';
import { type DataSource, MigrationExecutor } from 'typeorm';

/** Stable 63-bit advisory-lock key per schema, so replicas of one service contend for the same lock. */
export function migrationLockKey(schema: string): string {
  const digest = createHash('sha256').update(`mosaic:migrations:${schema}`).digest();
  return digest.readBigInt64BE(0).toString();
}

export interface MigrationResult {
  applied: string[];
}

/**
 * Applies pending migrations under a session-level advisory lock held on the same connection that
 * runs them, so two replicas starting together apply each migration exactly once: the second waits,
 * then finds nothing pending.
 */
export async function runMigrations(dataSource: DataSource, schema: string): Promise<MigrationResult> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = migrationLockKey(schema);
  try {
    await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    try {
      // CREATE SCHEMA needs database-level CREATE even with IF NOT EXISTS; the least-privilege roles
      // of production find their schema made by infra/postgres, so only create what is missing.
      const existing = await runner.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (existing.length === 0) await runner.query(`CREATE SCHEMA "${schema}"`);
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      return { applied: applied.map((migration) => migration.name) };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  } finally {
    await runner.release();
  }
}
