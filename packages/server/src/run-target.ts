import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConnectRouter } from '@connectrpc/connect';
import { Health } from '@mosaic/contracts/health/v1/health_pb';
import {
  type Adapters,
  assertBootable,
  assertPolicyCovers,
  Closer,
  ConfigError,
  createBullmqAdapters,
  createLocalAdapters,
  createLogger,
  createServiceDataSource,
  defaultInternalPorts,
  deriveEd25519,
  detectDependencies,
  type EmbeddedPostgres,
  HealthService,
  healthEndpoints,
  type Logger,
  loadInstanceSecret,
  Metrics,
  type MosaicConfig,
  mergePolicies,
  type PlainHandler,
  policyForService,
  type RunningListener,
  type RunningService,
  runMigrations,
  ServiceHealth,
  type ServiceName,
  serverInterceptors,
  startEmbeddedPostgres,
  startHttpListener,
  type Target,
  timedCheck,
} from '@mosaic/platform';
import type { DataSource } from 'typeorm';
import { RuntimeServiceClients } from './service-clients.js';
import { moduleByTypeName, modulesFor } from './service-modules.js';

export interface RunningTarget {
  target: Target;
  /** URL of the internal listener (Connect/gRPC, health, metrics). */
  internalUrl: string;
  /** URL of the gateway's admin listener, when the gateway runs in this process. */
  adminUrl: string | null;
  logger: Logger;
  close(): Promise<void>;
}

