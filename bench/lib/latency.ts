/** Latency summary with a log-bucketed histogram (bucket upper bounds in ms, ×1.25 apart). */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** [upper bound ms, count] for every non-empty bucket. */
  histogram: Array<[number, number]>;
}

const bucketGrowth = 1.25;
const firstBucketMs = 0.05;

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const values = Array.from(sorted);
  const buckets = new Map<number, number>();
  for (const value of values) {
    const index =
      value <= firstBucketMs ? 0 : Math.ceil(Math.log(value / firstBucketMs) / Math.log(bucketGrowth));
    buckets.set(index, (buckets.get(index) ?? 0) + 1);
  }
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    count: values.length,
    p50Ms: round(percentile(values, 0.5)),
    p90Ms: round(percentile(values, 0.9)),
    p99Ms: round(percentile(values, 0.99)),
    maxMs: round(values.at(-1) ?? Number.NaN),
    meanMs: round(values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)),
    histogram: [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, count]) => [round(firstBucketMs * bucketGrowth ** index), count]),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
