import { SegmintError } from './errors.js';

/** Levenshtein distance between two strings. */
function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return dp[b.length];
}

/**
 * The option nearest to `name` (case and punctuation aside), when near enough to be a typo: for
 * "did you mean" hints on column names and recipe values alike.
 */
export function closest(name: string, options: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const n = norm(name);
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const o of options) {
    const d = levenshtein(n, norm(o));
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(n.length / 3)) ? best : undefined;
}

export function missingColumnError(
  column: string,
  available: readonly string[],
  file: string,
  path: string,
): SegmintError {
  const guess = closest(column, available);
  return new SegmintError(
    'DATA_COLUMN_MISSING',
    `Column "${column}" (${path}) is not in ${file}.${guess ? ` Did you mean "${guess}"?` : ''}`,
    {
      where: { file, column, path },
      hint: `It has: ${available.map((c) => `"${c}"`).join(', ')}.`,
      details: { available },
    },
  );
}
