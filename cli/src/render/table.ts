/** A plain-text table: a header row, a rule, then the rows; columns padded to their widest cell. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const marks = { green: '●', yellow: '▲', red: '✖' } as const;

export function statusMark(status: 'green' | 'yellow' | 'red'): string {
  return `${marks[status]} ${status}`;
}
