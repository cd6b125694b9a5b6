/** The machine account under the results table: where the machine's CPU went, per request. */

import { type Row, scenarioLabels } from './report.js';
import { markdownTable } from './scenario-table.js';

/**
 * Scenario by scenario, ms per request over the measured windows (medians of the rounds): the
 * serving process, B's ca + grants + audit (ours only), Postgres, Valkey, and the rest (the load
 * generator, the kernel's work not charged to a process, anything else running). With both cores
 * busy, L2's machine CPU ÷ a row's predicts that row's req/s ÷ L2.
 */
export function machineTable(rows: readonly Row[]): string {
  const accounted = rows.filter((row) => row.machine);
  if (accounted.length === 0) return '';
  const fixed = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(3));
  const lines = accounted.map((row) => {
    const m = row.machine!;
    const rest =
      m.serverMs === undefined
        ? undefined
        : m.machineCpuMs - m.serverMs - (m.servicesMs ?? 0) - m.postgresMs - m.valkeyMs;
    return [
      scenarioLabels[row.scenario],
      String(row.concurrency),
      row.ratioToL2 ? `${row.ratioToL2.throughput.toFixed(2)}×` : '-',
      fixed(m.machineCpuMs),
      m.predictedThroughputRatioToL2 === undefined ? '-' : `${m.predictedThroughputRatioToL2.toFixed(2)}×`,
      fixed(m.serverMs),
      fixed(m.servicesMs),
      fixed(m.postgresMs),
      fixed(m.valkeyMs),
      fixed(rest),
      `${Math.round(m.stolenShare * 100)}%`,
    ];
  });
  return [
    "Where the machine's CPU went, ms per request (whole machine over the measured windows; medians):",
    markdownTable(
      [
        'scenario',
        'conc',
        'req/s ÷ L2',
        'machine CPU ms/req',
        'L2 ÷ this',
        'server',
        'B ca+grants+audit',
        'Postgres',
        'Valkey',
        'rest',
        'stolen',
      ],
      lines,
    ),
  ].join('\n');
}
