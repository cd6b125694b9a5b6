/**
 * Load generator: a separate process that drives one server over HTTP/2.
 *
 * N concurrent streams spread over a small pool of sessions send the same Connect unary POST
 * (by default `FederationService.List` of 100 tasks, binary protobuf) back to back for a fixed
 * duration, after a warm-up that is not recorded. Prints one JSON object (`LoadResult`) on stdout.
 *
 * Optional, for the later scenarios: another path, body and extra headers (e.g. a bearer token);
 * an `http:` origin (cleartext HTTP/2 with prior knowledge, what the admin listener speaks beside
 * HTTP/1.1); open-loop pacing at a fixed rate instead of back to back; a fresh W3C `traceparent`
 * on every request; and, in process, hooks that see every request sent and answered. Given a JSON
 * array of options it runs them one after another and prints the array of results (one process
 * for a whole interleaved phase instead of one start-up per run).
 *
 *   node --conditions=mosaic-source --import tsx bench/load/load-generator.ts '<LoadOptions JSON>'
 *   node --conditions=mosaic-source --import tsx bench/load/load-generator.ts '[<LoadOptions>, …]'
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { ListRequestSchema } from '@mosaic/contracts/v1/federation_pb';
import { type LatencySummary, summarize } from '../lib/latency.js';
import {
  type AccountPids,
  type MachineCpu,
  type MachineCpuPerRequest,
  machineCpuPerRequest,
  readMachineCpu,
} from '../lib/machine-cpu.js';

export interface LoadOptions {
  /** Origin of the server, e.g. https://127.0.0.3:41234 (TLS) or http://127.0.0.2:8080 (h2c). */
  origin: string;
  /**
   * PEM files: the CA bundle that verifies the server (required for https:), the client
   * certificate and its key (for mTLS). Ignored for http: origins.
   */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** HTTP/2 sessions in the pool (streams are spread over them); defaults to min(concurrency, 4). */
  sessions?: number;
  /** Request path; defaults to `listPath`. */
  path?: string;
  /** Request body (binary protobuf), base64; defaults to `listRequestBody()`. */
  bodyBase64?: string;
  /** Extra request headers, e.g. `authorization`. */
  headers?: Record<string, string>;
  /**
   * Open-loop pacing: start one request every 1/ratePerSecond s on a fixed schedule instead of
   * back to back; `concurrency` then caps the requests in flight. Every request scheduled in the
   * measured window is sent (late if the client falls behind) and awaited, even past the window.
   */
  ratePerSecond?: number;
  /** Send a fresh W3C `traceparent` (random trace id, sampled) with every request. */
  traceparent?: boolean;
  /** The server's (and B's other services') processes, read with the machine at the window's edges. */
  accountPids?: AccountPids;
}

/** One request as the in-process hooks see it; times are epoch milliseconds (sub-ms precision). */
export interface RequestRecord {
  /** Trace id of its `traceparent` (32 hex), or '' without `traceparent`. */
  traceId: string;
  sentAtMs: number;
  doneAtMs: number;
  /** HTTP status, 0 when the stream failed. */
  status: number;
  /** False for warm-up requests (and, back to back, requests answered after the window). */
  measured: boolean;
}

export interface LoadHooks {
  sent?(traceId: string, sentAtMs: number): void;
  done?(record: RequestRecord): void;
}

export interface LoadResult {
  concurrency: number;
  sessions: number;
  durationMs: number;
  /** Successful requests completed inside the measured window. */
  requests: number;
  /** Requests that did not answer HTTP 200 (or failed on the wire) inside the measured window. */
  errors: number;
  /** Every request completed, warm-up included (the server's CPU is divided by this). */
  totalRequests: number;
  throughputRps: number;
  latency: LatencySummary;
  responseBytes: number;
  firstError?: string;
  /** Paced runs only: the rate asked for, and requests started more than one interval late. */
  pacing?: { ratePerSecond: number; lateStarts: number };
  /**
   * Back-to-back runs on Linux: the whole machine's CPU (and Postgres's and Valkey's) over the
   * measured window, divided by the requests completed in it.
   */
  machine?: MachineCpuPerRequest;
}

export const listPath = '/mosaic.federation.v1.FederationService/List';

export function listRequestBody(): Uint8Array {
  return toBinary(ListRequestSchema, create(ListRequestSchema, { resource: Resource.TASKS, pageSize: 100 }));
}

