import { queryRows } from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import type { IssuedCertificateData } from '../domain/index.js';

export interface CertificateRow {
  serialHex: string;
  fingerprint: string;
  authorityId: string;
  kind: 'server' | 'client';
  grantId: string | null;
  subjectUserId: string | null;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  certificatePem: string;
  revokedAt: Date | null;
  revokeReason: number | null;
  createdAt: Date;
}

function fromRow(row: Record<string, unknown>): CertificateRow {
  return {
    serialHex: row.serial as string,
    fingerprint: row.fingerprint_sha256 as string,
    authorityId: row.authority_id as string,
    kind: row.kind as 'server' | 'client',
    grantId: (row.grant_id as string | null) ?? null,
    subjectUserId: (row.subject_user_id as string | null) ?? null,
    subject: row.subject as string,
    notBefore: row.not_before as Date,
    notAfter: row.not_after as Date,
    certificatePem: row.certificate_pem as string,
    revokedAt: (row.revoked_at as Date | null) ?? null,
    revokeReason:
      row.revoke_reason === null || row.revoke_reason === undefined ? null : Number(row.revoke_reason),
    createdAt: row.created_at as Date,
  };
}

/** The registry of every certificate the CA issued, and their revocations. */
export class CertificateStore {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    issued: IssuedCertificateData,
    meta: { authorityId: string; kind: 'server' | 'client'; grantId?: string; subjectUserId?: string },
  ): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO certificates (serial, fingerprint_sha256, authority_id, kind, grant_id, subject_user_id, subject,
         not_before, not_after, certificate_pem)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        issued.serialHex,
        issued.fingerprint,
        meta.authorityId,
        meta.kind,
        meta.grantId ?? null,
        meta.subjectUserId ?? null,
        issued.subject,
        issued.notBefore,
        issued.notAfter,
        issued.certificatePem,
      ],
    );
  }

  /** Marks certificates revoked (by serial or by grant); returns the serials newly revoked. */
  async revoke(options: {
    serials: string[];
    grantId: string | null;
    reasonCode: number;
  }): Promise<string[]> {
    const rows: Array<{ serial: string }> = await queryRows(
      this.dataSource,
      `UPDATE certificates SET revoked_at = now(), revoke_reason = $3
       WHERE revoked_at IS NULL AND (serial = ANY($1) OR ($2::uuid IS NOT NULL AND grant_id = $2::uuid))
       RETURNING serial`,
      [options.serials, options.grantId, String(options.reasonCode)],
    );
    return rows.map((row) => row.serial);
  }

  async existingSerials(serials: string[]): Promise<Set<string>> {
    const rows: Array<{ serial: string }> = await queryRows(
      this.dataSource,
      'SELECT serial FROM certificates WHERE serial = ANY($1)',
      [serials],
    );
    return new Set(rows.map((row) => row.serial));
  }

  /** Revoked certificates that have not expired yet: the CRL's entries (expired ones are pruned). */
  async revokedUnexpired(authorityId: string): Promise<CertificateRow[]> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT * FROM certificates WHERE authority_id = $1 AND revoked_at IS NOT NULL AND not_after > now()
       ORDER BY revoked_at, serial`,
      [authorityId],
    );
    return rows.map(fromRow);
  }

  async list(options: {
    grantId?: string;
    kind?: 'server' | 'client';
    limit: number;
    after?: { createdAt: Date; serial: string };
  }): Promise<CertificateRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.grantId) {
      params.push(options.grantId);
      where.push(`grant_id = $${params.length}`);
    }
    if (options.kind) {
      params.push(options.kind);
      where.push(`kind = $${params.length}`);
    }
    if (options.after) {
      params.push(options.after.createdAt, options.after.serial);
      where.push(`(created_at, serial) > ($${params.length - 1}, $${params.length})`);
    }
    params.push(options.limit);
    const rows = await queryRows(
      this.dataSource,
      `SELECT * FROM certificates ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, serial LIMIT $${params.length}`,
      params,
    );
    return rows.map(fromRow);
  }
}
