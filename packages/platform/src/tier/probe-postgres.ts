import pg from 'pg';
import { urlTarget } from '../log/redact-url.js';

export interface PostgresProbe {
  ok: boolean;
  latencyMs: number | null;
  target: string;
  /** Why it failed, in words a person can act on; never includes a password. */
  problem: string;
  /** Set when the probe got far enough to ask. */
  vector?: { available: boolean; installed: boolean };
}

/** Connects once with a deadline, runs a trivial query, and asks about pgvector. */
export async function probePostgres(url: string, timeoutMs: number): Promise<PostgresProbe> {
  const target = urlTarget(url, 5432);
  const started = performance.now();
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
  });
  // A failed connect emits 'error' on the client too; without a listener it would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    const result = await client.query<{ installed: boolean; available: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed,
              EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available`,
    );
    const row = result.rows[0]!;
    return {
      ok: true,
      latencyMs: Math.round(performance.now() - started),
      target,
      problem: '',
      vector: { available: row.available, installed: row.installed },
    };
  } catch (error) {
    return { ok: false, latencyMs: null, target, problem: describePostgresFailure(error, url, timeoutMs) };
  } finally {
    await client.end().catch(() => {});
  }
}

function describePostgresFailure(error: unknown, url: string, timeoutMs: number): string {
  const code = (error as { code?: string }).code;
  const user = safeUser(url);
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused the connection (nothing listens there)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'has a host name that does not resolve';
    case 'ETIMEDOUT':
      return `did not answer within ${timeoutMs} ms`;
    case '28P01':
      return `rejected the password of user "${user}"`;
    case '28000':
      return `refused user "${user}" (no such role or no pg_hba.conf entry)`;
    case '3D000':
      return 'has no such database';
    default:
      if (/timeout/i.test((error as Error).message ?? '')) return `did not answer within ${timeoutMs} ms`;
      // pg's messages carry server text, never the connection string; still keep only the first line.
      return `failed: ${String((error as Error).message ?? error).split('\n')[0]}`;
  }
}

function safeUser(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || 'postgres';
  } catch {
    return '<unknown>';
  }
}
