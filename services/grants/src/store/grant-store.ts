import { queryRows } from '@mosaic/platform';
import type { DataSource, EntityManager } from 'typeorm';
import type { GrantStatusName, NormalizedScope } from '../domain/index.js';
import { type GrantRecord, grantFromRow } from './grant-record.js';

type Runner = DataSource | EntityManager;

/**
 * The grants table. Every status change is one conditional UPDATE (… WHERE status = ANY(from)), so
 * two admins or replicas racing cannot both win; nothing is checked first and written after.
 */
export class GrantStore {
  constructor(private readonly dataSource: DataSource) {}

  async insert(grant: {
    id: string;
    subjectUserId: string;
    requestingServer: string;
    requestingCaFingerprint: string | null;
    scope: NormalizedScope;
    rateLimitRpm: number;
    notes: string;
  }): Promise<GrantRecord> {
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO grants (id, subject_user_id, requesting_server, requesting_ca_fingerprint, scope, rate_limit_rpm,
         status, notes)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING *`,
      [
        grant.id,
        grant.subjectUserId,
        grant.requestingServer,
        grant.requestingCaFingerprint,
        JSON.stringify(grant.scope),
        grant.rateLimitRpm,
        grant.notes,
      ],
    );
    return grantFromRow(rows[0]!);
  }

  /**
   * Moves last_used_at forward to each given time (never back: reports from several gateway
   * replicas arrive in any order). Answers how many grants moved. Not a grant change: no
   * generation is bumped, so the gateways' grant caches stay warm.
   */
  async recordUsage(usages: Array<{ grantId: string; lastUsedAt: Date }>): Promise<number> {
    if (usages.length === 0) return 0;
    const rows = await queryRows(
      this.dataSource,
      `UPDATE grants g SET last_used_at = u.used_at
         FROM (SELECT id, max(used_at) AS used_at
                 FROM unnest($1::uuid[], $2::timestamptz[]) AS t(id, used_at) GROUP BY id) u
        WHERE g.id = u.id AND (g.last_used_at IS NULL OR g.last_used_at < u.used_at)
        RETURNING g.id`,
      [usages.map((usage) => usage.grantId), usages.map((usage) => usage.lastUsedAt)],
    );
    return rows.length;
  }

  async get(id: string, runner: Runner = this.dataSource): Promise<GrantRecord | null> {
    const rows = await queryRows(runner, 'SELECT * FROM grants WHERE id = $1', [id]);
    return rows[0] ? grantFromRow(rows[0]) : null;
  }

  async list(options: {
    status?: GrantStatusName;
    subjectUserId?: string;
    requestingServer?: string;
    limit: number;
    after?: { createdAt: Date; id: string };
  }): Promise<GrantRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      let clause = sql;
      for (const value of values) {
        params.push(value);
        clause = clause.replace('?', `$${params.length}`);
      }
      where.push(clause);
    };
    if (options.status) add('status = ?', options.status);
    if (options.subjectUserId) add('subject_user_id = ?', options.subjectUserId);
    if (options.requestingServer) add('lower(requesting_server) = lower(?)', options.requestingServer);
    if (options.after) add('(created_at, id) > (?, ?)', options.after.createdAt, options.after.id);
    params.push(options.limit);
    const rows = await queryRows(
      this.dataSource,
      `SELECT * FROM grants ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, id LIMIT $${params.length}`,
      params,
    );
    return rows.map(grantFromRow);
  }

  /**
   * Moves a grant from one of `from` to `to` and applies `set` (column → value) in the same
   * statement. Returns null when the grant was not in one of `from` (the caller explains why).
   */
  async transition(
    id: string,
    from: readonly GrantStatusName[],
    to: GrantStatusName,
    set: Record<string, unknown> = {},
    runner: Runner = this.dataSource,
  ): Promise<GrantRecord | null> {
    const params: unknown[] = [id, [...from], to];
    const assignments = Object.entries(set).map(([column, value]) => {
      params.push(value);
      return `${column} = $${params.length}`;
    });
    const rows = await queryRows(
      runner,
      `UPDATE grants SET status = $3, updated_at = now()${assignments.length ? `, ${assignments.join(', ')}` : ''}
       WHERE id = $1 AND status = ANY($2) RETURNING *`,
      params,
    );
    return rows[0] ? grantFromRow(rows[0]) : null;
  }

  /** Changes scope, rate limit or notes of a grant that is not revoked. */
  async update(
    id: string,
    patch: { scope?: NormalizedScope; rateLimitRpm?: number; notes?: string },
  ): Promise<GrantRecord | null> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE grants SET
         scope = COALESCE($2::jsonb, scope),
         rate_limit_rpm = COALESCE($3, rate_limit_rpm),
         notes = COALESCE($4, notes),
         updated_at = now()
       WHERE id = $1 AND status <> 'revoked' RETURNING *`,
      [id, patch.scope ? JSON.stringify(patch.scope) : null, patch.rateLimitRpm ?? null, patch.notes ?? null],
    );
    return rows[0] ? grantFromRow(rows[0]) : null;
  }

  /** Revokes every grant of a subject that is not revoked yet, in one statement. */
  async revokeAllForSubject(subjectUserId: string, reason: string): Promise<GrantRecord[]> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE grants SET status = 'revoked', revoked_at = now(), revoke_reason = $2, updated_at = now()
       WHERE subject_user_id = $1 AND status <> 'revoked' RETURNING *`,
      [subjectUserId, reason],
    );
    return rows.map(grantFromRow);
  }

  /** Every grant of a subject, whatever its status. */
  async allIdsForSubject(subjectUserId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      'SELECT id FROM grants WHERE subject_user_id = $1',
      [subjectUserId],
    );
    return rows.map((row) => row.id);
  }
}
