import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  type AuditEvent,
  type AuditEventSchema,
  AuditOutcome,
  type AuditService,
  AuditVerb,
  type QueryEventsRequest,
} from '@mosaic/contracts/v1/audit_pb';
import type { Resource } from '@mosaic/contracts/v1/common_pb';
import { decodeCursor, encodeCursor, MosaicError, requireUuid } from '@mosaic/platform';
import type { AuditEventStore, AuditRow } from '../store/audit-event-store.js';

const maxPageSize = 1000;
const defaultPageSize = 100;

/** The audit log's API: idempotent recording by event id, and queries over hot (and cold) rows. */
export class AuditApi implements ServiceImpl<typeof AuditService> {
  constructor(private readonly store: AuditEventStore) {}

  async recordEvent(request: { event?: AuditEvent }) {
    if (!request.event) throw missing('event');
    const { created } = await this.store.insert([toRow(request.event)]);
    return { created: created === 1 };
  }

  async recordEventBatch(request: { events: AuditEvent[] }) {
    if (request.events.length > maxPageSize) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: `a batch holds at most ${maxPageSize} events, this one ${request.events.length}.`,
        remedy: 'Split the batch.',
      });
    }
    const { created } = await this.store.insert(request.events.map(toRow));
    return { createdCount: created, duplicateCount: request.events.length - created };
  }

  async queryEvents(request: QueryEventsRequest) {
    const limit = Math.min(request.pageSize || defaultPageSize, maxPageSize);
    const cursor = request.pageToken ? decodeCursor(request.pageToken, ['t', 'id']) : undefined;
    const filter = request.filter;
    const rows = await this.store.query({
      filter: {
        ...(filter?.grantId ? { grantId: requireUuid(filter.grantId, 'grant_id') } : {}),
        outcomes: filter?.outcomes ?? [],
        verbs: filter?.verbs ?? [],
        resources: filter?.resources ?? [],
        ...(filter?.peer ? { peer: filter.peer } : {}),
        ...(filter?.traceId ? { traceId: filter.traceId } : {}),
        ...(filter?.since ? { since: timestampDate(filter.since) } : {}),
        ...(filter?.until ? { until: timestampDate(filter.until) } : {}),
      },
      includeCold: request.includeCold,
      limit: limit + 1,
      ...(cursor ? { after: { occurredAt: new Date(cursor.t!), id: cursor.id! } } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      events: page.map(fromRow),
      nextPageToken:
        rows.length > limit && last ? encodeCursor({ t: last.occurredAt.toISOString(), id: last.id }) : '',
    };
  }
}

function missing(field: string): MosaicError {
  return new MosaicError({
    kind: 'invalid_argument',
    message: `${field} is required.`,
    remedy: `Set ${field}.`,
  });
}

function toRow(event: AuditEvent): Omit<AuditRow, 'recordedAt' | 'cold'> {
  if (event.verb === AuditVerb.UNSPECIFIED) throw missing('event.verb');
  if (event.outcome === AuditOutcome.UNSPECIFIED) throw missing('event.outcome');
  if (!event.occurredAt) throw missing('event.occurred_at');
  return {
    id: requireUuid(event.id, 'event.id'),
    grantId: event.grantId ? requireUuid(event.grantId, 'event.grant_id') : null,
    occurredAt: timestampDate(event.occurredAt),
    verb: event.verb,
    resource: event.resource,
    queryHash: event.queryHash,
    outcome: event.outcome,
    bytesOut: Number(event.bytesOut),
    latencyMs: event.latencyMs,
    peer: event.peer,
    traceId: event.traceId,
    actor: event.actor,
    reason: event.reason,
  };
}

function fromRow(row: AuditRow): MessageInitShape<typeof AuditEventSchema> {
  return {
    id: row.id,
    grantId: row.grantId ?? '',
    occurredAt: timestampFromDate(row.occurredAt),
    verb: row.verb as AuditVerb,
    resource: row.resource as Resource,
    queryHash: row.queryHash,
    outcome: row.outcome as AuditOutcome,
    bytesOut: BigInt(row.bytesOut),
    latencyMs: row.latencyMs,
    peer: row.peer,
    traceId: row.traceId,
    actor: row.actor,
    reason: row.reason,
    recordedAt: timestampFromDate(row.recordedAt),
    cold: row.cold,
  };
}
