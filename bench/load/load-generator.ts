/**
 * Load generator: a separate process that drives one server over HTTP/2 with a client certificate.
 *
 * N concurrent streams spread over a small pool of sessions send the same Connect unary POST
 * (`FederationService.List` of 100 tasks, binary protobuf) back to back for a fixed duration,
 * after a warm-up that is not recorded. Prints one JSON object (`LoadResult`) on stdout.
 *
 *   node --conditions=mosaic-source --import tsx bench/load/load-generator.ts '<LoadOptions JSON>'
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { pathToFileURL } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { ListRequestSchema } from '@mosaic/contracts/v1/federation_pb';
import { type LatencySummary, summarize } from '../lib/latency.js';

export interface LoadOptions {
  /** Origin of the server, e.g. https://127.0.0.3:41234 */
  origin: string;
  /** PEM files: the CA bundle that verifies the server, the client certificate and its key. */
  caFile: string;
  certFile: string;
  keyFile: string;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** HTTP/2 sessions in the pool (streams are spread over them); defaults to min(concurrency, 4). */
  sessions?: number;
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
}

export const listPath = '/mosaic.federation.v1.FederationService/List';

export function listRequestBody(): Uint8Array {
  return toBinary(ListRequestSchema, create(ListRequestSchema, { resource: Resource.TASKS, pageSize: 100 }));
}

function connect(options: LoadOptions): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(options.origin, {
      ca: readFileSync(options.caFile),
      cert: readFileSync(options.certFile),
      key: readFileSync(options.keyFile),
    });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

function request(
  session: http2.ClientHttp2Session,
  body: Uint8Array,
): Promise<{ status: number; bytes: number; error?: string }> {
  return new Promise((resolve) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': listPath,
      'content-type': 'application/proto',
      'connect-protocol-version': '1',
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

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const poolSize = Math.max(1, options.sessions ?? Math.min(options.concurrency, 4));
  const pool = await Promise.all(Array.from({ length: poolSize }, () => connect(options)));
  const body = listRequestBody();
  const latenciesMs: number[] = [];
  let errors = 0;
  let totalRequests = 0;
  let responseBytes = 0;
  let firstError: string | undefined;

  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  async function worker(index: number): Promise<void> {
    const session = pool[index % poolSize]!;
    while (performance.now() < stopAt) {
      const sent = performance.now();
      const answer = await request(session, body);
      const done = performance.now();
      totalRequests += 1;
      if (sent < measureFrom || done > stopAt) continue;
      if (answer.error) {
        errors += 1;
        firstError ??= answer.error;
      } else {
        latenciesMs.push(done - sent);
        responseBytes = answer.bytes;
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  await Promise.all(pool.map((session) => new Promise<void>((resolve) => session.close(() => resolve()))));

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
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  runLoad(options).then(
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
