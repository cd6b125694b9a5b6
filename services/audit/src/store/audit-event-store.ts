import { queryRows } from '@mosaic/platform';
import type { DataSource } from 'typeorm';

export interface AuditRow {
  id: string;
  grantId: string | null;
  occurredAt: Date;
  verb: number;
  resource: number;
  queryHash: string;
  outcome: number;
  bytesOut: number;
  latencyMs: number;
  peer: string;
  traceId: string;
  actor: string;
  reason: string;
  recordedAt: Date;
  cold: boolean;
}

export interface AuditFilter {
  grantId?: string;
  outcomes?: number[];
  verbs?: number[];
  resources?: number[];
  peer?: string;
  traceId?: string;
  since?: Date;
  until?: Date;
}

const columns = `id, grant_id, occurred_at, verb, resource, query_hash, outcome, bytes_out, latency_ms, peer, trace_id,
  actor, reason, recorded_at`;

/** The audit service's tables: idempotent inserts by event id, keyset-paged queries by time. */
export class AuditEventStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts the events; an id already stored is skipped, so a retried delivery never duplicates. */
  async insert(events: Omit<AuditRow, 'recordedAt' | 'cold'>[]): Promise<{ created: number }> {
    if (events.length === 0) return { created: 0 };
    const values: unknown[] = [];
    const rows = events.map((event, index) => {
      values.push(
        event.id,
        event.grantId,
        event.occurredAt,
        event.verb,
        event.resource,
        event.queryHash,
        event.outcome,
        event.bytesOut,
        event.latencyMs,
        event.peer,
        event.traceId,
        event.actor,
        event.reason,
      );
      const base = index * 13;
      return `(${Array.from({ length: 13 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
    });
    const inserted: Array<{ id: string }> = await queryRows(
      this.dataSource,
      `INSERT INTO events (id, grant_id, occurred_at, verb, resource, query_hash, outcome, bytes_out, latency_ms,
         peer, trace_id, actor, reason)
       VALUES ${rows.join(', ')}
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      values,
    );
    return { created: inserted.length };
  }

  /** Newest first; `after` is the last row of the previous page. */
  async query(options: {
    filter: AuditFilter;
    includeCold: boolean;
    limit: number;
    after?: { occurredAt: Date; id: string };
  }): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    const { filter } = options;
    if (filter.grantId) add('grant_id = ?', filter.grantId);
    if (filter.outcomes?.length) add('outcome = ANY(?)', filter.outcomes);
    if (filter.verbs?.length) add('verb = ANY(?)', filter.verbs);
    if (filter.resources?.length) add('resource = ANY(?)', filter.resources);
    if (filter.peer) add('peer = ?', filter.peer);
    if (filter.traceId) add('trace_id = ?', filter.traceId);
    if (filter.since) add('occurred_at >= ?', filter.since);
    if (filter.until) add('occurred_at < ?', filter.until);
    if (options.after) {
      params.push(options.after.occurredAt, options.after.id);
      where.push(`(occurred_at, id) < ($${params.length - 1}, $${params.length})`);
    }
    const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const hot = `SELECT ${columns}, false AS cold FROM events ${condition}`;
    const source = options.includeCold
      ? `${hot} UNION ALL SELECT ${columns}, true AS cold FROM events_cold ${condition}`
      : hot;
    params.push(options.limit);
    const rows: Array<Record<string, unknown>> = await queryRows(
      this.dataSource,
      `SELECT * FROM (${source}) AS e ORDER BY occurred_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({
      id: row.id as string,
      grantId: (row.grant_id as string | null) ?? null,
      occurredAt: row.occurred_at as Date,
      verb: row.verb as number,
      resource: row.resource as number,
      queryHash: row.query_hash as string,
      outcome: row.outcome as number,
      bytesOut: Number(row.bytes_out),
      latencyMs: row.latency_ms as number,
      peer: row.peer as string,
      traceId: row.trace_id as string,
      actor: row.actor as string,
      reason: row.reason as string,
      recordedAt: row.recorded_at as Date,
      cold: row.cold as boolean,
    }));
  }
}
