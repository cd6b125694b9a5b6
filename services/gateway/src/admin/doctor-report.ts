import { Health, HealthCheckResponse_ServingStatus } from '@mosaic/contracts/health/v1/health_pb';
import { DependencyStatus, Tier } from '@mosaic/contracts/v1/common_pb';
import {
  type DependencyReport,
  detectDependencies,
  type ServiceDeps,
  type ServiceName,
  serviceNames,
} from '@mosaic/platform';

const statusByName = {
  green: DependencyStatus.GREEN,
  yellow: DependencyStatus.YELLOW,
  red: DependencyStatus.RED,
} as const;

export const tierByName = {
  local: Tier.LOCAL,
  standalone: Tier.STANDALONE,
  federated: Tier.FEDERATED,
} as const;

interface ServiceRow {
  name: string;
  status: DependencyStatus;
  latencyMs: number;
  message: string;
}

/**
 * What `mosaic gateway doctor` shows: the tier, the config file, every dependency probed now (with
 * latency), and the health of every service, asked in process or over the network.
 */
export async function buildDoctorReport(deps: ServiceDeps) {
  const { config } = deps;
  const [dependencies, services] = await Promise.all([
    detectDependencies({
      tier: config.tier,
      postgresUrl: deps.postgresUrl,
      ...(config.storage.type === 'pglite' ? { embeddedDir: config.storage.dir } : {}),
      redisUrl: config.queue.type === 'bullmq' ? config.queue.url : null,
      memory: config.memory.type,
      timeoutMs: config.probeTimeoutMs,
    }),
    serviceHealth(deps),
  ]);
  const statuses = [
    ...dependencies.map((dependency) => statusByName[dependency.status]),
    ...services.map((service) => service.status),
  ];
  const overall = statuses.includes(DependencyStatus.RED)
    ? DependencyStatus.RED
    : statuses.includes(DependencyStatus.YELLOW)
      ? DependencyStatus.YELLOW
      : DependencyStatus.GREEN;
  return {
    tier: tierByName[config.tier],
    configPath: config.configPath ?? '',
    mode: deps.target,
    overall,
    dependencies: dependencies.map(toDependencyMessage),
    services,
  };
}

function toDependencyMessage(report: DependencyReport) {
  return {
    name: report.name,
    status: statusByName[report.status],
    latencyMs: report.latencyMs ?? 0,
    target: report.target,
    message: report.message,
    remedy: report.remedy,
  };
}

async function serviceHealth(deps: ServiceDeps): Promise<ServiceRow[]> {
  const inProcess = new Map((await deps.processHealth()).map((health) => [health.name, health]));
  return Promise.all(
    serviceNames.map(async (name): Promise<ServiceRow> => {
      const local = inProcess.get(name);
      if (local) {
        return {
          name,
          status: local.ready ? DependencyStatus.GREEN : DependencyStatus.RED,
          latencyMs: local.latencyMs,
          message: local.detail,
        };
      }
      return remoteHealth(deps, name);
    }),
  );
}

async function remoteHealth(deps: ServiceDeps, name: ServiceName): Promise<ServiceRow> {
  const started = performance.now();
  const url = deps.config.serviceUrls[name];
  try {
    const response = await deps.clients
      .client(Health, name)
      .check({ service: name }, { timeoutMs: deps.config.probeTimeoutMs });
    const serving = response.status === HealthCheckResponse_ServingStatus.SERVING;
    return {
      name,
      status: serving ? DependencyStatus.GREEN : DependencyStatus.RED,
      latencyMs: Math.round(performance.now() - started),
      message: serving ? `ready at ${url}` : `not ready at ${url}: see its /readyz`,
    };
  } catch (error) {
    return {
      name,
      status: DependencyStatus.RED,
      latencyMs: Math.round(performance.now() - started),
      message: `unreachable at ${url} (${(error as Error).message}); start it or fix MOSAIC_${name.toUpperCase()}_URL`,
    };
  }
}
