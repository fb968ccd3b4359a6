import { SegmintError } from '../core/errors.js';
import { MISSING, type PrepParams } from '../prep/prepare.js';
import { type Dialect, type SqlKit, sqlKit } from '../sql/dialect.js';
import type { Model } from './model.js';

/** The prepared feature columns (p0, p1, ...) as SQL expressions over the raw feature columns. */
export function preparedColumns(prep: PrepParams, kit: SqlKit): string[] {
  const { d, q, num, str } = kit;
  const out: string[] = [];
  for (const step of prep.steps) {
    if (step.type === 'numeric') {
      let x = `coalesce(${kit.fx.double(q(step.name))}, ${num(step.impute)})`;
      if (step.log) x = `${d.ln}(${num(1)} + greatest(${x}, ${num(0)}))`;
      out.push(`((${x} - ${num(step.center)}) / ${num(step.scale)}) * ${num(step.weight)}`);
    } else {
      const v = `coalesce(${kit.fx.text(q(step.name))}, ${str(MISSING)})`;
      for (const level of step.levels)
        out.push(`CASE WHEN ${v} = ${str(level)} THEN ${num(step.weight)} ELSE ${num(0)} END`);
      if (step.other)
        out.push(
          `CASE WHEN ${v} IN (${step.levels.map(str).join(', ')}) THEN ${num(0)} ELSE ${num(step.weight)} END`,
        );
    }
  }
  return out;
}

/** Squared distance of (p0, p1, ...) to each centre, as SQL expressions. */
export function distanceColumns(centers: ArrayLike<number>, k: number, dim: number, kit: SqlKit): string[] {
  return Array.from({ length: k }, (_, c) =>
    Array.from(
      { length: dim },
      (_, t) => `(p${t} - ${kit.num(centers[c * dim + t])}) * (p${t} - ${kit.num(centers[c * dim + t])})`,
    ).join(' + '),
  );
}

/**
 * Compiles a model into one SQL SELECT that tags every row of `table` (customer_id plus the model's
 * feature columns in original units) inside the database: the preparation (impute, log1p, scale,
 * weight, one-hot), the distance to every centre, the nearest centre (the first on ties, as the
 * TypeScript scorer) and each segment's rule. Float literals are exponent-form doubles, cast
 * explicitly, so every engine computes in double precision; identifiers are quoted.
 */
export function compileScoringSql(
  model: Model,
  dialect: Dialect,
  table: string,
  idColumn = 'customer_id',
): string {
  if (model.clusterer.method === 'rfm') {
    throw new SegmintError(
      'MODEL_INVALID',
      'A classic RFM model assigns segments by score tables, which segmint does not compile to SQL yet.',
      {
        hint: 'Score it with segmint score --input, or use another cluster.method.',
      },
    );
  }
  const kit = sqlKit(dialect);
  const { d, q, num, str, least } = kit;
  const tableRef = table.split('.').map(q).join('.');
  const prepared = preparedColumns(model.prep as PrepParams, kit);
  const { k, dim, centers } = model.clusterer;
  const dist = distanceColumns(centers, k, dim, kit);
  const features = model.features.filter((f) => f.type === 'numeric').map((f) => f.name);
  const ruleFeatures = [
    ...new Set(model.rules.flatMap((r) => r.rule.any.flatMap((p) => p.all.map((c) => c.feature)))),
  ].filter((f) => features.includes(f));
  const carried = ruleFeatures.map((f) => q(f));
  const ruleCols = model.rules.map((r) => {
    const paths = r.rule.any.map((p) =>
      p.all.length
        ? `(${p.all.map((c) => `${kit.fx.double(q(c.feature))} ${c.op} ${num(c.value)}`).join(' AND ')})`
        : '(1 = 1)',
    );
    return `CASE WHEN ${paths.length ? paths.join(' OR ') : '1 = 0'} THEN 1 ELSE 0 END AS ${q(`rule_${r.segmentId}`)}`;
  });
  const nameCase = `CASE ${model.segments.map((s, c) => `WHEN d${c} = dmin THEN ${str(s.name)}`).join(' ')} END`;
  const idCase = `CASE ${model.segments.map((s, c) => `WHEN d${c} = dmin THEN ${s.id}`).join(' ')} END`;
  return [
    `SELECT ${q(idColumn)} AS ${q('customer_id')}, ${idCase} AS ${q('segment_id')}, ${nameCase} AS ${q('segment_name')}, sqrt(dmin) AS ${q('distance')}${ruleCols.length ? `,\n  ${ruleCols.join(',\n  ')}` : ''}`,
    `FROM (SELECT *, ${least(Array.from({ length: k }, (_, c) => `d${c}`))} AS dmin`,
    `  FROM (SELECT ${q(idColumn)}${carried.length ? `, ${carried.join(', ')}` : ''}, ${dist.map((e, c) => `${e} AS d${c}`).join(',\n      ')}`,
    `    FROM (SELECT ${q(idColumn)}${carried.length ? `, ${carried.join(', ')}` : ''}, ${prepared.map((e, t) => `${e} AS p${t}`).join(',\n        ')}`,
    `      FROM ${tableRef}${d.fence}) prepared${d.fence}) distances) nearest`,
  ].join('\n');
}
