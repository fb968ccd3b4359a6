import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LoadedRecipe } from '../config/load.js';
import { SegmintError } from '../core/errors.js';
import type { CampaignMeasurement, CampaignPlan } from '../model/campaign.js';
import { action, addCommon, type CommonOpts, printJson } from './common.js';
import { fmtInt, fmtNum, fmtPct, type Io, table } from './output.js';

interface WhereOpts extends CommonOpts {
  recipe?: string;
  workspace?: string;
}

const where = (cmd: Command) =>
  cmd
    .option('-r, --recipe <file>', 'the recipe (its output.dir is the workspace; default ./segmint.yaml)')
    .option(
      '-w, --workspace <dir>',
      "the workspace: the recipe's output folder (runs/, latest, history.duckdb)",
    );

/** The recipe (when there is one) and the workspace folder the campaign lives in. */
async function locate(o: WhereOpts): Promise<{ loaded: LoadedRecipe | null; outDir: string }> {
  const file = o.recipe ?? (existsSync('segmint.yaml') ? 'segmint.yaml' : undefined);
  const { loadRecipe } = await import('../config/load.js');
  const loaded = file ? loadRecipe(file) : null;
  if (o.workspace) return { loaded, outDir: resolve(o.workspace) };
  if (!loaded)
    throw new SegmintError('USAGE', 'Say where the campaign lives: --recipe <file> or --workspace <dir>.', {
      hint: 'e.g. segmint campaign plan spring --recipe segmint.yaml --segments 1,3 --holdout 10%',
    });
  return { loaded, outDir: resolve(loaded.baseDir, loaded.recipe.output.dir) };
}

