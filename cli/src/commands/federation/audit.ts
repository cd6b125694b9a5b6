import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AuditOutcome, AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../admin-command.js';
import { exitCodes } from '../../base-command.js';
import { renderTable } from '../../render/table.js';

const outcomes = {
  ok: AuditOutcome.OK,
  denied: AuditOutcome.DENIED,
  rate_limited: AuditOutcome.RATE_LIMITED,
  error: AuditOutcome.ERROR,
};

export interface AuditEventJson {
  id: string;
  occurredAt: string | null;
  grantId: string | null;
  verb: string;
  resource: string | null;
  outcome: string;
  peer: string;
  latencyMs: number;
  bytesOut: number;
  queryHash: string;
  actor: string;
  reason: string;
  traceId: string;
  cold: boolean;
}

export default class FederationAudit extends AdminCommand<typeof FederationAudit> {
  static override summary =
    'Read the federation audit log of this gateway: every federated request and lifecycle event.';
  static override examples = [
    '<%= config.bin %> federation audit --grant <grant-id> --since 1h',
    '<%= config.bin %> federation audit --outcome denied --outcome rate_limited --json',
  ];
  static override flags = {
    grant: Flags.string({ description: 'Only events of this grant (UUID).' }),
    since: Flags.string({
      description: 'From this time: ISO 8601 (2026-11-22T10:00:00Z) or a duration ago (15m, 2h, 7d).',
    }),
    outcome: Flags.string({
      description: 'Only these outcomes.',
      options: Object.keys(outcomes),
      multiple: true,
    }),
    'include-cold': Flags.boolean({
      description: 'Also search rows moved to cold storage (older than 90 days).',
    }),
    limit: Flags.integer({
      description: 'At most this many events, newest first.',
      default: 100,
      min: 1,
      max: 10000,
    }),
  };

  async run(): Promise<{ version: 1; events: AuditEventJson[] }> {
    const since = this.flags.since ? parseSince(this.flags.since) : undefined;
    if (since === null) {
      this.error(`--since "${this.flags.since}" is neither an ISO time nor a duration like 15m, 2h or 7d.`, {
        exit: exitCodes.usage,
      });
    }
    const client = this.adminClient();
    const events: AuditEventJson[] = [];
    let pageToken = '';
    do {
      const page = await client.queryAuditEvents({
        filter: {
          ...(this.flags.grant ? { grantId: this.flags.grant } : {}),
          outcomes: (this.flags.outcome ?? []).map((name) => outcomes[name as keyof typeof outcomes]),
          ...(since ? { since: timestampFromDate(since) } : {}),
        },
        includeCold: this.flags['include-cold'],
        pageSize: Math.min(this.flags.limit - events.length, 1000),
        pageToken,
      });
      for (const event of page.events) {
        events.push({
          id: event.id,
          occurredAt: event.occurredAt ? timestampDate(event.occurredAt).toISOString() : null,
          grantId: event.grantId || null,
          verb: (AuditVerb[event.verb] ?? 'UNKNOWN').toLowerCase(),
          resource:
            event.resource === Resource.UNSPECIFIED ? null : (Resource[event.resource] ?? '').toLowerCase(),
          outcome: (AuditOutcome[event.outcome] ?? 'UNKNOWN').toLowerCase(),
          peer: event.peer,
          latencyMs: event.latencyMs,
          bytesOut: Number(event.bytesOut),
          queryHash: event.queryHash,
          actor: event.actor,
          reason: event.reason,
          traceId: event.traceId,
          cold: event.cold,
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken && events.length < this.flags.limit);
    if (!this.jsonEnabled()) {
      this.log(
        events.length === 0
          ? 'No audit events match.'
          : renderTable(
              ['TIME', 'GRANT', 'VERB', 'RESOURCE', 'OUTCOME', 'PEER', 'MS', 'DETAIL'],
              events.map((event) => [
                event.occurredAt?.replace('T', ' ').slice(0, 19) ?? '-',
                event.grantId ?? '-',
                event.verb,
                event.resource ?? '-',
                event.outcome,
                event.peer || '-',
                String(event.latencyMs),
                (event.reason || event.actor || '').slice(0, 60),
              ]),
            ),
      );
    }
    return { version: 1, events };
  }
}

function parseSince(value: string): Date | null {
  const relative = /^(\d+)([smhd])$/.exec(value.trim());
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(relative[1]) * unit);
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
