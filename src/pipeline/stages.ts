import {
  type Continued,
  methodLimits,
  type SegmentStability,
  type Selection,
  segmentStability,
  selectionFromLabels,
  selectModel,
  serialFitters,
  teamFitters,
} from '../cluster/select.js';
import { shownStability } from '../cluster/stability.js';
import type { Recipe } from '../config/recipe.js';
import { DriftSpec } from '../config/recipe.js';
import { append } from '../core/arrays.js';
import { daysBetween } from '../core/dates.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { type Explanation, explainSegments, meaningsOf } from '../explain/explain.js';
import {
  type Meanings,
  PERSONAS,
  type Persona,
  type Position,
  personaEvidence,
  personaOf,
  type Trait,
  traitNames,
} from '../explain/personas.js';
import { canonicalOrder, profileSegments, type SegmentProfile } from '../explain/profile.js';
import { RFM_ACTIONS, RFM_OTHERS, RFM_TABLE, scoreRfm } from '../explain/rfm.js';
import type { FeatureColumn, FeatureResult } from '../features/build.js';
import { traitColumn, traitOf } from '../features/catalogue.js';
import type { Drift, Migration } from '../model/record.js';
import { resolveThreads, Team } from '../parallel/team.js';
import { type FeatureTable, fitPrep } from '../prep/prepare.js';
import { CLV_COLUMNS } from './clv-stage.js';
import { computeDrift, driftWarnings, featureDistributions } from './drift.js';
import type { OnEvent } from './events.js';
import { type Refinement, refineSegment } from './refine.js';
import { type loadPreviousRun, migration, type PreviousRun, stableIds } from './stable.js';

/**
 * The run's middle stages as typed functions, each of the previous stage's value: prep (the
 * feature table -> the prepared matrix), cluster (the matrix -> a selection). Each returns what it
 * made, its warnings and the one-line detail the progress prints; runRecipe strings them together.
 */

export type Prepared = ReturnType<typeof fitPrep>;

export interface StageResult {
  warnings: Warning[];
  /** What the progress line says when the stage is done. */
  detail: string;
}

/** prep: impute, log, encode, scale and weigh the feature table; refuses a matrix it cannot cluster. */
export function prepStage(
  recipe: Recipe,
  table: FeatureTable,
  withClv: boolean,
  columns: FeatureColumn[] = [],
): StageResult & { prep: Prepared } {
  // The dictionary says what a missing value means: "zero" (no activity) is filled with 0, not
  // the median; the recipe's own prep.imputeOverrides win.
  const imputeOverrides = {
    ...Object.fromEntries(
      columns.filter((c) => c.meaning?.missing === 'zero').map((c) => [c.name, 'zero' as const]),
    ),
    ...recipe.prep.imputeOverrides,
  };
  const prep = fitPrep(table, {
    ...recipe.prep,
    imputeOverrides,
    // The CLV columns this run has (a purchase log without money has no spend or value).
    ...(withClv && !recipe.clv?.features
      ? {
          exclude: [...recipe.prep.exclude, ...CLV_COLUMNS.filter((c) => columns.some((x) => x.name === c))],
        }
      : {}),
  });
  if (prep.matrix.cols === 0)
    throw new SegmintError(
      'DATA_NO_FEATURES',
      `No feature is left to cluster on: ${prep.params.dropped.map((d) => `${d.name} (${d.reason})`).join(', ')}.`,
      { where: { path: 'features' } },
    );
  // A value the preparation cannot place (a huge raw value, scaled or weighted past the largest
  // double) stops here, named, rather than inside the clustering.
  const { rows, cols, data: X } = prep.matrix;
  for (let i = 0; i < rows * cols; i++) {
    if (Number.isFinite(X[i])) continue;
    const column = prep.params.outputNames[i % cols];
    throw new SegmintError(
      'DATA_NONFINITE',
      `The prepared value of "${column}" for customer ${table.ids[Math.floor(i / cols)]} is not finite: its feature value is too large for the scaling${recipe.prep.weights[column] ? ' and weight' : ''}.`,
      {
        where: { path: 'prep', column },
        hint: 'Fix or filter the huge values in the source, cap them (cleaning.cap), log-transform the feature (prep.log), or lower its weight.',
      },
    );
  }
  const logged = prep.params.steps.filter((s) => s.type === 'numeric' && s.log).map((s) => s.name);
  return {
    prep,
    warnings: prep.warnings,
    detail: `${prep.matrix.cols} prepared columns${logged.length ? `, log1p on ${logged.join(', ')}` : ''}`,
  };
}

