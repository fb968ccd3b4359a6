import { maxOf } from '../core/arrays.js';
import { isSegmintError, SegmintError, toSegmintError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';

/** Exit codes: 0 done, 2 usage or recipe error, 3 data error, 1 internal error. */
/** Exit codes: 4 is a run that succeeded but crossed a drift threshold under --fail-on-drift. */
export const EXIT = { ok: 0, internal: 1, usage: 2, data: 3, drift: 4 } as const;

export function exitCodeFor(e: SegmintError): number {
  switch (e.category) {
    case 'usage':
    case 'recipe':
      return EXIT.usage;
    case 'data':
    case 'model':
      return EXIT.data;
    default:
      return EXIT.internal;
  }
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: !!process.stderr.isTTY,
};

/** Prints an error for people (stderr) or machines (--json on stdout) and returns the exit code. */
export function reportError(e: unknown, json: boolean, io: Io): number {
  const err = toSegmintError(e);
  if (json) {
    io.out(`${JSON.stringify({ ok: false, error: err.toJSON() }, null, 2)}\n`);
  } else {
    const where = Object.entries(err.where)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    // The database's own words, where segmint's sentence came from them: a detail line after it.
    const db = (err.details as { database?: unknown } | undefined)?.database;
    const detail =
      typeof db === 'string' && !err.message.includes(db) ? `  detail: ${redactSecrets(db)}\n` : '';
    io.err(
      `error ${err.code}: ${err.message}\n${detail}${where ? `  where: ${where}\n` : ''}  fix: ${err.hint}\n`,
    );
    if (!isSegmintError(e) || err.code === 'INTERNAL')
      io.err(`${redactSecrets(e instanceof Error && e.stack ? e.stack : String(e))}\n`);
  }
  return exitCodeFor(err);
}

/** A plain-text table with right-aligned numbers. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = header.map((h, j) => Math.max(h.length, maxOf(cells.map((r) => r[j].length))));
  const numeric = header.map((_, j) =>
    rows.every((r) => typeof r[j] === 'number' || /^[-+]?[\d,.]+%?$/.test(String(r[j]))),
  );
  const line = (r: string[]) =>
    r
      .map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export const fmtInt = (n: number | null): string =>
  n === null ? '–' : Math.round(n).toLocaleString('en-US');
export const fmtPct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
export const fmtNum = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || Number.isNaN(x)
    ? '-'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export { SegmintError };
