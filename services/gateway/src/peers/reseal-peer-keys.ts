import { queryRows, reseal, Sealer } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { peerKeyPurpose } from './enroll-with-peer.js';

/**
 * Re-seals every peer client key from one master secret to another (`mosaic admin reseal`), in one
 * transaction; keys already under the new secret are left alone, so a re-run is safe.
 */
export async function resealPeerKeys(
  dataSource: DataSource,
  from: Sealer,
  to: Sealer,
  options: { dryRun?: boolean } = {},
): Promise<{ resealed: number; skipped: number }> {
  return dataSource.transaction(async (manager) => {
    const rows = await queryRows<{ id: string; client_key_sealed: Buffer }>(
      manager,
      'SELECT id, client_key_sealed FROM peers WHERE client_key_sealed IS NOT NULL FOR UPDATE',
    );
    let resealed = 0;
    for (const row of rows) {
      if (Sealer.keyIdOf(row.client_key_sealed) === to.keyId) continue;
      const context = { purpose: peerKeyPurpose, aad: row.id };
      const resealedKey = reseal(row.client_key_sealed, from, to, context);
      if (!options.dryRun) {
        await queryRows(manager, 'UPDATE peers SET client_key_sealed = $2 WHERE id = $1', [
          row.id,
          resealedKey,
        ]);
      }
      resealed += 1;
    }
    return { resealed, skipped: rows.length - resealed };
  });
}
