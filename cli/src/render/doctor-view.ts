import type { GetDoctorReportResponse } from '@mosaic/contracts/v1/admin_pb';
import { DependencyStatus, Tier } from '@mosaic/contracts/v1/common_pb';
import { renderTable, statusMark } from './table.js';

export type Light = 'green' | 'yellow' | 'red';

/** The stable, versioned JSON shape of `mosaic gateway doctor --json` (documented in the README). */
export interface DoctorJson {
  version: 1;
  endpoint: string;
  tier: 'local' | 'standalone' | 'federated' | 'unknown';
  configPath: string | null;
  mode: string;
  overall: Light;
  dependencies: Array<{
    name: string;
    status: Light;
    latencyMs: number | null;
    target: string;
    message: string;
    remedy: string;
  }>;
  services: Array<{ name: string; status: Light; latencyMs: number | null; message: string }>;
}

const lights: Record<number, Light> = {
  [DependencyStatus.GREEN]: 'green',
  [DependencyStatus.YELLOW]: 'yellow',
  [DependencyStatus.RED]: 'red',
};
const tierNames: Record<number, DoctorJson['tier']> = {
  [Tier.LOCAL]: 'local',
  [Tier.STANDALONE]: 'standalone',
  [Tier.FEDERATED]: 'federated',
};

export function doctorJson(report: GetDoctorReportResponse, endpoint: string): DoctorJson {
  return {
    version: 1,
    endpoint,
    tier: tierNames[report.tier] ?? 'unknown',
    configPath: report.configPath === '' ? null : report.configPath,
    mode: report.mode,
    overall: lights[report.overall] ?? 'red',
    dependencies: report.dependencies.map((dependency) => ({
      name: dependency.name,
      status: lights[dependency.status] ?? 'red',
      latencyMs: dependency.status === DependencyStatus.RED ? null : dependency.latencyMs,
      target: dependency.target,
      message: dependency.message,
      remedy: dependency.remedy,
    })),
    services: report.services.map((service) => ({
      name: service.name,
      status: lights[service.status] ?? 'red',
      latencyMs: service.latencyMs,
      message: service.message,
    })),
  };
}

const latency = (ms: number | null) => (ms === null ? '-' : `${ms} ms`);

export function renderDoctor(view: DoctorJson): string {
  const remedies = view.dependencies
    .filter((row) => row.status !== 'green' && row.remedy)
    .map((row) => `  ${row.name}: ${row.remedy}`);
  const reached = view.mode !== 'unknown';
  return [
    `Gateway ${view.endpoint}`,
    // Not reached: tier and config are what this machine's own settings say, not the gateway's.
    `  tier    ${view.tier}${reached ? '' : " (from this machine's config; the gateway was not reached)"}`,
    `  config  ${view.configPath ?? '(built-in defaults)'}`,
    `  mode    ${!reached ? 'unknown (the gateway was not reached)' : view.mode === 'all' ? 'monolithic (all services in one process)' : `microservices (this gateway: ${view.mode})`}`,
    `  overall ${statusMark(view.overall)}`,
    '',
    renderTable(
      ['DEPENDENCY', 'STATUS', 'LATENCY', 'TARGET', 'DETAIL'],
      view.dependencies.map((row) => [
        row.name,
        statusMark(row.status),
        latency(row.latencyMs),
        row.target,
        row.message,
      ]),
    ),
    '',
    renderTable(
      ['SERVICE', 'STATUS', 'LATENCY', 'DETAIL'],
      view.services.map((row) => [row.name, statusMark(row.status), latency(row.latencyMs), row.message]),
    ),
    ...(remedies.length > 0 ? ['', 'To fix:', ...remedies] : []),
  ].join('\n');
}

/** What doctor reports when the gateway itself cannot be reached: the local view, and why. */
export function unreachableDoctor(options: {
  endpoint: string;
  tier: DoctorJson['tier'];
  configPath: string | null;
  reason: string;
}): DoctorJson {
  return {
    version: 1,
    endpoint: options.endpoint,
    tier: options.tier,
    configPath: options.configPath,
    mode: 'unknown',
    overall: 'red',
    dependencies: [],
    services: [
      {
        name: 'gateway',
        status: 'red',
        latencyMs: null,
        message: `admin API unreachable at ${options.endpoint}: ${options.reason}. Start it (\`npm start\` or \`mosaic serve\`) or set --endpoint / MOSAIC_ENDPOINT.`,
      },
    ],
  };
}
