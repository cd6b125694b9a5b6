/**
 * Scenario 5, fan-out: A's agent-facing `QueryService.Query` (admin listener, user token), LIST of
 * 100 tasks, with `source=all` against `source=local` alone and `source=federated:<peer>` alone.
 *
 * A's user gets 100 local tasks; the peer is the one A enrolled with B (B's user has 100 tasks),
 * so `all` merges 200. Every source runs at the same concurrency from one load-generator process
 * (cleartext HTTP/2 to the admin listener, `authorization: Bearer <user token>`), the three
 * interleaved round by round in a rotating order so drift on the shared machine hits each alike.
 * `skip_cache` is set on every request so `all` and `federated:<peer>` always reach B.
 * Reported: medians of the rounds, and `all` ÷ max(local, remote) for p50 and p99.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { TokenRole } from '@mosaic/contracts/v1/admin_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { QueryRequestSchema, QueryService, QueryVerb, SourceStatus } from '@mosaic/contracts/v1/query_pb';
import { bearerClient } from '../../test/support/bearer-client.js';
import { median } from '../lib/latency.js';
import { runJson } from '../lib/processes.js';
import { markdownTable, ms, round3, type ScenarioTarget, targetLines, times } from '../lib/scenario-table.js';
import type { LoadOptions, LoadResult } from '../load/load-generator.js';
import type { PhaseContext, PhaseOutcome } from './phase-context.js';

interface FanOutSettings {
  rounds: number;
  durationMs: number;
  warmupMs: number;
  concurrencies: number[];
}

const settingsByMode: Record<PhaseContext['mode'], FanOutSettings> = {
  quick: { rounds: 3, durationMs: 700, warmupMs: 200, concurrencies: [1] },
  full: { rounds: 5, durationMs: 2_500, warmupMs: 500, concurrencies: [1, 4] },
};
const localTaskCount = 100;
const pageSize = 100;
const target = 1.1;
const queryPath = '/mosaic.federation.v1.QueryService/Query';

export type FanOutSource = 'local' | 'remote' | 'all';
const sources: readonly FanOutSource[] = ['local', 'remote', 'all'];

interface SourceFigures {
  p50Ms: number;
  p99Ms: number;
  throughputRps: number;
  errors: number;
  /** Fewest successful requests in one run: how many samples each run's p99 rests on. */
  minRequests: number;
}

export interface FanOutRow {
  concurrency: number;
  rounds: number;
  local: SourceFigures;
  remote: SourceFigures;
  all: SourceFigures;
  /** all ÷ max(local, remote), on the medians of the rounds. */
  ratio: { p50: number; p99: number };
  /** The same ratio computed within each round (how much it wobbles). */
  perRoundRatio: { p50: number[]; p99: number[] };
  targets: ScenarioTarget[];
}

export interface FanOutReport {
  settings: FanOutSettings & {
    localTasks: number;
    remoteTasks: number;
    pageSize: number;
    peer: string;
    transport: string;
  };
  rows: FanOutRow[];
  samples: Array<{ round: number; concurrency: number; source: FanOutSource; load: LoadResult }>;
}

/** A user on A with 100 tasks of its own and a user token for the query API. */
async function agentOnA(context: PhaseContext): Promise<{ userId: string; token: string }> {
  const { a } = context;
  const { user } = await a.admin.createUser({ username: `bench-agent-${Date.now().toString(36)}` });
  const userId = user!.id;
  for (let first = 0; first < localTaskCount; first += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, localTaskCount - first) }, (_, offset) =>
        a.admin.createItem({
          item: {
            item: {
              case: 'task',
              value: {
                title: `local bench task ${first + offset + 1}`,
                owner: { owner: { case: 'userId', value: userId } },
              },
            },
          },
        }),
      ),
    );
  }
  const { token } = await a.admin.createAccessToken({ name: 'bench-agent', userId, role: TokenRole.USER });
  return { userId, token };
}

function sourceValue(source: FanOutSource, peer: string): string {
  return source === 'remote' ? `federated:${peer}` : source;
}

function queryBody(source: FanOutSource, peer: string): string {
  const request = create(QueryRequestSchema, {
    source: sourceValue(source, peer),
    verb: QueryVerb.LIST,
    resource: Resource.TASKS,
    pageSize,
    skipCache: true,
  });
  return Buffer.from(toBinary(QueryRequestSchema, request)).toString('base64');
}

/**
 * One query of each source before measuring: every source must answer with its own 100 items and
 * `all` with both, or the figures would compare an error path.
 */
async function checkSources(adminUrl: string, token: string, peer: string): Promise<void> {
  const client = bearerClient(QueryService, adminUrl, token);
  const expected: Record<FanOutSource, number> = {
    local: localTaskCount,
    remote: pageSize,
    all: localTaskCount + pageSize,
  };
  for (const source of sources) {
    const response = await client.query({
      source: sourceValue(source, peer),
      verb: QueryVerb.LIST,
      resource: Resource.TASKS,
      pageSize,
      skipCache: true,
    });
    const failed = response.sources.filter((outcome) => outcome.status !== SourceStatus.OK);
    if (failed.length > 0 || response.items.length !== expected[source]) {
      throw new Error(
        `fan-out: Query(source=${sourceValue(source, peer)}) answered ${response.items.length} items ` +
          `(expected ${expected[source]}); sources ${response.sources
            .map((o) => `${o.source}=${SourceStatus[o.status]}${o.message ? ` (${o.message})` : ''}`)
            .join(', ')}. Is A's peer ${peer} active and B's grant readable?`,
      );
    }
  }
}

