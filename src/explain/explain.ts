import type { ExplainSpec } from '../config/recipe.js';
import { inSentence, labelOf, type Meaning } from '../core/dictionary.js';
import { createMatrix, type Matrix, takeRows } from '../core/matrix.js';
import type { FeatureTable } from '../prep/prepare.js';
import { quantileSorted, sortedFinite } from '../prep/stats.js';
import { type BinaryMetrics, binaryMetrics, stratifiedSample, stratifiedSplit } from './evaluate.js';
import {
  assignPersonas,
  type Meanings,
  missingPersona,
  type Persona,
  type Position,
  quintileScore,
  TRAIT_BETTER,
  type Trait,
} from './personas.js';
import type { SegmentProfile } from './profile.js';
import {
  conditionCount,
  matches,
  type Rule,
  roundRule,
  ruleJson,
  ruleSentence,
  ruleSql,
  rulesFor,
  ruleText,
  treeCaseSql,
  treeText,
} from './rules.js';
import { fitTree, predictTree, TREE_DEFAULTS, type Tree, type TreeParams } from './tree.js';

export interface SegmentRule {
  segmentId: number;
  rule: Rule;
  text: string;
  sentence: string;
  sql: string;
  json: ReturnType<typeof ruleJson>;
  conditions: number;
  /** On the stratified hold-out customers, the tree fitted on the others. */
  holdout: BinaryMetrics;
  /** The rule against the segment labels of every customer. */
  fidelity: BinaryMetrics;
  /** With thresholds rounded to business numbers, when asked: the rounded rule and what it costs. */
  rounded: { rule: Rule; text: string; sql: string; fidelity: BinaryMetrics } | null;
}

/**
 * How the per-segment rules, applied as they are (each customer against every rule), give the
 * segments: the share of customers one rule matches and it is theirs, none matches, several match;
 * per segment, the share of its customers that its own rule alone matches.
 */
export interface RuleAgreement {
  exact: number;
  none: number;
  several: number;
  segments: { segmentId: number; exact: number }[];
}

/** Below this precision on everyone, a rule picks too many customers of other segments to stand for its own (a caution). */
export const RULE_PRECISION_FLOOR = 0.8;

/** The agreement of per-segment rules with the segment labels (0-based) of every customer. */
export function ruleAgreement(
  rules: Pick<SegmentRule, 'segmentId' | 'rule'>[],
  X: Matrix,
  names: string[],
  labels: Int32Array,
): RuleAgreement {
  const n = labels.length;
  const col = new Map(names.map((f, j) => [f, j]));
  const hits = new Uint8Array(n);
  // The one rule that matched (its segment, 0-based), or -1.
  const which = new Int32Array(n).fill(-1);
  for (const r of rules)
    for (let i = 0; i < n; i++)
      if (matches(r.rule, (f) => X.data[i * X.cols + (col.get(f) ?? -1)])) {
        if (hits[i] < 2) hits[i]++;
        which[i] = r.segmentId - 1;
      }
  let exact = 0;
  let none = 0;
  let several = 0;
  const k = rules.reduce((m, r) => Math.max(m, r.segmentId), 0);
  const own = new Float64Array(k);
  const size = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    size[labels[i]]++;
    if (hits[i] === 0) none++;
    else if (hits[i] > 1) several++;
    else if (which[i] === labels[i]) {
      exact++;
      own[labels[i]]++;
    }
  }
  return {
    exact: n ? exact / n : 0,
    none: n ? none / n : 0,
    several: n ? several / n : 0,
    segments: rules.map((r) => ({
      segmentId: r.segmentId,
      exact: size[r.segmentId - 1] ? own[r.segmentId - 1] / size[r.segmentId - 1] : 0,
    })),
  };
}

export interface Explanation {
  personas: Persona[];
  /** The per-segment rules applied together against the segments (null without rules). */
  agreement: RuleAgreement | null;
  /** Each segment's evidence per trait, which the names' claims were checked against. */
  positions: Position[];
  rules: SegmentRule[];
  /** One tree over all segments, its text and a SQL CASE that tags every customer. */
  tree: {
    tree: Tree;
    features: string[];
    classes: string[];
    text: string;
    caseSql: string;
    fidelity: number;
  } | null;
  /** How many customers the trees learnt from when they were sampled (null: all of them). */
  sample: number | null;
}

