/**
 * Planning a campaign: a seeded, stratified treatment / holdout split inside each chosen segment
 * of a run, stable for a customer, exported for the CRM, recorded in the workspace history, with
 * the minimum detectable effect per segment from the segment's own recent behaviour.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LoadedRecipe } from '../config/load.js';
import { engineOf } from '../config/recipe.js';
import { addDays } from '../core/dates.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { failpoint } from '../core/failpoint.js';
import { openRecipeEngine } from '../engine/features.js';
import { minimumDetectableEffect, moments } from '../metrics/experiment.js';
import type { CampaignPlan, PlannedSegment } from '../model/campaign.js';
import { parseModel } from '../model/model.js';
import { readRunRecord } from '../model/record.js';
import { buildDirAtomic, writeFileAtomic } from '../pipeline/atomic.js';
import { Duck, qs } from '../sql/duckdb.js';
import { connectPostgres } from '../sql/postgres.js';
import { writeQueryToEngine } from '../sql/tables.js';
import { hasOrders, readOutcomes, recipeAt } from './outcomes.js';
import { campaignDir, checkCampaignName, reconcileCampaigns, recordPlan, resolveRunDir } from './store.js';

export interface PlanOptions {
  outDir: string;
  name: string;
  /** Segment ids or names of the run. */
  segments: (number | string)[];
  /** Share of each segment held out, strictly between 0 and 1. */
  holdout: number;
  runId?: string;
  seed?: number;
  /** First day of the campaign (YYYY-MM-DD); default today (UTC). */
  start?: string;
  /** Days the campaign runs and is measured over (default 28). */
  days?: number;
  alpha?: number;
  power?: number;
  formats?: ('csv' | 'parquet')[];
  /** Also write the members into this table of the recipe's engine. */
  table?: string;
  /** The recipe the baseline (and later the measurement) reads; default the run's own file. */
  loaded?: LoadedRecipe | null;
  replace?: boolean;
  now?: () => Date;
}

export const SPLIT_RULE =
  'Within each segment, customers are ordered by sha256("<seed>:<campaign>:<customer id>"); the first round(holdout x size) are the control.';

/** The position of a customer in the split: the first 13 hex digits of sha256(seed:campaign:id). */
export const splitKey = (seed: number, campaign: string, id: string): string =>
  createHash('sha256').update(`${seed}:${campaign}:${id}`).digest('hex').slice(0, 13);

