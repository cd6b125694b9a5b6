import { resealColumn, type Sealer } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { peerKeyPurpose } from './enroll-with-peer.js';

/** Re-seals every peer client key from one master secret to another (`mosaic admin reseal`). */
export function resealPeerKeys(
  dataSource: DataSource,
  from: Sealer,
  to: Sealer,
  options: { dryRun?: boolean } = {},
): Promise<{ resealed: number; skipped: number }> {
  return resealColumn(
    dataSource,
    { table: 'peers', column: 'client_key_sealed', purpose: peerKeyPurpose },
    { from, to },
    options,
  );
}
