import {
  ConfigError,
  createLogger,
  exitOnUncaughtErrors,
  loadConfig,
  type Target,
  targets,
} from '@mosaic/platform';
import { runTarget } from '@mosaic/server';
import { Command, Flags } from '@oclif/core';
import { exitCodes } from '../base-command.js';

export default class Serve extends Command {
  static override summary = 'Run Mosaic services: all four in one process, or one service per process.';
  static override description =
    `--target=all is the monolithic mode (the embedded local tier, small installs); --target=ca|grants|audit|gateway runs one service, as each container does.
The process stops cleanly on SIGTERM or Ctrl-C: in-flight calls finish, then queues, Redis and the database close. An error nothing caught is logged as one fatal line; the process then closes the same way and exits with code 70.`;
  static override examples = [
    '<%= config.bin %> serve --target=all',
    'MOSAIC_STORAGE_TIER=federated DATABASE_URL=postgres://… VALKEY_URL=redis://… <%= config.bin %> serve --target=gateway',
  ];
  static override flags = {
    target: Flags.string({ description: 'What to run.', options: [...targets], default: 'all' }),
    config: Flags.string({ description: 'Path of mosaic.config.json.', env: 'MOSAIC_CONFIG' }),
    json: Flags.boolean({ description: 'Announce readiness as one JSON line instead of the summary.' }),
    dev: Flags.boolean({
      description: 'Development mode: the local tier also serves federation (enrollment, mTLS) for demos.',
      env: 'MOSAIC_DEV',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const target = flags.target as Target;
    let running: Awaited<ReturnType<typeof runTarget>>;
    try {
      const config = loadConfig({
        ...(flags.config === undefined ? {} : { configPath: flags.config }),
        env: { ...process.env, ...(flags.dev ? { MOSAIC_DEV: '1' } : {}) },
      });
      const logger = createLogger({ service: `mosaic-${target}`, level: config.logLevel });
      // A fault nothing caught, from boot on, is logged through the service's log (redacted); the
      // process then closes what it opened (once it is up: a failed boot closes its own) and
      // exits 70, for its supervisor to restart it.
      let booted: Awaited<ReturnType<typeof runTarget>> | undefined;
      exitOnUncaughtErrors({ logger, close: () => booted?.close() ?? Promise.resolve() });
      running = await runTarget({ target, config, logger });
      booted = running;
      const up = {
        version: 1,
        event: 'up',
        target,
        tier: config.tier,
        configPath: config.configPath,
        internalUrl: running.internalUrl,
        adminUrl: running.adminUrl,
        dataDir: config.dataDir,
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(up)}\n`);
      else
        process.stdout.write(
          [
            '',
            `Mosaic ${target === 'all' ? '(all services)' : `${target} service`} is up — tier ${config.tier}, config ${config.configPath ?? '(built-in defaults)'}`,
            `  internal API, health, metrics: ${running.internalUrl}  (/healthz /readyz /metrics)`,
            ...(running.adminUrl ? [`  admin API:                     ${running.adminUrl}`] : []),
            `  data:                          ${config.dataDir}`,
            `  check it:                      npx mosaic gateway doctor`,
            '  stop:                          Ctrl-C',
            '',
          ].join('\n'),
        );
    } catch (error) {
      const described =
        (error as { describe?: () => string }).describe?.() ?? String((error as Error).message);
      process.stderr.write(`mosaic serve: ${described}\n`);
      this.exit(error instanceof ConfigError ? exitCodes.usage : exitCodes.unavailable);
      return;
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        running.logger.info({ signal }, 'shutting down');
        running.close().then(resolve, resolve);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    running.logger.info('stopped');
    // Everything this process opened is closed (or abandoned at its deadline); idle keep-alive
    // sockets of HTTP clients must not hold a stopped server up.
    process.exit(0);
  }
}
