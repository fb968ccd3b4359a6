import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assignMinCost } from '../cluster/assignment.js';
import type { Continued } from '../cluster/select.js';
import type { Recipe } from '../config/recipe.js';
import type { Warning } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { type Model, parseModel } from '../model/model.js';
import { type FeatureDistribution, type Migration, readRunRecord } from '../model/record.js';
import { type Duck, qs } from '../sql/duckdb.js';

export interface PreviousRun {
  runId: string;
  runDir: string;
  model: Model;
  /** customer id -> previous segment id */
  segmentOf: Map<string, number>;
  /** Its features' distributions (runs before they were recorded: null). */
  distributions: FeatureDistribution[] | null;
  /** The k it chose, and the rule it chose k by ("min..max select", or "fixed"). */
  k: number;
  kRule: string;
  /** Its reference date (YYYY-MM-DD). */
  referenceDate: string | null;
}

/** How a recipe chooses k, in words: what a re-run compares to know the recipe's k changed. */
export const kRuleOf = (k: number | { min: number; max: number; select: string }): string =>
  typeof k === 'number' ? `fixed ${k}` : `${k.min}..${k.max} ${k.select}`;

/**
 * The previous run's segments in this run's prepared space: per previous segment (in the previous
 * ids' order), the mean of this run's rows of its customers (k x dim) and how many there are (a
 * segment with none has a mean of 0s and a count of 0).
 */
export function previousMeans(
  X: Matrix,
  ids: readonly string[],
  prev: PreviousRun,
): { means: Float64Array; counts: Float64Array } {
  const d = X.cols;
  const prevIds = prev.model.segments.map((s) => s.id);
  const index = new Map(prevIds.map((id, j) => [id, j]));
  const means = new Float64Array(prevIds.length * d);
  const counts = new Float64Array(prevIds.length);
  for (let i = 0; i < ids.length; i++) {
    const j = index.get(prev.segmentOf.get(ids[i]) ?? -1);
    if (j === undefined) continue;
    counts[j]++;
    for (let t = 0; t < d; t++) means[j * d + t] += X.data[i * d + t];
  }
  for (let j = 0; j < prevIds.length; j++)
    if (counts[j]) for (let t = 0; t < d; t++) means[j * d + t] /= counts[j];
  return { means, counts };
}

/** The previous segments' means as a warm start, or null when one has no customer in this run (a start needs all k). */
export function carriedCentres(X: Matrix, ids: readonly string[], prev: PreviousRun): Float64Array | null {
  const { means, counts } = previousMeans(X, ids, prev);
  return counts.some((c) => c === 0) ? null : means;
}

/** What makes two runs one lineage: the recipe's name and the features it clusters on. */
export interface Lineage {
  name: string;
  features: string[];
}

const sameFeatures = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/**
 * The latest earlier run of the same lineage (recipe name and feature set) in the workspace, with
 * its model and customer tags: a different recipe sharing the output folder starts fresh, and a
 * changed feature set starts a new lineage (said in `changed`).
 */
