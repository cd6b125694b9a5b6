import type { DataSource } from 'typeorm';
import { queryRows } from '../db/query-rows.js';
import { reseal, Sealer } from './sealer.js';

export interface SealedColumn {
  /** Table in the calling service's own schema (on its search_path). */
  table: string;
  /** Column holding the sealed bytes; the row id is the additional authenticated data. */
  column: string;
  /** Sealing purpose the values were sealed for. */
  purpose: string;
}

const identifier = /^[a-z_][a-z0-9_]*$/;

/**
 * Re-seals every value of one sealed column from one master secret to another, in one
 * transaction, rows locked. Values already under the new secret are skipped (a re-run is safe);
 * `dryRun` opens and re-seals everything without writing, to prove the current secret first.
 */
export async function resealColumn(
  dataSource: DataSource,
  target: SealedColumn,
  secrets: { from: Sealer; to: Sealer },
  options: { dryRun?: boolean } = {},
): Promise<{ resealed: number; skipped: number }> {
  if (!identifier.test(target.table) || !identifier.test(target.column)) {
    throw new Error(`invalid sealed column ${target.table}.${target.column}`);
  }
  return dataSource.transaction(async (manager) => {
    const rows = await queryRows<{ id: string; sealed: Buffer }>(
      manager,
      `SELECT id, ${target.column} AS sealed FROM ${target.table} WHERE ${target.column} IS NOT NULL FOR UPDATE`,
    );
    let resealed = 0;
    for (const row of rows) {
      if (Sealer.keyIdOf(row.sealed) === secrets.to.keyId) continue;
      const value = reseal(row.sealed, secrets.from, secrets.to, { purpose: target.purpose, aad: row.id });
      if (!options.dryRun) {
        await queryRows(manager, `UPDATE ${target.table} SET ${target.column} = $2 WHERE id = $1`, [
          row.id,
          value,
        ]);
      }
      resealed += 1;
    }
    return { resealed, skipped: rows.length - resealed };
  });
}