function figures(loads: readonly LoadResult[]): SourceFigures {
  return {
    p50Ms: round3(median(loads.map((l) => l.latency.p50Ms))),
    p99Ms: round3(median(loads.map((l) => l.latency.p99Ms))),
    throughputRps: Math.round(median(loads.map((l) => l.throughputRps))),
    errors: loads.reduce((sum, l) => sum + l.errors, 0),
    minRequests: Math.min(...loads.map((l) => l.requests)),
  };
}

export async function runFanOut(context: PhaseContext): Promise<PhaseOutcome<FanOutReport>> {
  const settings = settingsByMode[context.mode];
  const adminUrl = context.a.running.adminUrl;
  if (!adminUrl) throw new Error('fan-out: stack A has no admin listener (running.adminUrl is null)');
  const admin = new URL(adminUrl);
  const peer = context.peerHostname;
  const { token } = await agentOnA(context);
  await checkSources(adminUrl, token, peer);

  // The whole phase in one load-generator process: [round][concurrency][source in rotating order].
  const plan: Array<{ round: number; concurrency: number; source: FanOutSource }> = [];
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const concurrency of settings.concurrencies) {
      for (let i = 0; i < sources.length; i += 1) {
        plan.push({ round, concurrency, source: sources[(i + round - 1) % sources.length]! });
      }
    }
  }
  const bodies = Object.fromEntries(sources.map((source) => [source, queryBody(source, peer)]));
  const runs = plan.map(
    (step): LoadOptions => ({
      origin: admin.origin,
      path: `${admin.pathname.replace(/\/$/, '')}${queryPath}`,
      bodyBase64: bodies[step.source]!,
      headers: { authorization: `Bearer ${token}` },
      concurrency: step.concurrency,
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
    }),
  );
  context.log(
    `fan-out: ${plan.length} runs of ${settings.durationMs} ms (+${settings.warmupMs} ms warm-up), ` +
      `sources local / federated:${peer} / all, concurrency ${settings.concurrencies.join('/')}`,
  );
  const timeoutMs = plan.length * (settings.durationMs + settings.warmupMs + 5_000) + 30_000;
  const loads = await runJson<LoadResult[]>('load/load-generator.ts', runs, timeoutMs);
  const samples = plan.map((step, i) => ({ ...step, load: loads[i]! }));

  const rows = settings.concurrencies.map((concurrency): FanOutRow => {
    const of = (source: FanOutSource) =>
      samples.filter((s) => s.concurrency === concurrency && s.source === source).map((s) => s.load);
    const [local, remote, all] = [figures(of('local')), figures(of('remote')), figures(of('all'))];
    const ratio = {
      p50: round3(all.p50Ms / Math.max(local.p50Ms, remote.p50Ms)),
      p99: round3(all.p99Ms / Math.max(local.p99Ms, remote.p99Ms)),
    };
    const perRound = (key: 'p50Ms' | 'p99Ms') =>
      Array.from({ length: settings.rounds }, (_, r) => {
        const at = (source: FanOutSource) =>
          samples.find((s) => s.round === r + 1 && s.concurrency === concurrency && s.source === source)!.load
            .latency[key];
        return round3(at('all') / Math.max(at('local'), at('remote')));
      });
    const check = (name: 'p50' | 'p99'): ScenarioTarget => ({
      target: `c=${concurrency} ${name} all ≤ ${target}× max`,
      status: ratio[name] <= target ? 'met' : 'not met',
      detail: `${ratio[name]}× (all ${all[`${name}Ms`]} ms, local ${local[`${name}Ms`]} ms, remote ${remote[`${name}Ms`]} ms)`,
    });
    return {
      concurrency,
      rounds: settings.rounds,
      local,
      remote,
      all,
      ratio,
      perRoundRatio: { p50: perRound('p50Ms'), p99: perRound('p99Ms') },
      targets: [check('p50'), check('p99')],
    };
  });

  const table = markdownTable(
    [
      'conc',
      'all p50 ÷ max',
      'all p99 ÷ max',
      'all p50 / p99 ms',
      'local p50 / p99 ms',
      'remote p50 / p99 ms',
      'all req/s',
      'min n/run',
      'errors',
    ],
    rows.map((row) => [
      String(row.concurrency),
      times(row.ratio.p50),
      times(row.ratio.p99),
      `${ms(row.all.p50Ms)} / ${ms(row.all.p99Ms)}`,
      `${ms(row.local.p50Ms)} / ${ms(row.local.p99Ms)}`,
      `${ms(row.remote.p50Ms)} / ${ms(row.remote.p99Ms)}`,
      String(row.all.throughputRps),
      String(Math.min(row.local.minRequests, row.remote.minRequests, row.all.minRequests)),
      String(row.local.errors + row.remote.errors + row.all.errors),
    ]),
  );
  return {
    report: {
      settings: {
        ...settings,
        localTasks: localTaskCount,
        remoteTasks: pageSize,
        pageSize,
        peer,
        transport: 'Connect binary over cleartext HTTP/2 (h2c) to A’s admin listener, user bearer token',
      },
      rows,
      samples,
    },
    table: [
      `5 fan-out: A's Query LIST tasks, source=all vs max(local, federated:${peer}), medians of ${settings.rounds} rounds`,
      table,
      '',
      targetLines(rows.flatMap((row) => row.targets)),
    ].join('\n'),
  };
}
