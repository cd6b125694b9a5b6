import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per process, `mosaic_` prefixed, with process metrics and RPC timings. */
export class Metrics {
  readonly registry = new Registry();
  readonly rpcDuration: Histogram<'service' | 'method' | 'code'>;

  constructor(defaultLabels: Record<string, string>) {
    this.registry.setDefaultLabels(defaultLabels);
    collectDefaultMetrics({ register: this.registry, prefix: 'mosaic_' });
    this.rpcDuration = new Histogram({
      name: 'mosaic_rpc_duration_seconds',
      help: 'Duration of RPCs served, by service, method and result code.',
      labelNames: ['service', 'method', 'code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }
}