export async function loadPreviousRun(
  duck: Duck,
  outDir: string,
  lineage: Lineage,
): Promise<{ previous: PreviousRun | null; changed: string | null }> {
  const runsDir = join(outDir, 'runs');
  if (!existsSync(runsDir)) return { previous: null, changed: null };
  let changed: string | null = null;
  const runs = readdirSync(runsDir)
    .filter((d) => !d.startsWith('.') && existsSync(join(runsDir, d, 'model.json')))
    .sort()
    .reverse();
  for (const id of runs) {
    const runDir = join(runsDir, id);
    try {
      const model = parseModel(JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8')));
      if (model.name !== lineage.name) continue;
      const features = model.features.map((f) => f.name);
      if (!sameFeatures(features, lineage.features)) {
        changed ??= id;
        // A changed feature set is a new lineage: runs before the change do not count either.
        return { previous: null, changed };
      }
      const run = readRunRecord(join(runDir, 'run.json'));
      const file = existsSync(join(runDir, 'tags.parquet'))
        ? `read_parquet(${qs(join(runDir, 'tags.parquet'))})`
        : `read_csv(${qs(join(runDir, 'tags.csv'))}, types = {'customer_id': 'VARCHAR'})`;
      const rows = await duck.all(`SELECT CAST(customer_id AS VARCHAR) AS c, segment_id AS s FROM ${file}`);
      return {
        previous: {
          runId: run.runId,
          runDir,
          model,
          segmentOf: new Map(rows.map((r) => [String(r.c), Number(r.s)])),
          distributions: run.distributions ?? null,
          k: run.cluster.k,
          kRule: kRuleOf(
            ((run.cluster as { kRange?: { min: number; max: number; select: string } | null }).kRange ??
              run.cluster.k) as number | { min: number; max: number; select: string },
          ),
          referenceDate: run.data.dated ? run.data.referenceDate : null,
        },
        changed: null,
      };
    } catch {}
  }
  return { previous: null, changed };
}

/**
 * What the cluster stage continues of the previous run: its k and its segments' centres in this
 * run's prepared space, unless the recipe's k rule changed or the user asked to choose k afresh.
 */
export function continuedFrom(
  prev: PreviousRun | null,
  recipe: Recipe,
  ids: readonly string[],
  X: Matrix,
  reselect: boolean,
): Continued | null {
  if (!prev) return null;
  const rule = kRuleOf(recipe.cluster.k);
  return {
    runId: prev.runId,
    k: prev.k,
    centers: carriedCentres(X, ids, prev),
    reselect: reselect
      ? 'segmint run --reselect'
      : rule !== prev.kRule
        ? `the recipe's k changed (${prev.kRule} in run ${prev.runId}, ${rule} now)`
        : null,
    margin: recipe.cluster.keepMargin,
  };
}

export interface StableIds {
  /** Canonical label -> final position (segment id - 1). */
  position: Int32Array;
  /** Final position -> previous segment id it continues, or null for a new segment. */
  continues: (number | null)[];
  warnings: Warning[];
}

/**
 * Keeps segment ids stable from run to run: each new segment is matched to a previous one by
 * optimal assignment on the distance between centroids in this run's prepared feature space (a
 * previous segment's centroid is the mean of this run's rows of its customers). A matched segment
 * keeps its previous id when that id exists in this run (ids are 1..k); the others take the free
 * ids in order of value.
 */
export function stableIds(
  X: Matrix,
  ids: readonly string[],
  centers: ArrayLike<number>,
  k: number,
  prev: PreviousRun,
): StableIds {
  const d = X.cols;
  const prevIds = prev.model.segments.map((s) => s.id);
  const kp = prevIds.length;
  const { means, counts } = previousMeans(X, ids, prev);
  const cost = new Float64Array(k * kp).fill(Number.POSITIVE_INFINITY);
  for (let a = 0; a < k; a++) {
    for (let j = 0; j < kp; j++) {
      if (!counts[j]) continue;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const e = centers[a * d + t] - means[j * d + t];
        s += e * e;
      }
      cost[a * kp + j] = Math.sqrt(s);
    }
  }
  const match = assignMinCost(cost, k, kp);
  const position = new Int32Array(k).fill(-1);
  const continues: (number | null)[] = new Array(k).fill(null);
  const taken = new Set<number>();
  const warnings: Warning[] = [];
  for (let a = 0; a < k; a++) {
    if (match[a] < 0) continue;
    const id = prevIds[match[a]];
    if (id >= 1 && id <= k && !taken.has(id)) {
      position[a] = id - 1;
      continues[id - 1] = id;
      taken.add(id);
    }
  }
  let next = 1;
  for (let a = 0; a < k; a++) {
    if (position[a] >= 0) continue;
    while (taken.has(next)) next++;
    position[a] = next - 1;
    taken.add(next);
    if (match[a] >= 0) {
      continues[next - 1] = prevIds[match[a]];
      warnings.push({
        code: 'SEGMENT_RENUMBERED',
        message: `Segment ${prevIds[match[a]]} of the previous run continues as segment ${next}: this run has only ${k} segments.`,
      });
    }
  }
  return { position, continues, warnings };
}

export type { Migration } from '../model/record.js';

/** Who moved where since the previous run; new and departed customers counted apart. */
export function migration(
  prev: PreviousRun,
  ids: readonly string[],
  segmentIds: ArrayLike<number>,
  name: (id: number) => string,
): Migration {
  const cells = new Map<string, number>();
  let stayed = 0;
  let moved = 0;
  let newCustomers = 0;
  const now = new Set<string>();
  const prevName = new Map(prev.model.segments.map((s) => [s.id, s.name]));
  for (let i = 0; i < ids.length; i++) {
    now.add(ids[i]);
    const before = prev.segmentOf.get(ids[i]);
    const to = `${segmentIds[i]} ${name(segmentIds[i])}`;
    const from = before === undefined ? 'new customers' : `${before} ${prevName.get(before) ?? ''}`;
    if (before === undefined) newCustomers++;
    else if (before === segmentIds[i]) stayed++;
    else moved++;
    cells.set(`${from}\u0000${to}`, (cells.get(`${from}\u0000${to}`) ?? 0) + 1);
  }
  let departed = 0;
  for (const [c, s] of prev.segmentOf) {
    if (now.has(c)) continue;
    departed++;
    const key = `${s} ${prevName.get(s) ?? ''}\u0000departed`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  const matrix = [...cells.entries()]
    .map(([key, count]) => {
      const [from, to] = key.split('\u0000');
      return { from, to, count };
    })
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  return { previousRunId: prev.runId, matrix, stayed, moved, newCustomers, departed };
}
