import { randomUUID } from 'node:crypto';
import { queryRows, resealColumn, type Sealer } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { type CaAuthority, createRootAuthority, loadAuthority } from '../domain/index.js';

const sealPurpose = 'ca-key';

/** CA authorities with their keys sealed under the master secret; the key is unsealed only in memory. */
export class AuthorityStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sealer: Sealer,
  ) {}

  /**
   * The active authority, created on first start. Replicas starting together serialise on a
   * transaction-level advisory lock, so exactly one root is ever created.
   */
  async ensureActive(commonName: string): Promise<{ authority: CaAuthority; created: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      await queryRows(manager, "SELECT pg_advisory_xact_lock(hashtext('mosaic:ca:authority'))");
      const rows = await queryRows(
        manager,
        "SELECT * FROM authorities WHERE state = 'active' ORDER BY sequence DESC LIMIT 1",
      );
      if (rows[0]) return { authority: this.unseal(rows[0]), created: false };
      const root = createRootAuthority({ commonName, lifetimeDays: 3650 });
      const id = randomUUID();
      const sealed = this.sealer.seal(Buffer.from(root.privateKeyPem), { purpose: sealPurpose, aad: id });
      await queryRows(
        manager,
        `INSERT INTO authorities (id, sequence, certificate_pem, fingerprint_sha256, key_sealed, state, not_after)
         VALUES ($1, COALESCE((SELECT max(sequence) FROM authorities), 0) + 1, $2, $3, $4, 'active', $5)`,
        [id, root.certificatePem, root.fingerprint, sealed, root.notAfter],
      );
      return {
        authority: loadAuthority({
          id,
          certificatePem: root.certificatePem,
          privateKeyPem: root.privateKeyPem,
        }),
        created: true,
      };
    });
  }

  /** Every root peers should trust (active and next), with the bundle's sequence number. */
  async bundle(): Promise<{
    sequence: number;
    roots: Array<{ certificatePem: string; fingerprint: string; state: string; notAfter: Date }>;
  }> {
    const rows: Array<Record<string, unknown>> = await queryRows(
      this.dataSource,
      `SELECT certificate_pem, fingerprint_sha256, state, not_after, sequence FROM authorities
       WHERE state IN ('next', 'active') ORDER BY sequence`,
    );
    return {
      sequence: Math.max(0, ...rows.map((row) => row.sequence as number)),
      roots: rows.map((row) => ({
        certificatePem: row.certificate_pem as string,
        fingerprint: row.fingerprint_sha256 as string,
        state: row.state as string,
        notAfter: row.not_after as Date,
      })),
    };
  }

  private unseal(row: Record<string, unknown>): CaAuthority {
    const id = row.id as string;
    const key = this.sealer.unseal(row.key_sealed as Buffer, { purpose: sealPurpose, aad: id });
    return loadAuthority({
      id,
      certificatePem: row.certificate_pem as string,
      privateKeyPem: key.toString(),
    });
  }

  /** Re-seals every authority key from one master secret to another (`mosaic admin reseal`). */
  static reseal(
    dataSource: DataSource,
    from: Sealer,
    to: Sealer,
    options: { dryRun?: boolean } = {},
  ): Promise<{ resealed: number; skipped: number }> {
    return resealColumn(
      dataSource,
      { table: 'authorities', column: 'key_sealed', purpose: sealPurpose },
      { from, to },
      options,
    );
  }
}
