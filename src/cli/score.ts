// segmint score: scoring feature rows from a file, or inside a database, with a saved model.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SegmintError } from '../core/errors.js';
import { missingColumnError } from '../core/nearest.js';
import { detectFormat, readError, readerSql, resolveSourcePath } from '../data/read.js';
import { type Model, parseModel, requiredFeatures, ruleVerdicts, scoreModel } from '../model/model.js';
import { compileScoringSql } from '../model/sql.js';
import { writeFileAtomic } from '../pipeline/atomic.js';
import { CLV_COLUMNS } from '../pipeline/clv-stage.js';
import { toCsv } from '../pipeline/csv.js';
import { DIALECTS, type Dialect } from '../sql/dialect.js';
import { Duck, qi } from '../sql/duckdb.js';
import { openEngine } from '../sql/open.js';
import { replaceTableAs } from '../sql/tables.js';
import { type CommonOpts, engineFromFlags, printJson } from './common.js';
import type { Io } from './output.js';

/** The largest model.json read (a model is a few hundred KB; /dev/zero would fill the memory). */
export const MODEL_MAX_BYTES = 64 * 1024 * 1024;

export function loadModelFile(file: string): Model {
  let text: string;
  const hint = 'Point --model at a model.json written by `segmint run` (e.g. <out>/latest/model.json).';
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(resolve(file));
  } catch {
    throw new SegmintError('MODEL_INVALID', `Cannot read the model file ${file}.`, { where: { file }, hint });
  }
  if (!st.isFile())
    throw new SegmintError('MODEL_INVALID', `${file} is not a regular file (a device, a pipe or a folder).`, {
      where: { file },
      hint,
    });
  if (st.size > MODEL_MAX_BYTES)
    throw new SegmintError(
      'MODEL_INVALID',
      `${file} is ${st.size.toLocaleString('en-US')} bytes: a model.json is far smaller (at most ${MODEL_MAX_BYTES.toLocaleString('en-US')}).`,
      { where: { file }, hint },
    );
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch {
    throw new SegmintError('MODEL_INVALID', `Cannot read the model file ${file}.`, { where: { file }, hint });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SegmintError('MODEL_INVALID', `${file} is not JSON: ${(e as Error).message}.`, {
      where: { file },
    });
  }
  return parseModel(raw, file);
}

export interface ScoreRow {
  customer_id: string;
  segment_id: number;
  segment_name: string;
  segment_action: string;
  distance: number;
  /** With a refined model: the sub-segment ("2.1") for customers of the refined segment, else null. */
  subsegment_id: string | null;
  /** With a CLV model and the CLV columns in the input (as in tags): P(alive), expected purchases and spend, CLV. */
  clv?: Record<string, number | null>;
  /** Segment id -> whether that segment's rule fires for the row (null when a feature it needs is absent). */
  rules: Record<string, boolean | null>;
}

/** Scores a file of feature rows (CSV/Parquet/JSON) with a model. */
export async function scoreFile(model: Model, input: string, idColumn?: string): Promise<ScoreRow[]> {
  const file = resolveSourcePath(input, process.cwd());
  const duck = await Duck.open();
  try {
    const { sql, params } = readerSql(file, detectFormat(file), undefined);
    try {
      await duck.exec(`CREATE TABLE input AS SELECT * FROM ${sql}`, params);
    } catch (e) {
      throw readError(e, file);
    }
    const cols = (await duck.describe('input')).map((c) => c.name);
    const id = idColumn ?? cols.find((c) => /^(customer_?id|customer id|id)$/i.test(c)) ?? cols[0];
    if (!cols.includes(id)) throw missingColumnError(id, cols, file, '--id');
    const need = requiredFeatures(model);
    for (const f of need)
      if (!cols.includes(f.name))
        throw new SegmintError('SCORE_INPUT', `${file} has no column "${f.name}", which the model needs.`, {
          where: { file, column: f.name },
          hint: `The model needs: ${need.map((x) => x.name).join(', ')}.`,
        });
    const sel = need.map(
      (f) =>
        `${f.type === 'numeric' ? `TRY_CAST(${qi(f.name)} AS DOUBLE)` : `CAST(${qi(f.name)} AS VARCHAR)`} AS ${qi(f.name)}`,
    );
    const r = await duck.columns(
      `SELECT CAST(${qi(id)} AS VARCHAR) AS __id${sel.length ? `, ${sel.join(', ')}` : ''} FROM input`,
    );
    const byName = new Map(need.map((f, j) => [f.name, r.values[j + 1]]));
    const ids = r.values[0] as (string | null)[];
    const scored = scoreModel(model, {
      rows: ids.length,
      numeric: (n) => byName.get(n) as Float64Array | undefined,
      categorical: (n) => byName.get(n) as (string | null)[] | undefined,
    });
    // Rules read features in original units, possibly ones the clustering left out.
    const allRules = [...model.rules.map((r) => r.rule), ...(model.refine?.rule ? [model.refine.rule] : [])];
    const ruleFeatures = [
      ...new Set(allRules.flatMap((r) => r.any.flatMap((p) => p.all.map((c) => c.feature)))),
    ].filter((f) => cols.includes(f));
    const rf = ruleFeatures.length
      ? await duck.columns(
          `SELECT ${ruleFeatures.map((f) => `TRY_CAST(${qi(f)} AS DOUBLE) AS ${qi(f)}`).join(', ')} FROM input`,
        )
      : null;
    const ruleCols = new Map(ruleFeatures.map((f, j) => [f, rf!.values[j] as Float64Array]));
    const clvCols = model.clv ? CLV_COLUMNS.filter((c) => cols.includes(c)) : [];
    const clvVals = clvCols.length
      ? (
          await duck.columns(
            `SELECT ${clvCols.map((c) => `TRY_CAST(${qi(c)} AS DOUBLE) AS ${qi(c)}`).join(', ')} FROM input`,
          )
        ).values
      : [];
    return ids.map((cid, i) => {
      const seg = model.segments[scored.label[i]];
      return {
        customer_id: cid ?? '',
        segment_id: seg.id,
        segment_name: seg.name,
        segment_action: seg.action,
        distance: scored.distance[i],
        subsegment_id: scored.subsegment[i],
        ...(clvCols.length
          ? {
              clv: Object.fromEntries(
                clvCols.map((c, j) => [
                  c.replace(/^clv_/, ''),
                  Number.isNaN((clvVals[j] as Float64Array)[i]) ? null : (clvVals[j] as Float64Array)[i],
                ]),
              ),
            }
          : {}),
        rules: ruleVerdicts(model, (f) => ruleCols.get(f)?.[i]),
      };
    });
  } finally {
    duck.close();
  }
}