/** "10%", "10 %" or "0.1" as a share. */
export function parseShare(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(s);
  if (!m) throw new SegmintError('USAGE', `--holdout must be a share like 10% or 0.1, not "${s}".`);
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

const ci = (lo: number | null, hi: number | null, scale = 1, d = 2) =>
  lo === null || hi === null ? '-' : `${fmtNum(lo * scale, d)} to ${fmtNum(hi * scale, d)}`;

export function planText(p: CampaignPlan): string {
  const rows = p.segments.map((s) => [
    `${s.id} ${s.name}`,
    fmtInt(s.customers),
    fmtInt(s.treatment),
    fmtInt(s.control),
    s.mde.responseRate.absolute === null ? '-' : `${fmtNum(100 * s.mde.responseRate.absolute, 1)} pts`,
    s.mde.revenue.absolute === null
      ? '-'
      : `${fmtNum(s.mde.revenue.absolute, 2)} (${fmtPct(s.mde.revenue.relative)})`,
    s.mde.orders.absolute === null
      ? '-'
      : `${fmtNum(s.mde.orders.absolute, 3)} (${fmtPct(s.mde.orders.relative)})`,
  ]);
  return `campaign ${p.name}: from run ${p.run.runId}, starts ${p.start} for ${p.days} days, ${fmtPct(p.holdout)} held out (seed ${p.seed})

${table(['segment', 'customers', 'treatment', 'control', 'detectable response', 'detectable revenue/cust.', 'detectable orders/cust.'], rows)}

Detectable: the smallest true lift found with power ${p.power} at alpha ${p.alpha} (two-sided), from each segment's variance over the ${p.days} days before the run's reference date.
${p.warnings.map((w) => `warning: ${w.message}\n`).join('')}members: ${Object.values(p.files).join(', ')}
`;
}

export function measurementText(m: CampaignMeasurement): string {
  const level = `${Math.round(m.level * 100)}% CI`;
  const rows = m.segments.map((s) => [
    `${s.id} ${s.name}`,
    `${fmtInt(s.arms.treatment.customers)} / ${fmtInt(s.arms.control.customers)}`,
    `${fmtPct(s.arms.treatment.responseRate)} / ${fmtPct(s.arms.control.responseRate)}`,
    `${fmtNum((s.lift.responseRate.estimate ?? Number.NaN) * 100, 1)} (${ci(s.lift.responseRate.lower, s.lift.responseRate.upper, 100, 1)})`,
    `${fmtNum(s.lift.orders.estimate, 3)} (${ci(s.lift.orders.lower, s.lift.orders.upper, 1, 3)})`,
    `${fmtNum(s.lift.revenue.estimate, 2)} (${ci(s.lift.revenue.lower, s.lift.revenue.upper)})`,
    `${fmtNum(s.incrementalRevenue.estimate, 0)}`,
  ]);
  const t = m.total.incrementalRevenue;
  return `campaign ${m.campaign}: ${m.window.start} to ${m.window.end} (exclusive), ${m.window.days} days

${table(['segment', 'treated / control', 'bought (T / C)', `response pts (${level})`, `orders/cust. (${level})`, `revenue/cust. (${level})`, 'incremental revenue'], rows)}

incremental revenue, all segments: ${fmtNum(t.estimate, 0)} (${level} ${ci(t.lower, t.upper, 1, 0)})
${m.segments.map((s) => `  ${s.id} ${s.name}: ${s.verdict}`).join('\n')}
${m.warnings.map((w) => `warning: ${w.message}\n`).join('')}`;
}

export function registerCampaign(program: Command, io: Io): void {
  const campaign = program
    .command('campaign')
    .description(
      "plan campaigns with control groups on a run's segments, and measure their lift per segment",
    );
  addCommon(
    where(
      campaign
        .command('plan')
        .description(
          'split chosen segments into treatment and a held-out control, export both, print the detectable effect',
        )
        .argument('<name>', 'campaign name (letters, digits, _ . -)')
        .requiredOption('-s, --segments <ids>', 'segment ids (or names) to target, comma-separated, e.g. 1,3')
        .option('--holdout <share>', 'share of each segment held out as control, e.g. 10% or 0.1', '10%')
        .option('--run <id>', 'the run whose segments are used (default: latest)')
        .option('--start <date>', 'first day of the campaign, YYYY-MM-DD (default: today)')
        .option('--days <n>', 'days the campaign runs and is measured over', '28')
        .option('--seed <n>', "seed of the split (default: the model's seed)")
        .option('--alpha <p>', 'significance level of the planned test', '0.05')
        .option('--power <p>', 'power for the minimum detectable effect', '0.8')
        .option('--format <list>', 'member list formats: csv, parquet', 'csv,parquet')
        .option(
          '--table <name>',
          "also write the members into this table where the recipe's tags go (its engine, or output.postgres)",
        )
        .option('--replace', 'replace a campaign of the same name (its measurements go too)'),
    ),
  ).action(
    action(
      io,
      async (
        name: string,
        o: WhereOpts & {
          segments: string;
          holdout: string;
          run?: string;
          start?: string;
          days: string;
          seed?: string;
          alpha: string;
          power: string;
          format: string;
          table?: string;
          replace?: boolean;
        },
      ) => {
        const formats = o.format.split(',').map((f) => f.trim());
        const bad = formats.find((f) => f !== 'csv' && f !== 'parquet');
        if (bad) throw new SegmintError('USAGE', `--format takes csv and parquet, not "${bad}".`);
        const int = (v: string | undefined, flag: string) => {
          if (v === undefined) return undefined;
          if (!/^-?\d+$/.test(v))
            throw new SegmintError('USAGE', `${flag} must be a whole number, not "${v}".`);
          return Number(v);
        };
        const { loaded, outDir } = await locate(o);
        const { planCampaign } = await import('../campaign/plan.js');
        const plan = await planCampaign({
          outDir,
          name,
          segments: o.segments
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          holdout: parseShare(o.holdout),
          ...(o.run ? { runId: o.run } : {}),
          ...(o.start ? { start: o.start } : {}),
          days: int(o.days, '--days') as number,
          ...(o.seed !== undefined ? { seed: int(o.seed, '--seed') as number } : {}),
          alpha: Number(o.alpha),
          power: Number(o.power),
          formats: formats as ('csv' | 'parquet')[],
          ...(o.table ? { table: o.table } : {}),
          ...(loaded ? { loaded } : {}),
          replace: !!o.replace,
        });
        if (o.json) printJson(io, { campaign: plan });
        else io.out(planText(plan));
      },
    ),
  );
  addCommon(
    where(
      campaign
        .command('measure')
        .description(
          'measure a campaign: per segment and arm, the lift with intervals and the incremental revenue',
        )
        .argument('<name>', 'campaign name')
        .option('--end <date>', 'the day after the last day measured, YYYY-MM-DD (default: start + days)')
        .option('--level <p>', 'confidence level of the intervals', '0.95'),
    ),
  ).action(
    action(io, async (name: string, o: WhereOpts & { end?: string; level: string }) => {
      const { loaded, outDir } = await locate(o);
      const { measureCampaign } = await import('../campaign/measure.js');
      const m = await measureCampaign({
        outDir,
        name,
        ...(o.end ? { end: o.end } : {}),
        level: Number(o.level),
        ...(loaded ? { loaded } : {}),
      });
      if (o.json)
        printJson(io, { measurement: m, report: resolve(outDir, 'campaigns', name, 'report.html') });
      else io.out(`${measurementText(m)}report: ${resolve(outDir, 'campaigns', name, 'report.html')}\n`);
    }),
  );
  addCommon(
    where(
      campaign
        .command('list')
        .description('the campaigns of a workspace, newest first, with their latest lift'),
    ),
  ).action(
    action(io, async (o: WhereOpts) => {
      const { outDir } = await locate(o);
      const { listCampaigns, reconcileCampaigns } = await import('../campaign/store.js');
      await reconcileCampaigns(outDir);
      const { campaigns: all, damaged } = listCampaigns(outDir);
      if (o.json) {
        printJson(io, { campaigns: all, damaged });
        return;
      }
      for (const d of damaged) io.err(`warning: campaign ${d.name} cannot be read: ${d.error}\n`);
      if (!all.length) {
        io.out(`no campaigns in ${outDir}\n`);
        return;
      }
      io.out(
        `${table(
          ['campaign', 'run', 'start', 'segments', 'treated', 'control', 'measured', 'incremental revenue'],
          all.map(({ plan, measurement }) => [
            plan.name,
            plan.run.runId,
            plan.start,
            plan.segments.map((s) => s.id).join(','),
            fmtInt(plan.totals.treatment),
            fmtInt(plan.totals.control),
            measurement ? measurement.window.end : '-',
            measurement ? fmtNum(measurement.total.incrementalRevenue.estimate, 0) : '-',
          ]),
        )}\n`,
      );
    }),
  );
  addCommon(
    where(
      campaign
        .command('show')
        .description("a campaign's plan and latest measurement")
        .argument('<name>', 'campaign name'),
    ),
  ).action(
    action(io, async (name: string, o: WhereOpts) => {
      const { outDir } = await locate(o);
      const { readPlan, readLatestMeasurement, reconcileCampaigns } = await import('../campaign/store.js');
      await reconcileCampaigns(outDir);
      const plan = readPlan(outDir, name);
      const measurement = readLatestMeasurement(outDir, name);
      if (o.json) printJson(io, { campaign: plan, measurement });
      else
        io.out(
          `${planText(plan)}${measurement ? `\n${measurementText(measurement)}` : '\nnot measured yet\n'}`,
        );
    }),
  );
}