/** Control members of one segment: the first round(holdout x n) by split key (ties by id). */
export function controlOf(ids: string[], seed: number, campaign: string, holdout: number): Set<string> {
  const keyed = ids.map((id) => ({ id, k: splitKey(seed, campaign, id) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const m = Math.round(holdout * ids.length);
  return new Set(keyed.slice(0, m).map((x) => x.id));
}

const isoDay = /^\d{4}-\d{2}-\d{2}$/;

export async function planCampaign(o: PlanOptions): Promise<CampaignPlan> {
  const name = checkCampaignName(o.name);
  const now = o.now ?? (() => new Date());
  if (!(o.holdout > 0 && o.holdout < 1))
    throw new SegmintError(
      'USAGE',
      `The holdout must be a share between 0 and 1 (or 0% and 100%), not ${o.holdout}.`,
      {
        hint: 'Give it as 10% or 0.1: the share of each segment kept out of the campaign as its control.',
      },
    );
  const alpha = o.alpha ?? 0.05;
  const power = o.power ?? 0.8;
  if (!(alpha > 0 && alpha < 0.5))
    throw new SegmintError('USAGE', `--alpha must be between 0 and 0.5, not ${alpha}.`);
  if (!(power > 0.5 && power < 1))
    throw new SegmintError('USAGE', `--power must be between 0.5 and 1, not ${power}.`);
  const days = o.days ?? 28;
  if (!Number.isInteger(days) || days < 1 || days > 3660)
    throw new SegmintError('USAGE', `--days must be a whole number of days from 1 to 3660, not ${days}.`);
  const start = o.start ?? now().toISOString().slice(0, 10);
  if (!isoDay.test(start) || Number.isNaN(Date.parse(`${start}T00:00:00Z`)) || addDays(start, 0) !== start)
    throw new SegmintError(
      'USAGE',
      `--start must be a calendar date YYYY-MM-DD, not ${JSON.stringify(start)}.`,
    );
  await reconcileCampaigns(o.outDir);
  const dir = campaignDir(o.outDir, name);
  if (existsSync(join(dir, 'plan.json')) && !o.replace)
    throw new SegmintError('CAMPAIGN_EXISTS', `A campaign "${name}" is already planned in ${o.outDir}.`, {
      where: { file: join(dir, 'plan.json') },
    });

  const runDir = resolveRunDir(o.outDir, o.runId);
  const model = parseModel(
    JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8')),
    join(runDir, 'model.json'),
  );
  const run = readRunRecord(join(runDir, 'run.json'));
  const allowed = model.segments.map((s) => `${s.id} (${s.name})`).join(', ');
  if (o.segments.length === 0)
    throw new SegmintError('USAGE', `Name the segments to target: ${allowed}.`, {
      hint: 'e.g. --segments 1,3',
    });
  const chosen = [...new Set(o.segments)].map((want) => {
    const s = model.segments.find((x) =>
      typeof want === 'number' || /^\d+$/.test(String(want)) ? x.id === Number(want) : x.name === want,
    );
    if (!s)
      throw new SegmintError(
        'USAGE',
        `Run ${run.runId} has no segment ${JSON.stringify(want)}; it has ${allowed}.`,
        {
          hint: 'Give segment ids (or names) from the list, e.g. --segments 1,3.',
        },
      );
    return s;
  });
  const seed = o.seed ?? model.seed;
  const warnings: Warning[] = [];
  const duck = await Duck.open();
  try {
    const tags = existsSync(join(runDir, 'tags.parquet'))
      ? `read_parquet(${qs(join(runDir, 'tags.parquet'))})`
      : `read_csv(${qs(join(runDir, 'tags.csv'))}, types = {'customer_id': 'VARCHAR'})`;
    const rows = await duck.all(
      `SELECT CAST(customer_id AS VARCHAR) AS c, segment_id AS s FROM ${tags} WHERE segment_id IN (${chosen.map((s) => Number(s.id)).join(', ')})`,
    );
    const bySegment = new Map<number, string[]>(chosen.map((s) => [s.id, []]));
    for (const r of rows) bySegment.get(Number(r.s))?.push(String(r.c));

    // The baseline: what each segment did in the `days` before the run's reference date, read
    // through the recipe, gives the variance the minimum detectable effect rests on.
    const loaded = o.loaded === undefined ? recipeAt(run.recipe.file) : o.loaded;
    const ref = run.data.referenceDate;
    let baseline: Awaited<ReturnType<typeof readOutcomes>> | null = null;
    if (loaded && ref && hasOrders(loaded.recipe))
      baseline = await readOutcomes(loaded, addDays(ref, -days), days);
    else
      warnings.push({
        code: 'CAMPAIGN_NO_BASELINE',
        message: !loaded
          ? `The run's recipe (${run.recipe.file ?? 'not recorded'}) cannot be read: no minimum detectable effect. Give --recipe.`
          : !hasOrders(loaded.recipe)
            ? 'The recipe has no transactions source, so there are no orders to estimate the variance from (and none to measure the campaign on): no minimum detectable effect.'
            : 'The run has no dates, so there is no recent period to estimate the variance from: no minimum detectable effect.',
      });

    const arms: { id: string; segment: number; name: string; arm: 'treatment' | 'control' }[] = [];
    const silent: string[] = [];
    const planned: PlannedSegment[] = chosen.map((s) => {
      const ids = bySegment.get(s.id) ?? [];
      const control = controlOf(ids, seed, name, o.holdout);
      for (const id of ids)
        arms.push({ id, segment: s.id, name: s.name, arm: control.has(id) ? 'control' : 'treatment' });
      const nC = control.size;
      const nT = ids.length - nC;
      if (nC === 0 || nT === 0)
        warnings.push({
          code: 'CAMPAIGN_ARM_EMPTY',
          message: `Segment ${s.id} (${s.name}) has ${ids.length} customer(s): a ${Math.round(o.holdout * 1000) / 10}% holdout leaves its ${nC === 0 ? 'control' : 'treatment'} empty, so its lift cannot be measured.`,
        });
      const orders = Float64Array.from(ids, (id) => baseline?.byCustomer.get(id)?.orders ?? 0);
      const revenue = Float64Array.from(ids, (id) => baseline?.byCustomer.get(id)?.revenue ?? 0);
      const mo = moments(orders);
      const mr = moments(revenue);
      const responders = orders.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
      const rate = ids.length ? responders / ids.length : null;
      if (baseline && ids.length && responders === 0) silent.push(`${s.id} (${s.name})`);
      // No variance before (nobody in the segment bought in the period): the effect a test could
      // detect is unknown, not 0.
      const mde = (sd: number | null, mean: number | null) => {
        const abs = baseline && sd ? minimumDetectableEffect(sd, nT, nC, alpha, power) : null;
        return { absolute: abs, relative: abs !== null && mean ? abs / mean : null };
      };
      const sd = (m: { variance: number }) => (Number.isFinite(m.variance) ? Math.sqrt(m.variance) : null);
      return {
        id: s.id,
        name: s.name,
        customers: ids.length,
        treatment: nT,
        control: nC,
        baseline: {
          from: baseline?.from ?? '',
          to: baseline?.to ?? '',
          customers: ids.length,
          responseRate: baseline ? rate : null,
          ordersMean: baseline ? mo.mean : null,
          ordersSd: baseline ? sd(mo) : null,
          revenueMean: baseline ? mr.mean : null,
          revenueSd: baseline ? sd(mr) : null,
        },
        mde: {
          responseRate: mde(rate === null ? null : Math.sqrt(rate * (1 - rate)), rate),
          orders: mde(sd(mo), mo.mean),
          revenue: mde(sd(mr), mr.mean),
        },
      };
    });
    if (silent.length)
      warnings.push({
        code: 'CAMPAIGN_NO_BASELINE',
        message: `Nobody in segment ${silent.join(', ')} bought in the ${days} days before the run's reference date: without a variance, no minimum detectable effect for it.`,
      });
    arms.sort((a, b) => a.segment - b.segment || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await duck.createFromColumns('members', [
      { name: 'customer_id', type: 'VARCHAR', values: arms.map((a) => a.id) },
      { name: 'segment_id', type: 'INTEGER', values: arms.map((a) => a.segment) },
      { name: 'segment_name', type: 'VARCHAR', values: arms.map((a) => a.name) },
      { name: 'arm', type: 'VARCHAR', values: arms.map((a) => a.arm) },
    ]);
    const select = `SELECT customer_id, segment_id, segment_name, arm, ${qs(name)} AS campaign, ${qs(run.runId)} AS run_id FROM members ORDER BY segment_id, customer_id`;
    const formats = o.formats ?? ['csv', 'parquet'];
    const files: Record<string, string> = {};
    const plan: CampaignPlan = {
      kind: 'segmint.campaign',
      schemaVersion: 1,
      name,
      createdAt: now().toISOString(),
      run: { runId: run.runId, runDir, model: model.name, recipeHash: model.recipeHash },
      recipeFile: loaded?.file ?? run.recipe.file,
      segments: planned,
      holdout: o.holdout,
      seed,
      split: SPLIT_RULE,
      start,
      days,
      alpha,
      power,
      totals: {
        customers: arms.length,
        treatment: planned.reduce((a, s) => a + s.treatment, 0),
        control: planned.reduce((a, s) => a + s.control, 0),
      },
      files,
      warnings,
    };
    const build = async (tmp: string) => {
      for (const fmt of new Set([...formats, 'parquet' as const])) {
        await duck.exec(
          `COPY (${select}) TO ${qs(join(tmp, `members.${fmt}`))} (FORMAT ${fmt === 'csv' ? 'csv, HEADER true' : 'parquet'})`,
        );
        files[`members.${fmt}`] = join(dir, `members.${fmt}`);
      }
      if (o.table) {
        // The run's own sinks: the recipe's engine, else the PostgreSQL database its tags go to.
        const spec = loaded ? engineOf(loaded.recipe) : null;
        const pgOut = loaded?.recipe.output.postgres;
        if (!loaded || (!spec && !pgOut))
          throw new SegmintError(
            'USAGE',
            "--table writes where the recipe's tags go (its engine, or output.postgres); the recipe has neither.",
            {
              hint: 'Set engine: in the recipe (postgres, clickhouse or duckdb) or output.postgres, or export the CSV / Parquet list.',
            },
          );
        const engine = spec
          ? await openRecipeEngine(spec, loaded.baseDir)
          : await connectPostgres(pgOut?.url, 'output.postgres.url');
        try {
          await writeQueryToEngine(duck, select, engine, o.table, 'campaign --table');
        } finally {
          await engine.close();
        }
        files.table = `${spec ? spec.type : 'postgres'}:${o.table}`;
      }
      writeFileAtomic(join(tmp, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
    };
    if (existsSync(dir)) {
      // Re-planned: the new folder is whole before the old one goes. Both stage under names
      // that start with a dot (no campaign's name); reconcileCampaigns finishes or undoes a
      // re-plan killed between the renames.
      const staged = join(dirname(dir), `.tmp-new-${name}-${process.pid}`);
      const old = join(dirname(dir), `.tmp-old-${name}-${process.pid}`);
      await buildDirAtomic(staged, build);
      renameSync(dir, old);
      failpoint('campaign-replace-between-renames');
      renameSync(staged, dir);
      rmSync(old, { recursive: true, force: true });
    } else await buildDirAtomic(dir, build);
    // The folder is the record: a kill here leaves it whole, and the history learns of it from
    // the next campaign command (reconcileCampaigns).
    failpoint('campaign-before-history');
    await recordPlan(o.outDir, plan, join(dir, 'members.parquet'));
    return plan;
  } finally {
    duck.close();
  }
}
