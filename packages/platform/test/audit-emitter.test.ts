import { expect } from 'chai';
import { deletePrefix, randomPrefix, redisUrl } from '../../../test/support/redis.js';
import { createBullmqAdapters } from '../src/adapters/bullmq-adapters.js';
import type { Adapters, JobQueue } from '../src/adapters/job-queue.js';
import {
  AuditEmitter,
  type AuditEventPayload,
  type AuditJobPayload,
  auditEventsOf,
} from '../src/audit/audit-emitter.js';
import { createLogger } from '../src/log/logger.js';
import { Metrics } from '../src/metrics/registry.js';

async function eventually(what: string, condition: () => boolean, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const event = (n: number) => ({
  grantId: null,
  verb: 1,
  resource: 1,
  queryHash: `q${n}`,
  outcome: 1,
  bytesOut: n,
  latencyMs: 1,
  peer: 'peer.example',
  traceId: '',
  actor: '',
  reason: '',
});

describe('audit emitter on a real BullMQ queue (Valkey)', function () {
  this.timeout(60_000);
  let adapters: Adapters;
  let prefix: string;
  const logger = createLogger({ service: 'audit-emitter-test', level: 'silent' });

  beforeEach(() => {
    prefix = randomPrefix();
    adapters = createBullmqAdapters({ url: redisUrl, prefix, connectionName: `test-${prefix}` });
  });
  afterEach(async () => {
    await adapters.close();
    await deletePrefix(prefix);
  });

  it('a burst of events reaches the consumer exactly once each, batched into far fewer jobs', async () => {
    const queue = adapters.queue<AuditJobPayload>('audit-events');
    const seen = new Map<string, number>();
    let jobs = 0;
    queue.consume(
      async (job) => {
        jobs += 1;
        for (const received of auditEventsOf(job)) seen.set(received.id, (seen.get(received.id) ?? 0) + 1);
      },
      { concurrency: 10 },
    );
    const emitter = new AuditEmitter({ queue, logger, metrics: new Metrics({}), maxBatch: 100 });
    const total = 2_000;
    for (let n = 0; n < total; n += 1) emitter.emit(event(n));
    await eventually('every event arrived', () => seen.size === total);
    await emitter.close(5_000);
    expect([...seen.values()].every((count) => count === 1)).to.equal(true);
    // 2000 events at most 100 per job: at least 20 jobs, and nowhere near one per event.
    expect(jobs).to.be.within(20, 200);
  });

  it('a batch whose enqueue failed is retried under the same job id: nothing lost, nothing twice', async () => {
    const real = adapters.queue<AuditJobPayload>('audit-events');
    const attemptedIds: string[] = [];
    let failuresLeft = 3;
    // Fault injection around the real queue: the first attempts reach Valkey but report failure,
    // as when the reply of a successful add is lost; the retry must not enqueue the events again.
    const flaky: JobQueue<AuditJobPayload> = {
      name: real.name,
      async add(job) {
        attemptedIds.push(job.id!);
        await real.add(job);
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('connection reset after write (injected)');
        }
      },
      consume: (handler, options) => real.consume(handler, options),
      close: () => real.close(),
    };
    const seen: AuditEventPayload[] = [];
    real.consume(async (job) => {
      seen.push(...auditEventsOf(job));
    });
    const metrics = new Metrics({});
    const emitter = new AuditEmitter({ queue: flaky, logger, metrics, maxBatch: 50 });
    for (let n = 0; n < 120; n += 1) emitter.emit(event(n));
    await eventually('every event arrived', () => seen.length >= 120);
    await emitter.close(10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).to.have.length(120);
    expect(new Set(seen.map((e) => e.id)).size).to.equal(120);
    expect(seen.map((e) => e.bytesOut)).to.deep.equal(Array.from({ length: 120 }, (_, n) => n));
    // The failed attempts were retried with the batch's own id.
    expect(attemptedIds[0]).to.equal(attemptedIds[1]);
    const dropped = (
      await metrics.registry.getSingleMetricAsString('mosaic_audit_events_dropped_total')
    ).trim();
    expect(dropped).to.match(/mosaic_audit_events_dropped_total 0$/);
  });

  it('accepts the single-event jobs of emitters from before batching', () => {
    const single = { ...event(7), id: 'e-7', occurredAt: new Date(0).toISOString() };
    expect(auditEventsOf(single)).to.deep.equal([single]);
    expect(auditEventsOf({ events: [single, single] })).to.have.length(2);
  });
});
