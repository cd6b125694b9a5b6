/** CPU and memory of this process: cumulative CPU time, lifetime peak RSS, and RSS sampled since the last reset. */
let sampledPeakRssBytes = process.memoryUsage.rss();
const sampler = setInterval(() => {
  sampledPeakRssBytes = Math.max(sampledPeakRssBytes, process.memoryUsage.rss());
}, 100);
sampler.unref();

export interface ProcessUsage {
  userMicros: number;
  systemMicros: number;
  /** Peak RSS over the process's life (getrusage). */
  maxRssKb: number;
  /** Peak RSS sampled every 100 ms since the last `resetPeak` (the window being measured). */
  windowPeakRssKb: number;
  /** Where the memory is now: V8 heap used and reserved, and memory outside the heap (buffers). */
  heapUsedKb: number;
  heapTotalKb: number;
  externalKb: number;
}

export function processUsage(options: { resetPeak?: boolean } = {}): ProcessUsage {
  const usage = process.resourceUsage();
  const memory = process.memoryUsage();
  const current = memory.rss;
  const usageNow = {
    heapUsedKb: Math.round(memory.heapUsed / 1024),
    heapTotalKb: Math.round(memory.heapTotal / 1024),
    externalKb: Math.round((memory.external + memory.arrayBuffers) / 1024),
    userMicros: usage.userCPUTime,
    systemMicros: usage.systemCPUTime,
    maxRssKb: usage.maxRSS,
    windowPeakRssKb: Math.round(Math.max(sampledPeakRssBytes, current) / 1024),
  };
  if (options.resetPeak) sampledPeakRssBytes = current;
  return usageNow;
}
