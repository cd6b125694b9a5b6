/**
 * Scenario 6's client process: paced federation List requests to B over HTTP/2 mTLS with A's
 * certificate (the load generator's `runLoad`, each request with its own `traceparent`), and in
 * the same process a poller that asks B's admin API (`QueryAuditEvents`) every `pollIntervalMs`
 * which of those trace ids are queryable yet. Load and poller share a process so the poller knows,
 * live, which requests are still unseen and asks only for rows since the oldest of them (a few
 * dozen rows per poll, not the whole run), which keeps the poller's own load on B small.
 *
 * After each round's load it waits up to `drainMs` for the last rows, then sweeps every row of the
 * round once more (authoritative): a request answered 200 whose row is absent is lost.
 *
 *   node --conditions=mosaic-source --import tsx bench/scenarios/audit-client.ts '<AuditClientOptions JSON>'
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import type { AuditEvent } from '@mosaic/contracts/v1/audit_pb';
import { bearerClient } from '../../test/support/bearer-client.js';
import { epochMs, type LoadOptions, type LoadResult, runLoad } from '../load/load-generator.js';

export interface AuditClientOptions {
  /** Paced List load against B's federation listener (`traceparent` is forced on). */
  load: LoadOptions;
  rounds: number;
  pauseBetweenRoundsMs: number;
  /** B's admin listener, an admin token for it, and the grant the load runs under. */
  adminUrl: string;
  adminToken: string;
  grantId: string;
  pollIntervalMs: number;
  /** How long after the last answer to wait for rows still unseen before sweeping. */
  drainMs: number;
}

export interface AuditRound {
  round: number;
  load: LoadResult;
  /** Requests sent / answered 200 / answered otherwise (or failed on the wire). */
  sent: number;
  ok: number;
  failed: number;
  /** 200 answers whose row the final sweep did not find. Must be 0. */
  lost: number;
  /** Rows the live poller missed but the sweep found (their lag is taken at the sweep). */
  seenOnlyInSweep: number;
  /** Per 200 request: first poll that returned its row (poll end) − answer received at the client. */
  queryableLagMs: number[];
  /** Per 200 request: the row's recorded_at (B's clock, same machine) − answer received. */
  storedLagMs: number[];
  /** Duration of each poll RPC (all pages). */
  pollRpcMs: number[];
  /**
   * Start-to-start time of consecutive polls: the interval, or the RPC when that takes longer
   * (polls never overlap, so a slow B is not polled harder).
   */
  pollPeriodMs: number[];
  /** Rows returned by each poll (the poller's own load on B). */
  pollRows: number[];
  /** Time from the last answer until every row was seen (or the drain bound). */
  drainWaitMs: number;
  /** Requests per second actually sent (first to last send); below the rate when the client lagged. */
  sentRps: number;
}

/** Rows of the grant with occurred_at ≥ since, all pages, newest first. */
async function auditRowsSince(
  admin: Client<typeof AdminService>,
  grantId: string,
  sinceMs: number,
): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let pageToken = '';
  for (let page = 0; page < 100; page += 1) {
    const response = await admin.queryAuditEvents({
      filter: { grantId, since: timestampFromDate(new Date(sinceMs)) },
      pageSize: 1000,
      pageToken,
    });
    events.push(...response.events);
    if (!response.nextPageToken) return events;
    pageToken = response.nextPageToken;
  }
  throw new Error(`audit: more than 100 pages of rows since ${new Date(sinceMs).toISOString()}`);
}

// occurred_at is stamped on B when the request is answered, so after the client sent it; the
// margin only absorbs the millisecond rounding of the filter's timestamp.
const sinceMarginMs = 50;

