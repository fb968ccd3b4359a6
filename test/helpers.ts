import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { type LoadedRecipe, recipeFromObject } from '../src/config/load.js';
import { createRng, randNormal } from '../src/core/rng.js';
import { computeFeatures } from '../src/pipeline/run.js';
import { Duck } from '../src/sql/duckdb.js';

export const ROOT = resolve(import.meta.dirname, '..');

/** ../shared/data beside the project, or null. In CI its absence is a failure, elsewhere a skip. */
export function sharedData(t: TestContext, sub: string): string | null {
  const dir = resolve(ROOT, '..', 'shared', 'data', sub);
  if (existsSync(dir)) return dir;
  if (process.env.CI) throw new Error(`${dir} is missing: CI must run with ../shared beside the clone`);
  t.skip(`needs ../shared/data/${sub} (the shared datasets beside the project), which is not here`);
  return null;
}

export function tempDir(prefix = 'segmint-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes files (name -> text) into dir. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** Runs load + clean + features for a recipe object and returns the feature rows keyed by customer. */
export async function featuresOf(recipe: unknown, dir: string, sets: string[] = []) {
  const loaded: LoadedRecipe = recipeFromObject(recipe, dir, sets);
  const duck = await Duck.open();
  try {
    const { data, feats } = await computeFeatures(duck, loaded);
    const rows = await duck.all('SELECT * FROM features ORDER BY customer_id');
    const byId = Object.fromEntries(rows.map((r) => [String(r.customer_id), r]));
    return { data, feats, rows, byId };
  } finally {
    duck.close();
  }
}

export const listDir = (d: string): string[] => (existsSync(d) ? readdirSync(d).sort() : []);

/** Captures a CLI run's stdout/stderr. */
export function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), isTTY: false },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/**
 * Customers in three groups with features on a 1/1024 grid: every sum of features is exact in any
 * order, so centres computed in a database and in-process must agree to the bit.
 */
export function gridTable(n: number, seed: number) {
  const rng = createRng(seed);
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  const numeric = ['spend', 'orders', 'visits'].map((name, j) => ({
    name,
    values: Float64Array.from(
      { length: n },
      (_, i) => Math.round(1024 * (3 * (i % 3) + j + randNormal(rng))) / 1024,
    ),
  }));
  return { ids, numeric, categorical: [] };
}

/** Runs the CLI in-process; its exit code and what it printed. */
export async function cli(args: string[]) {
  const { main } = await import('../src/cli/main.js');
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

/** The cells of one CSV line (fields may be quoted, with "" inside). */
const cells = (line: string): string[] =>
  [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) => m[1]?.replaceAll('""', '"') ?? m[2]);

/** A small CSV file (a run's tags) as rows keyed by column. */
export function readCsv(file: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = cells(head);
  return lines.map((l) => Object.fromEntries(cells(l).map((v, i) => [cols[i], v])));
}
