/** Aggregation of repeated rounds (medians), ratios to the baselines, targets, and the table. */
import type { LoadResult } from '../load/load-generator.js';
import { median } from './latency.js';

export type ScenarioId = 'l1' | 'l2' | 'nginx' | 'ours';

/** Every load scenario, in the order rounds run them and the table lists them. */
export const scenarioIds: readonly ScenarioId[] = ['l1', 'l2', 'nginx', 'ours'];

export const scenarioNames: Record<ScenarioId, string> = {
  l1: 'L1 transport ceiling (bare node:http2 mTLS)',
  l2: 'L2 data ceiling (L1 + the List SQL through pg)',
  nginx: 'nginx mTLS + HTTP/1.1 keep-alive to a bare Node backend running the List SQL',
  ours: '4 ours: FederationService.List (100 tasks)',
};

/** Short names for the table. */
export const scenarioLabels: Record<ScenarioId, string> = {
  l1: 'L1 transport',
  l2: 'L2 data',
  nginx: 'nginx + Node',
  ours: '4 ours List',
};

/** Scenarios that were asked for but could not run, with the reason (e.g. nginx not installed). */
export type SkippedScenarios = Partial<Record<ScenarioId, string>>;

export interface RoundSample {
  round: number;
  scenario: ScenarioId;
  concurrency: number;
  load: LoadResult;
  /**
   * CPU time of the processes answering the scenario (L1's or L2's server, nginx and its backend,
   * B's gateway) during the run divided by every request they served.
   */
  serverCpuMsPerRequest?: number;
  /** CPU time of B's gateway process during the run divided by every request it served. */
  gatewayCpuMsPerRequest?: number;
  /** The same for B's ca, grants and audit processes together (audit writing included). */
  servicesCpuMsPerRequest?: number;
  /** Peak RSS of B's gateway process during the run (sampled every 100 ms). */
  gatewayPeakRssMb?: number;
}

export interface TargetCheck {
  target: string;
  status: 'met' | 'not met' | 'pending' | 'skipped';
  detail: string;
}

export interface Ratio {
  throughput: number;
  p99: number;
}

export interface Row {
  scenario: ScenarioId;
  name: string;
  concurrency: number;
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  throughputRps: number;
  errors: number;
  /** Throughput and p99 of this row divided by L1's at the same concurrency (ratios of medians). */
  ratioToL1: Ratio | null;
  /** The same against L2, the baseline of the targets. */
  ratioToL2: Ratio | null;
  serverCpuMsPerRequest?: number;
  /** serverCpuMsPerRequest ÷ L2's at the same concurrency. */
  serverCpuRatioToL2?: number;
  gatewayCpuMsPerRequest?: number;
  servicesCpuMsPerRequest?: number;
  /** The highest of the rounds. */
  gatewayPeakRssMb?: number;
  /** The whole machine's CPU per request over the measured windows (medians of the rounds). */
  machine?: MachineAccount;
  targets: TargetCheck[];
}

