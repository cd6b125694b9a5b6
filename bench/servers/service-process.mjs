/**
 * One service of stack B (ca, grants, audit or gateway) in its own process, as
 * `mosaic serve --target=<name>` runs it in microservices mode. Plain JavaScript on purpose: from
 * the compiled packages it runs under bare `node`, with no TypeScript loader in the process, so
 * the gateway's CPU time and memory are the service's alone (a loader adds tens of MB of caches).
 *
 * Forked with IPC by stack-b-process.ts. Parent → child: first `{type: 'start', options}` with
 * {target, configEnv, secrets} (over IPC, never in argv, where `ps` would show the
 * secrets), then `{type: 'usage', resetPeak}`, `{type: 'shutdown'}`. Child → parent:
 * `{type: 'ready', internalUrl, adminUrl}`, `{type: 'usage', ...}`, `{type: 'failed', message}`.
 * Closes on shutdown, SIGTERM or when the parent goes away.
 */
import { createLogger, loadConfig } from '@mosaic/platform';
import { runTarget } from '@mosaic/server';

/** @typedef {{ target: 'ca' | 'grants' | 'audit' | 'gateway', configEnv: Record<string, string>, secrets: Record<string, string> }} ServiceOptions */

// RSS sampled every 100 ms: the peak of the window being measured (reset by the parent).
let peakRss = process.memoryUsage.rss();
setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100).unref();

/** @param {boolean} resetPeak */
function usage(resetPeak) {
  const rusage = process.resourceUsage();
  const memory = process.memoryUsage();
  const now = {
    userMicros: rusage.userCPUTime,
    systemMicros: rusage.systemCPUTime,
    maxRssKb: rusage.maxRSS,
    windowPeakRssKb: Math.round(Math.max(peakRss, memory.rss) / 1024),
    heapUsedKb: Math.round(memory.heapUsed / 1024),
    heapTotalKb: Math.round(memory.heapTotal / 1024),
    externalKb: Math.round((memory.external + memory.arrayBuffers) / 1024),
  };
  if (resetPeak) peakRss = memory.rss;
  return now;
}

/** @type {import('@mosaic/server').RunningTarget | undefined} */
let running;
/** @type {Promise<void> | undefined} */
let closing;

/** @param {number} code */
function shutdown(code) {
  closing ??= (async () => {
    setTimeout(() => process.exit(1), 20_000).unref();
    await running?.close().catch(() => {
      code = 1;
    });
    process.exit(code);
  })();
  return closing;
}

process.on(
  'message',
  (/** @type {{ type: string, resetPeak?: boolean, options?: ServiceOptions }} */ message) => {
    if (message.type === 'start' && message.options) void start(message.options);
    else if (message.type === 'usage')
      process.send?.({ type: 'usage', ...usage(message.resetPeak ?? false) });
    else if (message.type === 'shutdown') void shutdown(0);
  },
);
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

/** @param {ServiceOptions} options */
async function start(options) {
  try {
    running = await runTarget({
      target: options.target,
      config: loadConfig({ env: options.configEnv }),
      env: options.secrets,
      logger: createLogger({ service: `bench-${options.target}`, level: 'warn' }),
    });
    process.send?.({ type: 'ready', internalUrl: running.internalUrl, adminUrl: running.adminUrl ?? '' });
  } catch (error) {
    process.send?.({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    await shutdown(1);
  }
}
