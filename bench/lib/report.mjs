/** The table `npm run bench` prints: figure | ours | trivial | ratio | target | pass/fail. */

const COLUMNS = ['figure', 'ours', 'trivial', 'ratio', 'target', 'result'];

export function formatNumber(value, unit) {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** One table row from a summary row of bench/run.mjs. */
function cells(row) {
  return [
    row.figure,
    formatNumber(row.ours, row.unit),
    row.trivialLabel ?? formatNumber(row.trivial, row.unit),
    row.ratioLabel ??
      (row.ratio === undefined ? '—' : Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}×` : 'n/a'),
    // `targetLabel`: a row that is not judged, shown next to the target it bears on.
    row.target ?? row.targetLabel ?? '—',
    row.pass === undefined ? '' : row.pass ? 'pass' : 'FAIL',
  ];
}

/** The rows as an aligned plain-text table (also valid Markdown). */
export function renderTable(rows) {
  const table = [COLUMNS, ...rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((line) => line[i].length)));
  const line = (values) => `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(table[0]),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...table.slice(1).map(line),
  ].join('\n');
}
