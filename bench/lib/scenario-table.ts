/** Small Markdown tables and target lines for the scenario phases (fan-out, audit, onboarding). */

export interface ScenarioTarget {
  target: string;
  status: 'met' | 'not met';
  detail: string;
}

/** A Markdown table whose columns are padded to their widest cell. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const render = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(render)].join(
    '\n',
  );
}

/** The targets block printed under a table (they are reported, they never fail the run). */
export function targetLines(targets: readonly ScenarioTarget[]): string {
  if (targets.length === 0) return '';
  return [
    'Targets (issue 6; reported, never fail the run):',
    ...targets.map((t) => `  ${t.target.padEnd(28)} ${t.status.padEnd(8)} ${t.detail}`),
  ].join('\n');
}

export const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** `1.04×`, or `-` when the ratio is not a number. */
export function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '-';
}

export function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '-';
}