export interface Clustered extends StageResult {
  sel: Selection;
  /** Classic RFM scores when the run has recency, frequency and monetary (tags carry them). */
  rfm: ReturnType<typeof scoreRfm> | null;
  /** Method rfm: the classic names present, in table order (label = index). */
  rfmNames: string[];
  /** The RFM name table used (the recipe's, else the classic one). */
  rfmTable: typeof RFM_TABLE;
  /** Each cluster's bootstrap stability (by the fit's labels), or null. */
  stability: SegmentStability | null;
}

/** cluster: classic RFM or model selection over k on the prepared matrix. */
export async function clusterStage(
  recipe: Recipe,
  table: FeatureTable,
  columns: FeatureColumn[],
  prep: Prepared,
  emit: OnEvent,
  continued: Continued | null = null,
): Promise<Clustered> {
  const n = table.ids.length;
  const kMax = typeof recipe.cluster.k === 'number' ? recipe.cluster.k : recipe.cluster.k.min;
  if (kMax > n)
    throw new SegmintError(
      'DATA_TOO_FEW_CUSTOMERS',
      `cluster.k asks for ${kMax} segments but only ${n} customer(s) are left after cleaning.`,
      { where: { path: 'cluster.k' } },
    );
  const limit = methodLimits(recipe.cluster, n);
  if (limit) throw new SegmintError('RECIPE_INVALID', limit, { where: { path: 'cluster.linkage' } });
  const team =
    (n >= 20000 || recipe.cluster.silhouetteSample >= 4000) && n >= 2000
      ? Team.get(resolveThreads(recipe.cluster.threads))
      : null;
  const fitters = teamFitters(team);
  // Classic RFM scores whenever the run has recency, frequency and monetary: tags carry them for
  // comparison, and method rfm segments by them.
  const rfmCol = (trait: string) => {
    const c = traitColumn(columns, trait);
    return c ? table.numeric.find((x) => x.name === c.name)?.values : undefined;
  };
  const [rc, fc, mc] = [rfmCol('recency'), rfmCol('frequency'), rfmCol('monetary')];
  const rfmTable = recipe.cluster.rfm.segments ?? RFM_TABLE;
  const rfm = rc && fc && mc ? scoreRfm(rc, fc, mc, recipe.cluster.rfm.bins, rfmTable) : null;
  let rfmNames: string[] = [];
  let sel: Selection;
  if (recipe.cluster.method === 'rfm') {
    if (!rfm)
      throw new SegmintError(
        'RECIPE_INVALID',
        'cluster.method rfm needs the features recency_days, frequency and monetary.',
        { where: { path: 'features' }, hint: 'Add them to features, or choose another cluster.method.' },
      );
    const order = [...rfmTable.map((t) => t.name), RFM_OTHERS];
    rfmNames = order.filter((nm) => rfm.counts[nm]);
    const rfmLabels = Int32Array.from(rfm.segment, (nm) => rfmNames.indexOf(nm));
    sel = await selectionFromLabels(
      prep.matrix,
      rfmLabels,
      rfmNames.length,
      `Classic RFM: ${recipe.cluster.rfm.bins} quantile scores each, ${rfmNames.length} named segments present.`,
      recipe.cluster,
      fitters,
    );
  } else
    sel = await selectModel(prep.matrix, recipe.cluster, {
      fitters,
      previous: continued,
      onProgress: (d, t, k) =>
        emit({ type: 'progress', stage: 'cluster', done: d, total: t, label: `k = ${k}` }),
    });
  emit({ type: 'progress', stage: 'cluster', done: 0, total: 1, label: 'segment stability' });
  const stability = await segmentStability(prep.matrix, sel.fit, recipe.cluster, fitters);
  return { sel, rfm, rfmNames, rfmTable, stability, warnings: sel.warnings, detail: sel.reason };
}

export interface Labelled extends StageResult {
  /** Per customer (table order): the segment index 0..k-1 in the run's order (segment id - 1). */
  labels: Int32Array;
  /** The centres in the run's segment order, k x dim. */
  centers: number[];
  profiles: SegmentProfile[];
  explanation: Explanation;
  /** Per segment: the id of the previous run's segment it continues, or null. */
  continues: (number | null)[];
  previous: PreviousRun | null;
  refinement: Refinement | null;
  /** Method rfm: the classic name of each segment, in the run's order. */
  rfmNameOf: string[];
  /** Per customer: the distance to its segment's centre in the prepared space. */
  distance: Float64Array;
  moves: Migration | null;
  distributions: ReturnType<typeof featureDistributions>;
  drift: Drift | null;
}

