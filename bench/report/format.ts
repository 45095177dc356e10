/**
 * Number formatting and a plain Markdown table, shared by the console output and the README section (the same
 * text in both places).
 * @module
 */

/** `1234.5` → `1,235`; small values keep 3 significant digits. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** A duration in ms, with the unit that reads best. */
export function ms(value: number): string {
  if (value >= 1000) return `${num(value / 1000)} s`;
  if (value >= 1) return `${num(value)} ms`;
  return `${num(value * 1000)} µs`;
}

/** A GitHub-flavoured Markdown table; `|` inside cells is escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}