/** Compiles the model to SQL and prints it, or runs it inside DuckDB or PostgreSQL into a table. */
async function scoreInEngine(
  model: Model,
  opts: CommonOpts & {
    table?: string;
    outTable?: string;
    database?: string;
    url?: string;
    sql?: string;
    engine?: string;
    id?: string;
  },
  io: Io,
): Promise<void> {
  const dialect = (opts.sql ?? opts.engine) as Dialect;
  if (!(dialect in DIALECTS))
    throw new SegmintError(
      'USAGE',
      `"${dialect}" is not a SQL dialect segmint renders: use ${Object.keys(DIALECTS).join(', ')}.`,
    );
  if (!opts.table) throw new SegmintError('USAGE', '--table names the table of customer features to score.');
  const sql = compileScoringSql(model, dialect, opts.table, opts.id ?? 'customer_id');
  if (opts.sql) {
    if (opts.json) printJson(io, { dialect, sql });
    else io.out(`${sql};\n`);
    return;
  }
  if (!opts.outTable) throw new SegmintError('USAGE', '--out-table names the table to write the tags into.');
  if (dialect === 'spark' || dialect === 'bigquery')
    throw new SegmintError(
      'USAGE',
      `--engine ${dialect} is not supported for running; print its SQL with --sql ${dialect}.`,
    );
  const engine = await openEngine(engineFromFlags({ ...opts, engine: dialect }), '--engine');
  let rows: number;
  try {
    rows = await replaceTableAs(engine, opts.outTable, sql);
  } catch (e) {
    throw new SegmintError(
      'DB_ERROR',
      `${dialect}: scoring into ${opts.outTable} failed; the last ${opts.outTable} is as it was: ${(e as Error).message}`,
      { details: { sql } },
    );
  } finally {
    await engine.close();
  }
  if (opts.json) printJson(io, { engine: dialect, table: opts.outTable, rows });
  else if (!opts.quiet) io.err(`  scored ${rows} customer(s) in ${dialect} -> ${opts.outTable}\n`);
}

/** The options of `segmint score`. */
export type ScoreOpts = CommonOpts & {
  model: string;
  input?: string;
  id?: string;
  out?: string;
  engine?: string;
  table?: string;
  outTable?: string;
  database?: string;
  url?: string;
  sql?: string;
};

/** `segmint score`: with a file of feature rows, or inside a database (--engine, --sql). */
export async function scoreCommand(opts: ScoreOpts, io: Io): Promise<void> {
  const model = loadModelFile(opts.model);
  if (opts.sql || opts.engine) {
    await scoreInEngine(model, opts, io);
    return;
  }
  if (!opts.input)
    throw new SegmintError(
      'USAGE',
      'score needs --input (a file of feature rows), or --engine / --sql to score inside a database.',
    );
  const rows = await scoreFile(model, opts.input, opts.id);
  const ruleIds = [
    ...model.rules.map((r) => String(r.segmentId)),
    ...(model.refine?.rule ? [model.refine.target] : []),
  ];
  const refined = model.refine ? ['subsegment_id'] : [];
  const csv = toCsv(
    [
      'customer_id',
      'segment_id',
      'segment_name',
      'segment_action',
      'distance',
      ...refined,
      ...ruleIds.map((id) => `rule_${id}`),
    ],
    rows.map((r) => [
      r.customer_id,
      r.segment_id,
      r.segment_name,
      r.segment_action,
      r.distance,
      ...(model.refine ? [r.subsegment_id] : []),
      ...ruleIds.map((id) => (r.rules[id] === null ? null : r.rules[id] ? 1 : 0)),
    ]),
  );
  if (opts.out) writeFileAtomic(resolve(opts.out), csv);
  if (opts.json)
    printJson(io, { rows: rows.length, ...(opts.out ? { out: resolve(opts.out) } : { scores: rows }) });
  else if (!opts.out) io.out(csv);
  else if (!opts.quiet) io.err(`  scored ${rows.length} row(s) -> ${resolve(opts.out)}\n`);
}
