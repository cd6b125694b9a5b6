/**
 * The whole machine's CPU, read from Linux's /proc: what every process spent (all cores together),
 * what the hypervisor stole, and what the shared dependencies spent (Postgres backends, Valkey).
 * At concurrency 16 and 64 every scenario keeps both cores busy, so its throughput is the machine's
 * CPU divided by the CPU one request costs everywhere (server, database, load generator, Valkey),
 * not by the serving process's share alone; this is the account that tells the two apart. Elsewhere
 * (no /proc) it answers undefined and the figures are left out, never guessed.
 */
import { readFileSync } from 'node:fs';
import { microsPerTick, readProcesses, treeCpuMicros } from './process-tree-cpu.js';

type Dependency = 'postgres' | 'valkey';

/** Process names (the `comm` of /proc/<pid>/stat) of the dependencies the account names. */
const dependencyOfName = new Map<string, Dependency>([
  ['postgres', 'postgres'],
  ['redis-server', 'valkey'],
  ['valkey-server', 'valkey'],
]);

/** The processes that answer the scenario (`server`) and B's other services, by root pid. */
export interface AccountPids {
  server: number[];
  services?: number[];
}

export interface MachineCpu {
  /** CPU every process and the kernel spent, all cores together (user, nice, system, irq, softirq). */
  busyMicros: number;
  /** Time the hypervisor ran something else while this machine had work (steal). */
  stolenMicros: number;
  /** Every tick the cores counted, idle included. */
  totalMicros: number;
  /**
   * CPU of each `postgres` (server and backends, whichever database they serve) and
   * `redis-server` / `valkey-server` process, by pid: differences are taken per process, so a
   * backend that exits (a pool closing an idle client) takes its CPU with it instead of making the
   * sum go down, and one that starts counts from zero. What a backend spent in the window before
   * it exited is left to the rest of the machine.
   */
  dependencies: Map<number, { dependency: Dependency; micros: number }>;
  /** CPU of the `pids` process trees, read in the same pass (undefined when one is gone). */
  serverMicros?: number;
  servicesMicros?: number;
}

export function readMachineCpu(pids?: AccountPids): MachineCpu | undefined {
  let cpuLine: string | undefined;
  try {
    cpuLine = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('cpu '));
  } catch {
    return undefined;
  }
  const processes = readProcesses();
  if (!cpuLine || !processes) return undefined;
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = cpuLine
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map((field) => Number(field) * microsPerTick);
  if (steal === undefined || [user, nice, system, idle, iowait, irq, softirq].some(Number.isNaN)) {
    return undefined;
  }
  const busyMicros = user! + nice! + system! + irq! + softirq!;
  const dependencies: MachineCpu['dependencies'] = new Map();
  for (const [pid, stat] of processes) {
    const dependency = dependencyOfName.get(stat.name);
    if (dependency) dependencies.set(pid, { dependency, micros: stat.cpuMicros });
  }
  // The trees come from the same pass over /proc as the rest of the reading.
  const serverMicros = pids ? treeCpuMicros(pids.server, processes) : undefined;
  const servicesMicros = pids?.services ? treeCpuMicros(pids.services, processes) : undefined;
  return {
    busyMicros,
    stolenMicros: steal,
    totalMicros: busyMicros + idle! + iowait! + steal,
    dependencies,
    ...(serverMicros === undefined ? {} : { serverMicros }),
    ...(servicesMicros === undefined ? {} : { servicesMicros }),
  };
}

/** Per request, in ms, of what the machine spent between two readings; undefined without both. */
export interface MachineCpuPerRequest {
  machineMs: number;
  postgresMs: number;
  valkeyMs: number;
  /** The scenario's serving processes and B's other services, when their pids were given. */
  serverMs?: number;
  servicesMs?: number;
  /** Share of the cores' time the hypervisor stole during the run (0–1). */
  stolenShare: number;
}

export function machineCpuPerRequest(
  before: MachineCpu | undefined,
  after: MachineCpu | undefined,
  requests: number,
): MachineCpuPerRequest | undefined {
  if (!before || !after || requests <= 0) return undefined;
  const perRequest = (micros: number) => micros / 1000 / requests;
  const spent: Record<Dependency, number> = { postgres: 0, valkey: 0 };
  for (const [pid, now] of after.dependencies) {
    spent[now.dependency] += now.micros - (before.dependencies.get(pid)?.micros ?? 0);
  }
  const total = after.totalMicros - before.totalMicros;
  const between = (pick: (reading: MachineCpu) => number | undefined) => {
    const [from, to] = [pick(before), pick(after)];
    return from === undefined || to === undefined ? undefined : perRequest(to - from);
  };
  const serverMs = between((reading) => reading.serverMicros);
  const servicesMs = between((reading) => reading.servicesMicros);
  return {
    machineMs: perRequest(after.busyMicros - before.busyMicros),
    postgresMs: perRequest(spent.postgres),
    valkeyMs: perRequest(spent.valkey),
    ...(serverMs === undefined ? {} : { serverMs }),
    ...(servicesMs === undefined ? {} : { servicesMs }),
    stolenShare: total > 0 ? (after.stolenMicros - before.stolenMicros) / total : 0,
  };
}