/** Numeric features with their catalogue kind and the trait the catalogue says it shows. */
export interface ExplainFeature {
  name: string;
  feature: string;
  trait?: Trait | undefined;
  /** Its dictionary entry: the words and units names and descriptions use. */
  meaning?: Meaning | undefined;
}

/**
 * Personas and rules for k profiled segments (labels 0..k-1, segment id = label + 1): a persona per
 * segment from its medians' positions among all customers; one-vs-rest decision-tree rules learned
 * on original-unit features, evaluated on a stratified seeded hold-out; and one tree over all.
 */
export function explainSegments(
  table: FeatureTable,
  features: ExplainFeature[],
  labels: Int32Array,
  k: number,
  profiles: SegmentProfile[],
  spec: ExplainSpec,
  seed: number,
): Explanation {
  const n = labels.length;
  const numeric = table.numeric;
  const sortedAll = numeric.map((c) => sortedFinite(c.values));
  const allMeans = sortedAll.map((v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null));
  // Personas from each segment's median position among all customers.
  // Only the catalogue's own features: a column merely named like one ("Recency" in a customer
  // table, which may count the other way, or one of several "purchases" columns) is not evidence
  // for RFM words; such data is named from its distinguishing features instead.
  const findColumn = (key: Trait): number =>
    numeric.findIndex((c) => features.find((f) => f.name === c.name)?.trait === key);
  const cols = Object.fromEntries(
    (Object.keys(TRAIT_BETTER) as Trait[]).map((key) => [key, findColumn(key)]),
  ) as Record<Trait, number>;
  // Each trait's evidence: the segment median's score among all customers and the standardized
  // difference of its mean, oriented so that positive is the better side.
  const positions: Position[] = profiles.map((prof) => {
    const pos: Position = {};
    for (const key of Object.keys(TRAIT_BETTER) as Trait[]) {
      const j = cols[key];
      if (j < 0) continue;
      const name = numeric[j].name;
      const med = prof.medians[name];
      const z = prof.stats[name]?.z;
      if (med === null || med === undefined || z === null || z === undefined) continue;
      const better = TRAIT_BETTER[key];
      pos[key] = {
        feature: name,
        score: quintileScore(sortedAll[j], med, better),
        z: better ? z : -z,
        rawZ: z,
        median: med,
        allMedian: sortedAll[j].length ? quantileSorted(sortedAll[j], 0.5) : null,
        mean: prof.means[name] ?? null,
        allMean: allMeans[j],
      };
    }
    return pos;
  });
  const meanings = meaningsOf(features);
  const personas = assignPersonas(
    positions,
    spec.names,
    profiles.map((p) => p.id),
    profiles.map((p) => p.distinguishing),
    meanings,
    profiles.map((p) => missingPersona(p.stats, meanings)),
  );

  // Rules on original-unit numeric features, missing values as the median. Above spec.sample
  // customers the trees learn from a stratified sample (each segment keeps its share); fidelity is
  // still measured on everyone.
  const { X, names } = ruleMatrix(table);
  const { X: Xs, y: ls, sampled } = learningSample(X, labels, spec.sample, seed);
  const treeParams = treeParamsFor(spec, n, seed);
  const rules: SegmentRule[] = [];
  if (spec.rules && names.length && k >= 2) {
    for (let s = 0; s < k; s++)
      rules.push(
        segmentRule(X, names, oneVsRest(labels, s), s + 1, personas[s].name, treeParams, spec, seed, (f) =>
          inSentence(meanings[f]?.label ?? labelOf(f)),
        ),
      );
  }
  let tree: Explanation['tree'] = null;
  if (names.length && k >= 2) {
    const t = fitTree(Xs, ls, k, treeParams);
    const pred = predictTree(t, X);
    let agree = 0;
    for (let i = 0; i < n; i++) if (pred[i] === labels[i]) agree++;
    const classes = personas.map((p, i) => `${i + 1} ${p.name}`);
    tree = {
      tree: t,
      features: names,
      classes,
      text: treeText(t, names, classes),
      caseSql: treeCaseSql(t, names, (c) => String(c + 1)),
      fidelity: agree / n,
    };
  }
  const agreement = rules.length ? ruleAgreement(rules, X, names, labels) : null;
  return { personas, positions, rules, agreement, tree, sample: sampled ? sampled.length : null };
}

/**
 * The rows a tree learns from: all of them up to `size`, else a stratified seeded sample of `size`
 * (each class keeps its share).
 */
