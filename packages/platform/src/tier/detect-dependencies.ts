import type { MemoryType, Tier } from '../config/config-types.js';
import { DependencyUnavailableError } from '../errors/index.js';
import type { DependencyReport } from './dependency-report.js';
import { probePostgres } from './probe-postgres.js';
import { probeRedis } from './probe-redis.js';

export interface DetectOptions {
  tier: Tier;
  /** The running Postgres (or the embedded store's socket) URL. */
  postgresUrl: string;
  /** Shown instead of host:port for the embedded store. */
  embeddedDir?: string;
  redisUrl: string | null;
  memory: MemoryType;
  timeoutMs: number;
}

/** Probes every dependency of the tier, in parallel, each with its own deadline. */
export async function detectDependencies(options: DetectOptions): Promise<DependencyReport[]> {
  const [pgProbe, redisProbe] = await Promise.all([
    probePostgres(options.postgresUrl, options.timeoutMs),
    options.redisUrl ? probeRedis(options.redisUrl, options.timeoutMs) : null,
  ]);
  const embedded = options.embeddedDir !== undefined;
  const postgresTarget = embedded ? `embedded PGlite in ${options.embeddedDir}` : pgProbe.target;
  const reports: DependencyReport[] = [
    {
      name: 'postgres',
      status: pgProbe.ok ? 'green' : 'red',
      latencyMs: pgProbe.latencyMs,
      target: postgresTarget,
      message: pgProbe.ok
        ? embedded
          ? 'embedded store answering over the Postgres wire protocol'
          : 'PostgreSQL answering'
        : `PostgreSQL at ${pgProbe.target} ${pgProbe.problem}`,
      remedy: pgProbe.ok
        ? ''
        : `Start PostgreSQL at ${pgProbe.target} or point DATABASE_URL (storage.url) at a reachable server; tier "${options.tier}" requires it (MOSAIC_STORAGE_TIER=local runs on the embedded store instead).`,
    },
  ];
  if (redisProbe) {
    reports.push({
      name: 'valkey',
      status: redisProbe.ok ? 'green' : 'red',
      latencyMs: redisProbe.latencyMs,
      target: redisProbe.target,
      message: redisProbe.ok
        ? 'Valkey/Redis answering PING'
        : `Valkey/Redis at ${redisProbe.target} ${redisProbe.problem}`,
      remedy: redisProbe.ok
        ? ''
        : `Start Valkey/Redis at ${redisProbe.target} or point VALKEY_URL (queue.url) at a reachable server; tier "${options.tier}" keeps queues, rate limits and cache invalidation there.`,
    });
  } else {
    reports.push({
      name: 'valkey',
      status: 'green',
      latencyMs: 0,
      target: 'in-process adapters',
      message: 'local tier: queues, limits and pub/sub run in process',
      remedy: '',
    });
  }
  reports.push(pgvectorReport(pgProbe.vector, options));
  return reports;
}

function pgvectorReport(
  vector: { available: boolean; installed: boolean } | undefined,
  options: DetectOptions,
): DependencyReport {
  const base = { name: 'pgvector' as const, latencyMs: null, target: 'postgres extension "vector"' };
  if (!vector) {
    return {
      ...base,
      status: options.memory === 'pgvector' ? 'red' : 'yellow',
      message: 'unknown: PostgreSQL could not be asked',
      remedy: 'Fix the PostgreSQL connection first.',
    };
  }
  if (vector.available) {
    return {
      ...base,
      status: 'green',
      message: vector.installed
        ? 'pgvector installed'
        : 'pgvector available (created by migrations or infra)',
      remedy: '',
    };
  }
  if (options.memory === 'pgvector') {
    return {
      ...base,
      status: 'red',
      message: 'memory.type is "pgvector" but this PostgreSQL has no pgvector extension',
      remedy:
        'Install pgvector on the server (e.g. the pgvector/pgvector image or the postgresql-NN-pgvector package), or set memory.type to "keyword" (MOSAIC_MEMORY_TYPE=keyword) to run without vector search.',
    };
  }
  return {
    ...base,
    status: 'yellow',
    message: 'pgvector not installed: memory search runs in keyword mode',
    remedy: 'Install pgvector and set memory.type to "pgvector" for vector search.',
  };
}

/** Refuses to start when any dependency is red, naming each with its target and remedy. */
export function assertBootable(service: string, reports: DependencyReport[]): void {
  const red = reports.filter((report) => report.status === 'red');
  if (red.length === 0) return;
  const first = red[0]!;
  throw new DependencyUnavailableError({
    dependency: first.name,
    message: `${service} cannot start: ${red.map((report) => `${report.message.replace(/\.$/, '')}.`).join(' ')}`,
    remedy: red.map((report) => report.remedy).join(' '),
  });
}
