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

/** Lifecycle states of grants and peers. */
export type LifecycleStatus = 'pending' | 'active' | 'suspended' | 'degraded' | 'revoked' | 'unknown';

const lifecycleMarks: Record<LifecycleStatus, string> = {
  active: '●',
  pending: '○',
  suspended: '◐',
  degraded: '▲',
  revoked: '✖',
  unknown: '?',
};

/** A mark and the word, so the state reads the same with and without colour. */
export function lifecycleMark(status: LifecycleStatus): string {
  return `${lifecycleMarks[status]} ${status}`;
}

/**
 * A key/value block: keys padded to the widest, indented by two spaces; a value given as several
 * lines continues under the first, aligned.
 */
export function renderKeyValues(rows: ReadonlyArray<readonly [string, string | readonly string[]]>): string {
  const width = Math.max(0, ...rows.map(([key]) => key.length));
  return rows
    .flatMap(([key, value]) => {
      const lines = typeof value === 'string' ? [value] : value.length > 0 ? value : ['-'];
      return lines.map((line, index) => `  ${(index === 0 ? key : '').padEnd(width)}  ${line}`.trimEnd());
    })
    .join('\n');
}