function learningSample(
  X: Matrix,
  y: Int32Array,
  size: number,
  seed: number,
): { X: Matrix; y: Int32Array; sampled: Int32Array | null } {
  if (y.length <= size) return { X, y, sampled: null };
  const { sample } = stratifiedSample(y, size, seed);
  return { X: takeRows(X, sample), y: Int32Array.from(sample, (i) => y[i]), sampled: sample };
}

const oneVsRest = (labels: Int32Array, s: number): Int32Array => {
  const y = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) y[i] = labels[i] === s ? 1 : 0;
  return y;
};

/** The dictionary entries of the features, by name. */
export const meaningsOf = (features: ExplainFeature[]): Meanings =>
  Object.fromEntries(features.flatMap((f) => (f.meaning ? [[f.name, f.meaning]] : [])));

/** The numeric features in original units as a matrix for rule trees; a missing value counts as the median. */
export function ruleMatrix(table: FeatureTable): { X: Matrix; names: string[] } {
  const n = table.ids.length;
  const names = table.numeric.map((c) => c.name);
  const X = createMatrix(n, names.length);
  table.numeric.forEach((c, j) => {
    const sorted = sortedFinite(c.values);
    const med = sorted.length ? quantileSorted(sorted, 0.5) : 0;
    for (let i = 0; i < n; i++) X.data[i * names.length + j] = Number.isNaN(c.values[i]) ? med : c.values[i];
  });
  return { X, names };
}

/** Tree parameters from the recipe's explain section, for n customers (a sample of spec.sample when more). */
export function treeParamsFor(spec: ExplainSpec, n: number, seed: number): TreeParams {
  return {
    ...TREE_DEFAULTS,
    maxDepth: spec.tree.maxDepth,
    criterion: spec.tree.criterion,
    minSamplesLeaf: spec.tree.minSamplesLeaf ?? Math.max(1, Math.floor(0.01 * Math.min(n, spec.sample))),
    minImpurityDecrease: spec.tree.minImpurityDecrease,
    classWeight: spec.tree.classWeight === 'none' ? null : 'balanced',
    ccpAlpha: spec.tree.ccpAlpha,
    randomState: seed >>> 0 || 1,
  };
}

/**
 * Learns the rule for one target (1 = in it): a tree on a stratified training part, scored on the
 * hold-out; then a tree on everyone gives the published rule, checked against the labels of all.
 */
export function segmentRule(
  Xall: Matrix,
  names: string[],
  yall: Int32Array,
  segmentId: number,
  who: string,
  params: TreeParams,
  spec: ExplainSpec,
  seed: number,
  /** A feature's words in a sentence (the dictionary's label). */
  words: (feature: string) => string = (f) => f.replace(/_/g, ' '),
): SegmentRule {
  const all = { X: Xall, y: yall };
  const { X, y } = learningSample(Xall, yall, spec.sample, seed + segmentId);
  const { train, test } = stratifiedSplit(y, spec.testShare, seed + segmentId);
  const holdTree = fitTree(
    takeRows(X, train),
    Int32Array.from(train, (i) => y[i]),
    2,
    params,
  );
  const holdRule = rulesFor(holdTree, names, 1);
  const Xt = takeRows(X, test);
  const predictRule = (rule: Rule, M: Matrix) =>
    Int32Array.from({ length: M.rows }, (_, i) =>
      matches(rule, (f) => M.data[i * M.cols + names.indexOf(f)]) ? 1 : 0,
    );
  const holdout = binaryMetrics(
    Int32Array.from(test, (i) => y[i]),
    predictRule(holdRule, Xt),
  );
  const full = fitTree(X, y, 2, params);
  const rule = rulesFor(full, names, 1);
  const fidelity = binaryMetrics(all.y, predictRule(rule, all.X));
  let rounded: SegmentRule['rounded'] = null;
  if (spec.roundThresholds) {
    const r = roundRule(rule);
    rounded = {
      rule: r,
      text: ruleText(r),
      sql: ruleSql(r),
      fidelity: binaryMetrics(all.y, predictRule(r, all.X)),
    };
  }
  return {
    segmentId,
    rule,
    text: ruleText(rule),
    sentence: ruleSentence(rule, words, who),
    sql: ruleSql(rule),
    json: ruleJson(rule),
    conditions: conditionCount(rule),
    holdout,
    fidelity,
    rounded,
  };
}