/** Where the machine's CPU went, per request (ms, medians of the rounds), and what it predicts. */
export interface MachineAccount {
  machineCpuMs: number;
  /** L2's machineCpuMs ÷ this row's: the req/s ÷ L2 a saturated machine predicts. */
  predictedThroughputRatioToL2?: number;
  /** The scenario's serving processes, and B's ca + grants + audit (ours only), in the same windows. */
  serverMs?: number;
  servicesMs?: number;
  postgresMs: number;
  valkeyMs: number;
  /** Share of the cores' time the hypervisor stole during the windows. */
  stolenShare: number;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** `{ [key]: median }` of the values, or nothing when there are none. */
function medianOf<K extends string>(key: K, values: number[]): Partial<Record<K, number>> {
  return values.length > 0 ? ({ [key]: round3(median(values)) } as Record<K, number>) : {};
}

function ratio(row: Row, baseline: Row | undefined): Ratio | null {
  if (!baseline) return null;
  return {
    throughput: round3(row.throughputRps / baseline.throughputRps),
    p99: round3(row.p99Ms / baseline.p99Ms),
  };
}

export function aggregate(samples: readonly RoundSample[], skipped: SkippedScenarios = {}): Row[] {
  const keys = [...new Set(samples.map((s) => `${s.scenario}/${s.concurrency}`))];
  const rows: Row[] = keys.map((key) => {
    const group = samples.filter((s) => `${s.scenario}/${s.concurrency}` === key);
    const first = group[0]!;
    const of = (pick: (s: RoundSample) => number | undefined) =>
      group.flatMap((s) => (pick(s) === undefined ? [] : [pick(s)!]));
    const serverCpu = of((s) => s.serverCpuMsPerRequest);
    const cpu = of((s) => s.gatewayCpuMsPerRequest);
    const servicesCpu = of((s) => s.servicesCpuMsPerRequest);
    const rss = of((s) => s.gatewayPeakRssMb);
    const machineCpu = of((s) => s.load.machine?.machineMs);
    return {
      scenario: first.scenario,
      name: scenarioNames[first.scenario],
      concurrency: first.concurrency,
      rounds: group.length,
      p50Ms: round3(median(group.map((s) => s.load.latency.p50Ms))),
      p99Ms: round3(median(group.map((s) => s.load.latency.p99Ms))),
      throughputRps: Math.round(median(group.map((s) => s.load.throughputRps))),
      errors: group.reduce((sum, s) => sum + s.load.errors, 0),
      ratioToL1: null,
      ratioToL2: null,
      ...(serverCpu.length > 0 ? { serverCpuMsPerRequest: round3(median(serverCpu)) } : {}),
      ...(cpu.length > 0 ? { gatewayCpuMsPerRequest: round3(median(cpu)) } : {}),
      ...(servicesCpu.length > 0 ? { servicesCpuMsPerRequest: round3(median(servicesCpu)) } : {}),
      ...(rss.length > 0 ? { gatewayPeakRssMb: Math.max(...rss) } : {}),
      ...(machineCpu.length > 0
        ? {
            machine: {
              machineCpuMs: round3(median(machineCpu)),
              ...medianOf(
                'serverMs',
                of((s) => s.load.machine?.serverMs),
              ),
              ...medianOf(
                'servicesMs',
                of((s) => s.load.machine?.servicesMs),
              ),
              postgresMs: round3(median(of((s) => s.load.machine?.postgresMs))),
              valkeyMs: round3(median(of((s) => s.load.machine?.valkeyMs))),
              stolenShare: round3(median(of((s) => s.load.machine?.stolenShare))),
            },
          }
        : {}),
      targets: [],
    };
  });
  const at = (scenario: ScenarioId, concurrency: number) =>
    rows.find((other) => other.scenario === scenario && other.concurrency === concurrency);
  for (const row of rows) {
    row.ratioToL1 = ratio(row, at('l1', row.concurrency));
    row.ratioToL2 = ratio(row, at('l2', row.concurrency));
    const l2Cpu = at('l2', row.concurrency)?.serverCpuMsPerRequest;
    if (row.serverCpuMsPerRequest !== undefined && l2Cpu) {
      row.serverCpuRatioToL2 = round3(row.serverCpuMsPerRequest / l2Cpu);
    }
    const l2Machine = at('l2', row.concurrency)?.machine?.machineCpuMs;
    if (row.machine && row.machine.machineCpuMs > 0 && l2Machine) {
      row.machine.predictedThroughputRatioToL2 = round3(l2Machine / row.machine.machineCpuMs);
    }
  }
  for (const row of rows) {
    if (row.scenario === 'ours') {
      row.targets = targetsFor(row, at('nginx', row.concurrency), skipped.nginx, at('l2', row.concurrency));
    }
  }
  const order = (row: Row) => scenarioIds.indexOf(row.scenario);
  return rows.sort((a, b) => order(a) - order(b) || a.concurrency - b.concurrency);
}

/** "; nginx had 3 errors" when a compared row lost requests (its req/s counts successes only). */
function errorsNote(row: Row): string {
  return row.errors > 0 ? `; ${scenarioLabels[row.scenario]} had ${row.errors} errors` : '';
}

/**
 * The targets for scenario 4, against L2 and nginx at the same concurrency: throughput at
 * concurrency 16 and above (the issue names 16 and 64), p99 at every concurrency.
 */
function targetsFor(
  row: Row,
  nginx: Row | undefined,
  nginxSkipped: string | undefined,
  l2Row: Row | undefined,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (row.gatewayCpuMsPerRequest !== undefined) {
    // L2's own server process is the floor the gateway cannot go under: it runs the same query.
    const floor =
      l2Row?.serverCpuMsPerRequest === undefined
        ? ''
        : `; L2's server alone spends ${l2Row.serverCpuMsPerRequest} ms/req, ours ${row.serverCpuRatioToL2}× that`;
    checks.push({
      target: 'CPU ≤ 0.35 ms/req',
      status: row.gatewayCpuMsPerRequest <= 0.35 ? 'met' : 'not met',
      detail: `${row.gatewayCpuMsPerRequest} ms/req (gateway process; ca+grants+audit add ${row.servicesCpuMsPerRequest ?? '?'}${floor})`,
    });
  }
  if (row.gatewayPeakRssMb !== undefined) {
    checks.push({
      target: 'gateway RSS ≤ 200 MB',
      status: row.gatewayPeakRssMb <= 200 ? 'met' : 'not met',
      detail: `peak ${row.gatewayPeakRssMb} MB during the rounds`,
    });
  }
  const l2 = row.ratioToL2;
  if (row.concurrency >= 16) {
    checks.push(
      l2
        ? {
            target: 'req/s ≥ 0.6× L2',
            status: l2.throughput >= 0.6 ? 'met' : 'not met',
            detail: `${l2.throughput}× L2`,
          }
        : { target: 'req/s ≥ 0.6× L2', status: 'pending', detail: 'L2 not measured in this run' },
    );
    if (nginx) {
      checks.push({
        target: 'req/s > nginx',
        status: row.throughputRps > nginx.throughputRps ? 'met' : 'not met',
        detail:
          `${row.throughputRps} vs ${nginx.throughputRps} req/s ` +
          `(${round3(row.throughputRps / nginx.throughputRps)}× nginx)${errorsNote(nginx)}`,
      });
    } else if (nginxSkipped) {
      checks.push({ target: 'req/s > nginx', status: 'skipped', detail: `nginx skipped: ${nginxSkipped}` });
    } else {
      checks.push({ target: 'req/s > nginx', status: 'pending', detail: 'nginx not run (--scenario)' });
    }
  }
  checks.push(
    l2
      ? { target: 'p99 ≤ 1.5× L2', status: l2.p99 <= 1.5 ? 'met' : 'not met', detail: `${l2.p99}× L2` }
      : { target: 'p99 ≤ 1.5× L2', status: 'pending', detail: 'L2 not measured in this run' },
  );
  return checks;
}

export function table(rows: readonly Row[], skipped: SkippedScenarios = {}): string {
  const header = [
    'scenario',
    'conc',
    'p50 ms',
    'p99 ms',
    'req/s',
    'req/s ÷ L1',
    'p99 ÷ L1',
    'req/s ÷ L2',
    'p99 ÷ L2',
    'CPU ms/req',
    'CPU ÷ L2',
    'GW RSS MB',
    'errors',
  ];
  const times = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(2)}×`);
  const lines = rows.map((row) => [
    scenarioLabels[row.scenario],
    String(row.concurrency),
    row.p50Ms.toFixed(2),
    row.p99Ms.toFixed(2),
    String(row.throughputRps),
    times(row.ratioToL1?.throughput),
    times(row.ratioToL1?.p99),
    times(row.ratioToL2?.throughput),
    times(row.ratioToL2?.p99),
    row.serverCpuMsPerRequest === undefined ? '-' : row.serverCpuMsPerRequest.toFixed(3),
    times(row.serverCpuRatioToL2),
    row.gatewayPeakRssMb === undefined ? '-' : String(row.gatewayPeakRssMb),
    String(row.errors),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const render = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const scenario of scenarioIds) {
    // A skipped scenario keeps its place in the table, with the reason instead of figures.
    const reason = skipped[scenario];
    if (reason) out.push(`| ${scenarioLabels[scenario].padEnd(widths[0]!)} | skipped: ${reason}`);
    lines.forEach((line, i) => {
      if (rows[i]!.scenario === scenario) out.push(render(line));
    });
  }
  const targets = rows.flatMap((row) =>
    row.targets.map(
      (t) =>
        `  ${row.scenario} c=${row.concurrency}  ${t.target.padEnd(18)} ${t.status.padEnd(8)} ${t.detail}`,
    ),
  );
  if (targets.length > 0) out.push('', 'Targets (issue 6; reported, never fail the run):', ...targets);
  return out.join('\n');
}
