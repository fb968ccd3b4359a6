/** segmint's library API: everything the CLI does, callable from code. */

export { assessCampaign, measureCampaign } from './campaign/measure.js';
export { readOutcomes } from './campaign/outcomes.js';
export { planCampaign } from './campaign/plan.js';
export { cutTree, linkage } from './cluster/hierarchical.js';
export { kmeansPlusPlus, predictKMeans, transformKMeans } from './cluster/kmeans.js';
export { segmentStability, selectModel } from './cluster/select.js';
export {
  bgnbdConditional,
  bgnbdExpected,
  bgnbdPAlive,
  bgnbdProbN,
  clvValue,
  fitBgNbd,
  fitGammaGamma,
  fitParetoNbd,
  gammaGammaExpected,
  paretoConditional,
  paretoExpected,
  paretoPAlive,
  paretoProbN,
} from './clv/models.js';
export { loadRecipe, recipeFromObject, validateRecipe } from './config/load.js';
export { Recipe } from './config/recipe.js';
export { ERROR_CODES, SegmintError } from './core/errors.js';
export type { Matrix } from './core/matrix.js';
export { createRng, deriveSeed } from './core/rng.js';
export { generateDemoShop } from './demo/generate.js';
export { buildFeaturesInEngine, pullFeatures } from './engine/features.js';
export {
  assignmentSql,
  clusterInEngine,
  drawSample,
  type EngineClusterOptions,
  type EngineRunOptions,
  kmeansInEngine,
  lloydIterationSql,
  sampleSql,
  selectKInEngine,
  writeAssignment,
} from './engine/kmeans.js';
export { fitPrepInEngine } from './engine/prep.js';
export { scoreRfm } from './explain/rfm.js';
export { ruleJson, ruleSql, rulesFor, ruleText, treeCaseSql, treeText } from './explain/rules.js';
export { fitTree, predictTree, TREE_DEFAULTS } from './explain/tree.js';
export { activeKernels, setKernels } from './kernels/kernels.js';
export {
  bootstrapRatioDifference,
  minimumDetectableEffect,
  moments,
  newcombe,
  welch,
  wilson,
} from './metrics/experiment.js';
export {
  adjustedRandIndex,
  calinskiHarabasz,
  daviesBouldin,
  kneeIndex,
} from './metrics/quality.js';
export { type Model, parseModel, scoreModel } from './model/model.js';
export { compileScoringSql } from './model/sql.js';
export { fitKMeans, fitMiniBatchKMeans, silhouetteScore, type ThreadOption } from './parallel/api.js';
export { computeDrift, featureDistributions, psi } from './pipeline/drift.js';
export { runRecipe } from './pipeline/run.js';
export { applyPrep, fitPrep } from './prep/prepare.js';
export { buildReport } from './report/build.js';
export { buildApp } from './serve/app.js';
export { clickhouseEngine } from './sql/clickhouse.js';
export { DIALECTS, replaceTableSql } from './sql/dialect.js';
export { duckdbEngine } from './sql/duckdb.js';
export { openEngine } from './sql/open.js';
export { postgresEngine } from './sql/postgres.js';
export { cancelOnAbort, type Engine, type Queryable } from './sql/query.js';