/**
 * profile: the segments in a stable order (continuing the previous run's ids where they match),
 * profiled, named from their numbers (inherited names kept only while their claims hold), their
 * rules learnt, the refine step and the drift against the previous run.
 */
export async function profileStage(
  recipe: Recipe,
  table: FeatureTable,
  feats: FeatureResult,
  prep: Prepared,
  clustered: Clustered,
  lineage: Awaited<ReturnType<typeof loadPreviousRun>>,
  referenceDate: string | null,
): Promise<Labelled> {
  const { sel, rfmNames } = clustered;
  const warnings: Warning[] = [];
  const k = sel.k;
  const dim = prep.matrix.cols;
  const revenue = feats.revenueColumn
    ? table.numeric.find((c) => c.name === feats.revenueColumn)?.values
    : undefined;
  let map = canonicalOrder(sel.fit.labels, k, sel.fit.centers, dim, revenue);
  // Stable ids: segments continue the previous run's ids (and names) where they match.
  const previous = lineage.previous;
  if (lineage.changed)
    warnings.push({
      code: 'LINEAGE_NEW',
      message: `The features differ from run ${lineage.changed} of recipe "${recipe.name}": segment ids and names start afresh (a new lineage).`,
    });
  let continues: (number | null)[] = new Array(k).fill(null);
  if (previous) {
    const canonCenters = new Float64Array(k * dim);
    for (let c = 0; c < k; c++)
      for (let t = 0; t < dim; t++) canonCenters[map[c] * dim + t] = sel.fit.centers[c * dim + t];
    const st = stableIds(prep.matrix, table.ids, canonCenters, k, previous);
    const canonical = map;
    map = Int32Array.from(canonical, (c) => st.position[c]);
    continues = st.continues;
    append(warnings, st.warnings);
  }
  const labels = Int32Array.from(sel.fit.labels, (l) => map[l]);
  const centers = new Array<number>(k * dim);
  for (let c = 0; c < k; c++)
    for (let t = 0; t < dim; t++) centers[map[c] * dim + t] = sel.fit.centers[c * dim + t];
  const profiles = profileSegments(table, labels, k, feats.revenueColumn);
  const explanation = explainSegments(
    table,
    feats.columns.map((c) => ({ ...c, trait: traitOf(c.feature) as Trait | undefined })),
    labels,
    k,
    profiles,
    recipe.explain,
    recipe.cluster.seed,
  );
  profiles.forEach((p, i) => {
    Object.assign(p, explanation.personas[i]);
  });
  // Each segment's bootstrap stability, by the fit's label mapped to its position.
  const { stability } = clustered;
  if (stability)
    map.forEach((position, c) => {
      profiles[position].stability = stability.jaccard[c];
    });
  for (const p of profiles)
    if (p.stability !== undefined && p.stability !== null && shownStability(p.stability) < 0.6)
      warnings.push({
        code: 'SEGMENT_UNSTABLE',
        message: `Segment ${p.id} ("${p.name}") is not a stable group: refitted on ${stability!.runs} resamples of the customers, its best match overlaps it by ${p.stability.toFixed(2)} on average (Jaccard: members in both over members in either; under 0.6). Treat it as a region of the data rather than a kind of customer.`,
      });
  const meanings = meaningsOf(feats.columns);
  for (const p of profiles) {
    const gone = (p.claims ?? []).filter((c) => c.stat === 'missing');
    if (gone.length)
      warnings.push({
        code: 'SEGMENT_MISSING_DATA',
        message: `Segment ${p.id} ("${p.name}") is set apart by missing data: ${gone.map((c) => `${c.label} is not on file for ${Math.round(100 * (c.value ?? 0))}% of it (all customers: ${Math.round(100 * (c.allValue ?? 0))}%)`).join('; ')}. Its figures there were imputed for clustering.`,
      });
  }
  if (previous) {
    // A segment that continues one of the previous run keeps its name and action; a new one whose
    // persona name is taken by a continuing segment gets a numeral.
    // The inherited name is kept only while its claims still hold for the segment; otherwise the
    // segment keeps its new, evidence-backed name and the change is reported.
    const carried = new Set<string>();
    profiles.forEach((p, i) => {
      const before =
        continues[i] === null ? undefined : previous.model.segments.find((sg) => sg.id === continues[i]);
      if (!before || recipe.explain.names[String(p.id)]) return;
      // Kept with this run's figures: the description and action are made again from its claims.
      const kept = stillHolds(before.name, explanation.positions[i], p, meanings);
      if (kept) {
        Object.assign(p, kept);
        carried.add(before.name);
      } else if (before.name !== p.name)
        warnings.push({
          code: 'SEGMENT_RENAMED',
          message: `Segment ${p.id} was "${before.name}" in run ${previous.runId}; its numbers no longer back that name, so it is now "${p.name}".`,
        });
    });
    // A new segment whose name a continuing one took is named again from its own traits.
    profiles.forEach((p, i) => {
      if (continues[i] !== null || !carried.has(p.name)) return;
      const taken = new Set(profiles.map((q) => q.name));
      const t = traitNames(p.distinguishing, meanings).find((x) => !taken.has(x.name));
      if (t) Object.assign(p, t);
      else p.name = `${p.name} (new segment)`;
    });
  }
  // Method rfm: segments keep their classic names (recipe overrides still win).
  const rfmNameOf: string[] = [];
  if (recipe.cluster.method === 'rfm') {
    map.forEach((nw, old) => {
      rfmNameOf[nw] = rfmNames[old];
    });
    profiles.forEach((p, i) => {
      Object.assign(
        p,
        { name: rfmNameOf[i], ...RFM_ACTIONS[rfmNameOf[i]] },
        recipe.explain.names[String(p.id)] ?? {},
      );
    });
  }
  const refinement = recipe.refine
    ? await refineSegment(table, feats.columns, labels, k, recipe, recipe.refine, serialFitters)
    : null;
  if (recipe.refine && !refinement)
    warnings.push({
      code: 'REFINE_SKIPPED',
      message: 'The refine step found nothing to refine (see the warnings above).',
    });
  if (refinement) append(warnings, refinement.warnings);
  const segName = (id: number) => profiles[id - 1].name;
  const distance = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const e = prep.matrix.data[i * dim + t] - centers[labels[i] * dim + t];
      s += e * e;
    }
    distance[i] = Math.sqrt(s);
  }

  // Drift: this run against the previous run of its lineage, on the recipe's thresholds.
  const segmentIds = Int32Array.from(labels, (l) => l + 1);
  const moves = previous ? migration(previous, table.ids, segmentIds, segName) : null;
  const distributions = featureDistributions(table);
  const drift =
    previous && moves
      ? computeDrift({
          previous,
          migration: moves,
          prep: prep.params,
          centers,
          segments: profiles,
          continues,
          table,
          spec: recipe.drift ?? DriftSpec.parse({}),
          ...(referenceDate && previous.referenceDate
            ? {
                elapsed: {
                  days: daysBetween(previous.referenceDate, referenceDate),
                  features: new Set(feats.columns.filter((c) => c.meaning?.ages).map((c) => c.name)),
                },
              }
            : {}),
        })
      : null;
  if (drift) append(warnings, driftWarnings(drift));

  return {
    labels,
    centers,
    profiles,
    explanation,
    continues,
    previous,
    refinement,
    rfmNameOf,
    distance,
    moves,
    distributions,
    drift,
    warnings,
    detail: `${profiles.map((p) => `${p.name}: ${p.size}`).join(', ')}${explanation.sample ? `; rules learnt on a stratified sample of ${explanation.sample.toLocaleString('en-US')} customers (explain.sample), checked on all` : ''}`,
  };
}

/**
 * The claims of an inherited name checked against the segment now: a persona's claims, or the
 * traits a name made from traits spoke of (each still differing the same way); null when they no
 * longer hold.
 */
function stillHolds(name: string, pos: Position, p: SegmentProfile, meanings: Meanings): Persona | null {
  const key = (Object.keys(PERSONAS) as (keyof typeof PERSONAS)[]).find((k) => PERSONAS[k].name === name);
  if (key) {
    const claims = personaEvidence(key, pos);
    return claims ? personaOf(key, pos, claims, meanings) : null;
  }
  return traitNames(p.distinguishing, meanings).find((t) => t.name === name) ?? null;
}
