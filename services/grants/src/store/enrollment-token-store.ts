import { randomUUID } from 'node:crypto';
import { queryRows } from '@mosaic/platform';
import type { DataSource, EntityManager } from 'typeorm';

export type TokenRefusal = 'unknown' | 'consumed' | 'expired' | 'in_use';

/**
 * Enrollment tokens, stored as SHA-256 hashes only. Redeeming is claim → (CSR checked, certificate
 * issued elsewhere) → consume; a failure in between releases the claim, so the token stays usable.
 * Each step is one conditional UPDATE: two concurrent redemptions cannot both claim.
 */
export class EnrollmentTokenStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores a new token for the grant and, in the same transaction, retires every earlier unused
   * one: a re-issued URL replaces a leaked one. A redemption holding a claim finishes or fails on
   * its own; its token can no longer be claimed again.
   */
  async replace(hash: Buffer, grantId: string, expiresAt: Date): Promise<{ retired: number }> {
    return this.dataSource.transaction(async (manager) => {
      const retired = await queryRows(
        manager,
        `UPDATE enrollment_tokens SET consumed_at = now()
         WHERE grant_id = $1 AND consumed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
         RETURNING grant_id`,
        [grantId],
      );
      await queryRows(
        manager,
        'INSERT INTO enrollment_tokens (token_hash, grant_id, expires_at) VALUES ($1, $2, $3)',
        [hash, grantId, expiresAt],
      );
      return { retired: retired.length };
    });
  }

  /** Claims the token for `leaseMs`; returns why not when it cannot. */
  async claim(
    hash: Buffer,
    grantId: string,
    leaseMs: number,
  ): Promise<{ ok: true; claimId: string } | { ok: false; why: TokenRefusal }> {
    // The claim carries an id of its own: only its holder can consume or release it, so a slow
    // redemption whose lease ran out can never touch the claim of the next one.
    const claimId = randomUUID();
    const claimed = await queryRows(
      this.dataSource,
      `UPDATE enrollment_tokens SET claimed_until = now() + ($3::int * interval '1 millisecond'), claim_id = $4
       WHERE token_hash = $1 AND grant_id = $2 AND consumed_at IS NULL AND expires_at > now()
         AND (claimed_until IS NULL OR claimed_until < now())
       RETURNING grant_id`,
      [hash, grantId, leaseMs, claimId],
    );
    if (claimed.length === 1) return { ok: true, claimId };
    // Only to tell the caller why; the decision was the UPDATE above.
    const rows: Array<{ consumed: boolean; expired: boolean }> = await queryRows(
      this.dataSource,
      `SELECT consumed_at IS NOT NULL AS consumed, expires_at <= now() AS expired
       FROM enrollment_tokens WHERE token_hash = $1 AND grant_id = $2`,
      [hash, grantId],
    );
    const row = rows[0];
    return {
      ok: false,
      why: !row ? 'unknown' : row.consumed ? 'consumed' : row.expired ? 'expired' : 'in_use',
    };
  }

  async release(hash: Buffer, claimId: string): Promise<void> {
    await queryRows(
      this.dataSource,
      `UPDATE enrollment_tokens SET claimed_until = NULL, claim_id = NULL
       WHERE token_hash = $1 AND claim_id = $2 AND consumed_at IS NULL`,
      [hash, claimId],
    );
  }

  /** Consumes a claimed token inside the caller's transaction; false if it was not ours to consume. */
  async consume(hash: Buffer, claimId: string, manager: EntityManager): Promise<boolean> {
    const rows = await queryRows(
      manager,
      `UPDATE enrollment_tokens SET consumed_at = now(), claimed_until = NULL
       WHERE token_hash = $1 AND claim_id = $2 AND consumed_at IS NULL AND claimed_until > now()
       RETURNING grant_id`,
      [hash, claimId],
    );
    return rows.length === 1;
  }
}
