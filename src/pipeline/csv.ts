/**
 * RFC 4180 CSV text: fields with a comma, quote or newline are quoted; null is empty. With
 * `digits`, numbers are written to that many significant digits (62.989999999999995 -> 62.99).
 */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  opts: { digits?: number } = {},
): string {
  const number = (v: number) =>
    !Number.isFinite(v)
      ? ''
      : opts.digits && !Number.isInteger(v)
        ? String(Number(v.toPrecision(opts.digits)))
        : String(v);
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'number' ? number(v) : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[header, ...rows].map((r) => r.map(cell).join(',')).join('\n')}\n`;
}