/** Wall-clock milliseconds with performance.now()'s precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

function connect(options: LoadOptions): Promise<http2.ClientHttp2Session> {
  const url = new URL(options.origin);
  let tls: http2.SecureClientSessionOptions = {};
  if (url.protocol === 'https:') {
    if (!options.caFile) {
      throw new Error(
        `origin ${options.origin} is https: pass caFile, the CA bundle that verifies the server (verification is never turned off)`,
      );
    }
    tls = {
      ca: readFileSync(options.caFile),
      ...(options.certFile ? { cert: readFileSync(options.certFile) } : {}),
      ...(options.keyFile ? { key: readFileSync(options.keyFile) } : {}),
    };
  } else if (url.protocol !== 'http:') {
    throw new Error(`origin ${options.origin} is neither https: nor http:`);
  }
  return new Promise((resolve, reject) => {
    const session = http2.connect(url.origin, tls);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

function traceparentHeader(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

function request(
  session: http2.ClientHttp2Session,
  path: string,
  body: Uint8Array,
  extraHeaders: Record<string, string>,
): Promise<{ status: number; bytes: number; error?: string }> {
  return new Promise((resolve) => {
    const stream = session.request({
      'content-type': 'application/proto',
      'connect-protocol-version': '1',
      ...extraHeaders,
      ':method': 'POST',
      ':path': path,
      'content-length': body.byteLength,
    });
    let status = 0;
    let bytes = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (status !== 200) chunks.push(chunk);
    });
    stream.on('end', () =>
      resolve(
        status === 200
          ? { status, bytes }
          : { status, bytes, error: `HTTP ${status}: ${Buffer.concat(chunks).toString().slice(0, 300)}` },
      ),
    );
    stream.on('error', (error) => resolve({ status: 0, bytes, error: error.message }));
    stream.end(body);
  });
}

export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const poolSize = Math.max(1, options.sessions ?? Math.min(options.concurrency, 4));
  const pool = await Promise.all(Array.from({ length: poolSize }, () => connect(options)));
  const path = options.path ?? listPath;
  const body = options.bodyBase64 ? Buffer.from(options.bodyBase64, 'base64') : listRequestBody();
  const latenciesMs: number[] = [];
  let errors = 0;
  let totalRequests = 0;
  let responseBytes = 0;
  let firstError: string | undefined;

  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  const paced = options.ratePerSecond !== undefined && options.ratePerSecond > 0;
  // The machine is read when the measured window opens and closes (timers: a busy loop delays them
  // by a fraction of a millisecond), and divided by the successful requests completed between the two.
  let machineAtStart: MachineCpu | undefined;
  let machineAtStop: MachineCpu | undefined;
  let completedInWindow = 0;
  const windowTimers = paced
    ? []
    : [
        setTimeout(() => {
          machineAtStart = readMachineCpu(options.accountPids);
        }, options.warmupMs),
        setTimeout(() => {
          machineAtStop = readMachineCpu(options.accountPids);
        }, options.warmupMs + options.durationMs),
      ];

  /** `due`: paced runs only, when the schedule wanted this request sent. */
  async function one(index: number, due?: number): Promise<void> {
    const session = pool[index % poolSize]!;
    const trace = options.traceparent ? traceparentHeader() : undefined;
    const headers = trace ? { ...options.headers, traceparent: trace.header } : (options.headers ?? {});
    const sent = performance.now();
    hooks.sent?.(trace?.traceId ?? '', performance.timeOrigin + sent);
    const answer = await request(session, path, body, headers);
    const done = performance.now();
    totalRequests += 1;
    if (machineAtStart && !machineAtStop && !answer.error) completedInWindow += 1;
    // Paced: every request scheduled in the window counts, even one sent late (all are awaited);
    // back to back: only requests that also end inside it, so the window's throughput is not inflated.
    const measured = due === undefined ? sent >= measureFrom && done <= stopAt : due >= measureFrom;
    hooks.done?.({
      traceId: trace?.traceId ?? '',
      sentAtMs: performance.timeOrigin + sent,
      doneAtMs: performance.timeOrigin + done,
      status: answer.status,
      measured,
    });
    if (!measured) return;
    if (answer.error) {
      errors += 1;
      firstError ??= answer.error;
    } else {
      latenciesMs.push(done - sent);
      responseBytes = answer.bytes;
    }
  }

  let pacing: LoadResult['pacing'];
  if (paced) {
    const intervalMs = 1000 / options.ratePerSecond!;
    const inFlight = new Set<Promise<void>>();
    let lateStarts = 0;
    for (let index = 0; ; index += 1) {
      const due = started + index * intervalMs;
      if (due >= stopAt) break;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      if (performance.now() - due > intervalMs) lateStarts += 1;
      const pending = one(index, due).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
    await Promise.all(inFlight);
    pacing = { ratePerSecond: options.ratePerSecond!, lateStarts };
  } else {
    const worker = async (index: number) => {
      while (performance.now() < stopAt) await one(index);
    };
    await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  }
  await Promise.all(pool.map((session) => new Promise<void>((resolve) => session.close(() => resolve()))));
  for (const timer of windowTimers) clearTimeout(timer);
  const machine = machineCpuPerRequest(machineAtStart, machineAtStop, completedInWindow);

  return {
    concurrency: options.concurrency,
    sessions: poolSize,
    durationMs: options.durationMs,
    requests: latenciesMs.length,
    errors,
    totalRequests,
    throughputRps: latenciesMs.length / (options.durationMs / 1000),
    latency: summarize(latenciesMs),
    responseBytes,
    ...(firstError ? { firstError } : {}),
    ...(pacing ? { pacing } : {}),
    ...(machine ? { machine } : {}),
  };
}

/** Runs each option set in turn (never overlapping), so one process serves a whole phase. */
export async function runLoads(list: readonly LoadOptions[]): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  for (const options of list) results.push(await runLoad(options));
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions | LoadOptions[];
  (Array.isArray(options) ? runLoads(options) : runLoad(options)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `load generator failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