export interface RunTargetOptions {
  target: Target;
  config: MosaicConfig;
  /** Where secrets come from; the process environment unless given. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/**
 * Boots one target: `all` (monolithic: the four services in one process, each with its own router,
 * schema and client) or a single service (microservices mode). Refuses to start, before opening any
 * port, when a dependency of the tier is missing.
 */
export async function runTarget(options: RunTargetOptions): Promise<RunningTarget> {
  const { target, config } = options;
  const logger = options.logger ?? createLogger({ service: `mosaic-${target}`, level: config.logLevel });
  if (config.tier === 'local' && target !== 'all') {
    throw new ConfigError(
      `tier "local" runs the four services in one process, but --target=${target} was asked for.`,
      'Use --target=all with the local tier, or tier "standalone"/"federated" (PostgreSQL + Valkey) for one service per process.',
    );
  }
  const closer = new Closer(logger);
  try {
    return await boot({ ...options, logger, closer });
  } catch (error) {
    await closer.close(config.shutdownTimeoutMs);
    throw error;
  }
}

async function boot(options: RunTargetOptions & { logger: Logger; closer: Closer }): Promise<RunningTarget> {
  const { target, config, logger, closer } = options;
  const modules = modulesFor(target);
  const env = options.env ?? process.env;

  // The embedded store: one PGlite per service, each in its own folder with its schema on the
  // search_path (PGlite multiplexes every connection onto one session, so the path cannot differ
  // per connection). Postgres serves all schemas from one database.
  const embedded = new Map<ServiceName, EmbeddedPostgres>();
  if (config.storage.type === 'pglite') {
    for (const module of modules) {
      const store = await startEmbeddedPostgres({
        dir: path.join(config.storage.dir, module.name),
        searchPath: [module.schema, 'public'],
      });
      embedded.set(module.name, store);
      closer.add(`embedded store of ${module.name}`, () => store.close());
    }
  }
  const urlOf = (name: ServiceName) => embedded.get(name)?.url ?? (config.storage as { url: string }).url;
  const postgresUrl = urlOf(modules[0]!.name);
  const dependencies = await detectDependencies({
    tier: config.tier,
    postgresUrl,
    ...(config.storage.type === 'pglite' ? { embeddedDir: config.storage.dir } : {}),
    redisUrl: config.queue.type === 'bullmq' ? config.queue.url : null,
    memory: config.memory.type,
    timeoutMs: config.probeTimeoutMs,
  });
  assertBootable(target === 'all' ? 'mosaic (all services)' : `mosaic ${target} service`, dependencies);

  const instanceSecret = await loadInstanceSecret(
    {
      purpose: 'instance secret for internal service tokens',
      envName: 'MOSAIC_INTERNAL_KEY',
      file: path.join(config.dataDir, 'secrets', 'internal.key'),
      createIfMissing: config.tier === 'local',
    },
    env,
  );
  const internalKeys = deriveEd25519(instanceSecret, 'internal-jwt v1');
  const metrics = new Metrics({ target });
  const adapters: Adapters =
    config.queue.type === 'bullmq'
      ? createBullmqAdapters({
          url: config.queue.url,
          prefix: config.queue.prefix,
          connectionName: `mosaic-${target}`,
          logger: logger.child({ component: 'valkey' }),
        })
      : createLocalAdapters();
  closer.add('queue adapters', () => adapters.close());

  const policy = mergePolicies(
    ...modules.map((module) => module.policy),
    policyForService(Health, { kind: 'public' }),
  );
  assertPolicyCovers([...modules.flatMap((module) => module.services), Health], policy);
  const audienceOf = moduleByTypeName(modules);
  const interceptors = serverInterceptors({
    logger,
    metrics,
    auth: {
      policy,
      internal: {
        keys: internalKeys,
        audienceFor: (typeName: string) => audienceOf.get(typeName) ?? 'unknown',
      },
    },
  });
  const clients = new RuntimeServiceClients(internalKeys, config.serviceUrls);

  const healths: ServiceHealth[] = [];
  const started: Array<{ name: string; running: RunningService }> = [];
  const processHealth = async () =>
    Promise.all(
      healths.map(async (health) => {
        const result = await health.check();
        const failed = result.checks.find((check) => !check.ok);
        return {
          name: health.name,
          ready: result.ready,
          latencyMs: Math.max(0, ...result.checks.map((check) => check.latencyMs)),
          detail: failed ? `${failed.name}: ${failed.detail}` : 'ready',
        };
      }),
    );

  for (const module of modules) {
    const dataSource = createServiceDataSource({
      url: urlOf(module.name),
      schema: module.schema,
      entities: module.entities,
      migrations: module.migrations,
      poolSize: embedded.size > 0 ? 2 : 10,
      applicationName: `mosaic-${module.name}`,
      connectTimeoutMs: config.probeTimeoutMs,
    });
    await dataSource.initialize();
    closer.add(`${module.name} database`, () => destroy(dataSource));
    const { applied } = await runMigrations(dataSource, module.schema);
    if (applied.length > 0) logger.info({ component: module.name, applied }, 'migrations applied');

    const running = await module.create({
      config,
      env,
      target,
      logger: logger.child({ component: module.name }),
      metrics,
      dataSource,
      adapters,
      clients: clients.forCaller(module.name),
      instanceSecret,
      internalKeys,
      postgresUrl: urlOf(module.name),
      dependencies,
      processHealth,
    });
    closer.add(`${module.name} service`, () => running.close(config.shutdownTimeoutMs));
    started.push({ name: module.name, running });
    healths.push(
      new ServiceHealth(module.name, [
        timedCheck('postgres', config.probeTimeoutMs, () => dataSource.query('SELECT 1')),
        ...(running.readiness ?? []),
      ]),
    );
    clients.registerLocal(module.name, (router) => running.routes(router), interceptors);
  }

  const healthService = new HealthService(healths);
  const routes = (router: ConnectRouter) => {
    for (const { running } of started) running.routes(router);
    router.service(Health, healthService);
  };
  const internalAddress = config.listen.internal ?? { host: '127.0.0.1', port: defaultInternalPorts[target] };
  const listener: RunningListener = await startHttpListener({
    name: 'internal',
    address: internalAddress,
    routes,
    interceptors,
    plain: chainPlain([
      healthEndpoints({ services: healths, metrics }),
      ...started.flatMap(({ running }) => (running.plain ? [running.plain] : [])),
    ]),
    logger,
  });
  closer.add('internal listener', () => listener.close(config.shutdownTimeoutMs));

  for (const { running } of started) await running.start?.();

  const adminUrl = readAdminUrl(started);
  const runFile = path.join(config.dataDir, 'run', `${target}.json`);
  await mkdir(path.dirname(runFile), { recursive: true });
  await writeFile(
    runFile,
    `${JSON.stringify({ pid: process.pid, target, tier: config.tier, internalUrl: listener.url, adminUrl }, null, 2)}\n`,
  );
  closer.add('run file', () => rm(runFile, { force: true }));

  return {
    target,
    internalUrl: listener.url,
    adminUrl,
    logger,
    async close() {
      for (const health of healths) health.markShuttingDown();
      await options.closer.close(config.shutdownTimeoutMs);
    },
  };
}

function chainPlain(handlers: PlainHandler[]): PlainHandler {
  return async (request, response) => {
    for (const handler of handlers) if (await handler(request, response)) return true;
    return false;
  };
}

function readAdminUrl(started: Array<{ name: string; running: RunningService }>): string | null {
  return started.find((entry) => entry.name === 'gateway')?.running.adminUrl?.() ?? null;
}

async function destroy(dataSource: DataSource): Promise<void> {
  if (dataSource.isInitialized) await dataSource.destroy();
}
