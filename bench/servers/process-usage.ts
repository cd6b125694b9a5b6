/** What bench/servers/service-process.mjs reports of its process. */
export interface ProcessUsage {
  userMicros: number;
  systemMicros: number;
  /** Peak RSS over the process's life (getrusage). */
  maxRssKb: number;
  /** Peak RSS sampled every 100 ms since the last reset (the window being measured). */
  windowPeakRssKb: number;
  /** Where the memory is now: V8 heap used and reserved, and memory outside the heap (buffers). */
  heapUsedKb: number;
  heapTotalKb: number;
  externalKb: number;
}
