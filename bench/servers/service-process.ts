/**
 * One service of stack B (ca, grants or audit) in its own process, as `mosaic serve --target=<name>`
 * runs it in microservices mode, so the gateway's process holds the gateway alone and its CPU and
 * memory can be measured apart.
 *
 * Forked with IPC by stack-b-process.ts; argv[2] is JSON {target, configEnv, secrets, redisPrefix}.
 * Child → parent: `{type: 'ready', internalUrl}`, `{type: 'usage', ...}`, `{type: 'failed', message}`.
 * Parent → child: `{type: 'usage'}`, `{type: 'shutdown'}`. Closes on shutdown, SIGTERM or when the
 * parent goes away.
 */
import { createLogger, loadConfig } from '@mosaic/platform';
import { type RunningTarget, runTarget } from '@mosaic/server';
import { processUsage } from './process-usage.js';

interface ServiceProcessOptions {
  target: 'ca' | 'grants' | 'audit';
  configEnv: Record<string, string>;
  secrets: Record<string, string>;
  redisPrefix: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ServiceProcessOptions;
let running: RunningTarget | undefined;
let closing: Promise<void> | undefined;

function shutdown(code: number): Promise<void> {
  closing ??= (async () => {
    const deadline = setTimeout(() => process.exit(1), 20_000);
    await running?.close().catch(() => {
      code = 1;
    });
    clearTimeout(deadline);
    process.exit(code);
  })();
  return closing;
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'usage') process.send?.({ type: 'usage', ...processUsage() });
  else if (message.type === 'shutdown') void shutdown(0);
});
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

try {
  running = await runTarget({
    target: options.target,
    config: loadConfig({ env: options.configEnv }),
    env: options.secrets,
    redisPrefix: options.redisPrefix,
    logger: createLogger({ service: `bench-${options.target}`, level: 'warn' }),
  });
  process.send?.({ type: 'ready', internalUrl: running.internalUrl });
} catch (error) {
  process.send?.({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  await shutdown(1);
}
