import {
  methodLimits,
  type Selection,
  selectionFromLabels,
  selectModel,
  teamFitters,
} from '../cluster/select.js';
import type { Recipe } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { RFM_OTHERS, RFM_TABLE, scoreRfm } from '../explain/rfm.js';
import type { FeatureColumn } from '../features/build.js';
import { resolveThreads, Team } from '../parallel/team.js';
import { type FeatureTable, fitPrep } from '../prep/prepare.js';
import { CLV_COLUMNS } from './clv-stage.js';
import type { OnEvent } from './events.js';

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
): StageResult & { prep: Prepared } {
  const prep = fitPrep(
    table,
    withClv && !recipe.clv?.features
      ? { ...recipe.prep, exclude: [...recipe.prep.exclude, ...CLV_COLUMNS] }
      : recipe.prep,
  );
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
}

/** cluster: classic RFM or model selection over k on the prepared matrix. */
export async function clusterStage(
  recipe: Recipe,
  table: FeatureTable,
  columns: FeatureColumn[],
  prep: Prepared,
  emit: OnEvent,
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
  const rfmCol = (kind: string) => {
    const c = columns.find((f) => f.feature === kind && f.type === 'numeric');
    return c ? table.numeric.find((x) => x.name === c.name)?.values : undefined;
  };
  const [rc, fc, mc] = [rfmCol('recency_days'), rfmCol('frequency'), rfmCol('monetary')];
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
      onProgress: (d, t, k) =>
        emit({ type: 'progress', stage: 'cluster', done: d, total: t, label: `k = ${k}` }),
    });
  return { sel, rfm, rfmNames, rfmTable, warnings: sel.warnings, detail: sel.reason };
}