async function round(
  options: AuditClientOptions,
  admin: Client<typeof AdminService>,
  index: number,
): Promise<AuditRound> {
  const startedAtMs = epochMs();
  const requests = new Map<string, { sentAtMs: number; doneAtMs?: number; status?: number }>();
  const unseen = new Set<string>();
  const seen = new Map<string, { seenAtMs: number; recordedAtMs: number }>();
  const pollRpcMs: number[] = [];
  const pollPeriodMs: number[] = [];
  const pollRows: number[] = [];
  const note = (events: readonly AuditEvent[], seenAtMs: number) => {
    for (const event of events) {
      if (!unseen.delete(event.traceId)) continue;
      seen.set(event.traceId, {
        seenAtMs,
        recordedAtMs: event.recordedAt ? timestampDate(event.recordedAt).getTime() : Number.NaN,
      });
    }
  };

  let polling = true;
  const poller = (async () => {
    let previous: number | undefined;
    while (polling) {
      const started = performance.now();
      if (unseen.size > 0) {
        if (previous !== undefined) pollPeriodMs.push(started - previous);
        previous = started;
        let oldest = Number.POSITIVE_INFINITY;
        for (const id of unseen) oldest = Math.min(oldest, requests.get(id)!.sentAtMs);
        const events = await auditRowsSince(admin, options.grantId, oldest - sinceMarginMs);
        pollRpcMs.push(performance.now() - started);
        pollRows.push(events.length);
        note(events, epochMs());
      } else {
        previous = undefined; // idle: the next poll starts a new period
      }
      const wait = options.pollIntervalMs - (performance.now() - started);
      if (wait > 0) await sleep(wait);
    }
  })();

  let load: LoadResult;
  let drainWaitMs = 0;
  try {
    load = await runLoad(
      { ...options.load, traceparent: true },
      {
        sent(traceId, sentAtMs) {
          requests.set(traceId, { sentAtMs });
          unseen.add(traceId);
        },
        done(record) {
          const entry = requests.get(record.traceId)!;
          entry.doneAtMs = record.doneAtMs;
          entry.status = record.status;
        },
      },
    );
    const drainFrom = performance.now();
    const answered = () => [...unseen].some((id) => requests.get(id)!.status === 200);
    while (answered() && performance.now() - drainFrom < options.drainMs) await sleep(10);
    drainWaitMs = performance.now() - drainFrom;
  } finally {
    polling = false;
    await poller;
  }

  // The authoritative sweep: every row of the round, whatever the poller saw.
  const sweep = await auditRowsSince(admin, options.grantId, startedAtMs - 1_000);
  const sweptAtMs = epochMs();
  const inSweep = new Set(sweep.map((event) => event.traceId));
  const missedByPoller = unseen.size;
  note(sweep, sweptAtMs);

  const queryableLagMs: number[] = [];
  const storedLagMs: number[] = [];
  let ok = 0;
  let lost = 0;
  for (const [traceId, request] of requests) {
    if (request.status !== 200) continue;
    ok += 1;
    const row = seen.get(traceId);
    if (!row || !inSweep.has(traceId)) {
      lost += 1;
      continue;
    }
    queryableLagMs.push(row.seenAtMs - request.doneAtMs!);
    if (Number.isFinite(row.recordedAtMs)) storedLagMs.push(row.recordedAtMs - request.doneAtMs!);
  }
  const sentAt = [...requests.values()].map((request) => request.sentAtMs);
  const spanMs = Math.max(...sentAt) - Math.min(...sentAt);
  return {
    round: index,
    load,
    sent: requests.size,
    ok,
    failed: requests.size - ok,
    lost,
    seenOnlyInSweep: missedByPoller - unseen.size,
    queryableLagMs,
    storedLagMs,
    pollRpcMs,
    pollPeriodMs,
    pollRows,
    drainWaitMs,
    sentRps: spanMs > 0 ? (requests.size - 1) / (spanMs / 1000) : 0,
  };
}

async function main(options: AuditClientOptions): Promise<AuditRound[]> {
  const admin = bearerClient(AdminService, options.adminUrl, options.adminToken);
  const rounds: AuditRound[] = [];
  for (let index = 1; index <= options.rounds; index += 1) {
    rounds.push(await round(options, admin, index));
    if (index < options.rounds) await sleep(options.pauseBetweenRoundsMs);
  }
  return rounds;
}

main(JSON.parse(process.argv[2] ?? '{}') as AuditClientOptions).then(
  (rounds) => {
    process.stdout.write(`${JSON.stringify(rounds)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(
      `audit client failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
