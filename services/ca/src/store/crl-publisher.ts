import { type Logger, type PubSub, queryRows } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { buildCrl, type CaAuthority, toPem } from '../domain/index.js';

export const crlChangedChannel = 'ca:crl-changed';

export interface PublishedCrl {
  der: Buffer;
  pem: string;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  revokedCount: number;
}

const validityMs = 24 * 60 * 60 * 1000;
/** A CRL is rebuilt once less than this is left of its validity, even when nothing changed. */
const refreshBeforeMs = 12 * 60 * 60 * 1000;

/**
 * Builds, stores and announces the CA's CRL. Rebuilds are coalesced: while one runs, any number of
 * further requests cause exactly one more. Expired serials are left out (pruned) at every build.
 */
export class CrlPublisher {
  private running: Promise<PublishedCrl> | undefined;
  /** The one build that starts after the running one; every request made meanwhile shares it. */
  private queued: Promise<PublishedCrl> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly authority: CaAuthority,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  /**
   * The published CRL, rebuilt first when it nears nextUpdate or when a revocation is newer than
   * it (a revocation whose rebuild failed is never left out for long).
   */
  async current(): Promise<PublishedCrl> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT s.*, EXISTS (SELECT 1 FROM certificates c WHERE c.authority_id = s.authority_id
                             AND c.revoked_at >= s.this_update) AS stale
       FROM crl_state s WHERE s.authority_id = $1`,
      [this.authority.id],
    );
    const row = rows[0];
    const fresh = row && !row.stale && (row.next_update as Date).getTime() - Date.now() > refreshBeforeMs;
    return fresh ? this.fromRow(row) : this.rebuild();
  }

  /**
   * Requests a rebuild; resolves with a CRL that includes every revocation made before the call.
   * Coalesced: while one build runs, all further requests share the single build queued after it.
   */
  rebuild(): Promise<PublishedCrl> {
    if (!this.running) {
      this.running = this.build().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.rebuild();
      });
    return this.queued;
  }

  private async build(): Promise<PublishedCrl> {
    const published = await this.dataSource.transaction(async (manager) => {
      // Replicas of the CA serialise here, so CRL numbers only ever grow, also on the first build.
      await queryRows(manager, "SELECT pg_advisory_xact_lock(hashtext('mosaic:ca:crl:' || $1))", [
        this.authority.id,
      ]);
      const state = await queryRows(
        manager,
        'SELECT crl_number FROM crl_state WHERE authority_id = $1 FOR UPDATE',
        [this.authority.id],
      );
      const crlNumber = BigInt((state[0]?.crl_number as string | undefined) ?? 0) + 1n;
      const revoked: Array<{ serial: string; revoked_at: Date; revoke_reason: number | null }> =
        await queryRows(
          manager,
          `SELECT serial, revoked_at, revoke_reason FROM certificates
         WHERE authority_id = $1 AND revoked_at IS NOT NULL AND not_after > now() ORDER BY revoked_at, serial`,
          [this.authority.id],
        );
      const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
      const nextUpdate = new Date(thisUpdate.getTime() + validityMs);
      const crl = buildCrl(this.authority, {
        crlNumber,
        thisUpdate,
        nextUpdate,
        revoked: revoked.map((entry) => ({
          serialHex: entry.serial,
          revokedAt: entry.revoked_at,
          reasonCode: Number(entry.revoke_reason ?? 0),
        })),
      });
      await queryRows(
        manager,
        `INSERT INTO crl_state (authority_id, crl_number, this_update, next_update, crl_der, revoked_count)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (authority_id) DO UPDATE
           SET crl_number = $2, this_update = $3, next_update = $4, crl_der = $5, revoked_count = $6`,
        [this.authority.id, crlNumber.toString(), thisUpdate, nextUpdate, crl.der, revoked.length],
      );
      return { ...crl, crlNumber, thisUpdate, nextUpdate, revokedCount: revoked.length };
    });
    this.logger.info(
      { crlNumber: published.crlNumber.toString(), revoked: published.revokedCount },
      'CRL published',
    );
    await this.pubsub.publish(crlChangedChannel, published.crlNumber.toString()).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'CRL change not announced; replicas pick it up on their next refresh');
    });
    return published;
  }

  private fromRow(row: Record<string, unknown>): PublishedCrl {
    const der = row.crl_der as Buffer;
    return {
      der,
      pem: toPem('X509 CRL', der),
      crlNumber: BigInt(row.crl_number as string),
      thisUpdate: row.this_update as Date,
      nextUpdate: row.next_update as Date,
      revokedCount: row.revoked_count as number,
    };
  }
}
