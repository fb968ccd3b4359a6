/**
 * Where a workspace keeps its campaigns: `<out>/campaigns/<name>/` (plan.json, members.csv and
 * .parquet, measurement.json, report.html) and the history database's campaign tables, which say
 * which run and model each campaign came from, who is in which arm, and every measurement.
 */
import { existsSync, readdirSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SegmintError } from '../core/errors.js';
import { CAMPAIGN_NAME, CampaignMeasurement, CampaignPlan, readCampaignFile } from '../model/campaign.js';
import { openHistory } from '../pipeline/history.js';
import { type Duck, qs } from '../sql/duckdb.js';

export const campaignsDir = (outDir: string): string => join(outDir, 'campaigns');
export const campaignDir = (outDir: string, name: string): string => join(campaignsDir(outDir), name);

export function checkCampaignName(name: string): string {
  if (!CAMPAIGN_NAME.test(name))
    throw new SegmintError('USAGE', `The campaign name ${JSON.stringify(name)} cannot be used.`, {
      hint: 'Use letters, digits, _ . - (up to 64 characters, starting with a letter or digit), e.g. spring-loyal.',
    });
  return name;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS campaigns (name VARCHAR PRIMARY KEY, created_at TIMESTAMP, run_id VARCHAR, model VARCHAR,
    recipe_hash VARCHAR, start_date DATE, days INTEGER, holdout DOUBLE, seed BIGINT, segments VARCHAR,
    treatment INTEGER, control INTEGER, plan VARCHAR)`,
  'CREATE TABLE IF NOT EXISTS campaign_members (campaign VARCHAR, customer_id VARCHAR, segment_id INTEGER, arm VARCHAR)',
  'CREATE TABLE IF NOT EXISTS campaign_results (campaign VARCHAR, measured_at TIMESTAMP, window_end DATE, result VARCHAR)',
];

async function withCampaignHistory<T>(outDir: string, body: (h: Duck) => Promise<T>): Promise<T> {
  const h = await openHistory(outDir);
  try {
    for (const s of SCHEMA) await h.exec(s);
    return await body(h);
  } finally {
    h.close();
  }
}

/** Records a plan and its members (replacing an earlier plan of the same name) in one transaction. */
export async function recordPlan(outDir: string, plan: CampaignPlan, membersFile: string): Promise<void> {
  await withCampaignHistory(outDir, (h) => recordPlanIn(h, plan, membersFile));
}

async function recordPlanIn(h: Duck, plan: CampaignPlan, membersFile: string): Promise<void> {
  await h.exec('BEGIN TRANSACTION');
  try {
    await forgetIn(h, plan.name);
    await h.exec(
      'INSERT INTO campaigns VALUES ($n, CAST($c AS TIMESTAMP), $r, $m, $h, CAST($s AS DATE), $d, $ho, $seed, $segs, $t, $ctl, $plan)',
      {
        n: plan.name,
        c: plan.createdAt,
        r: plan.run.runId,
        m: plan.run.model,
        h: plan.run.recipeHash,
        s: plan.start,
        d: plan.days,
        ho: plan.holdout,
        seed: plan.seed,
        segs: plan.segments.map((s) => s.id).join(','),
        t: plan.totals.treatment,
        ctl: plan.totals.control,
        plan: JSON.stringify(plan),
      },
    );
    await h.exec(
      `INSERT INTO campaign_members SELECT $n, CAST(customer_id AS VARCHAR), segment_id, arm FROM read_parquet(${qs(membersFile)})`,
      { n: plan.name },
    );
    await h.exec('COMMIT');
  } catch (e) {
    await h.exec('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Deletes a campaign's rows from the history (inside the caller's transaction). */
async function forgetIn(h: Duck, name: string): Promise<void> {
  for (const t of [
    'campaign_members WHERE campaign',
    'campaign_results WHERE campaign',
    'campaigns WHERE name',
  ])
    await h.exec(`DELETE FROM ${t} = $n`, { n: name });
}

/**
 * The folders a campaign command stages in, beside the campaigns: a re-plan's new folder and the
 * old one it replaces (`.tmp-new-<name>-<pid>`, `.tmp-old-<name>-<pid>`), and a folder being
 * built (`.tmp-<folder>-<pid>-<hex>`, buildDirAtomic). They start with a dot, so no campaign
 * name is one of them.
 */
const STAGED = /^\.tmp-(new|old)-(.+)-(\d+)$/;
const BUILDING = /^\.tmp-.+-(\d+)-[0-9a-f]{8}$/;

/** Whether a process is running (a staged folder of a live process is its work in progress). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Brings a workspace's campaigns to one whole state after a campaign command was killed part-way
 * (each campaign command calls it first). The campaign folders are the record and the history
 * follows them:
 * - a re-plan killed between its two renames is finished (its new folder was whole), or, where
 *   only the old folder is left, undone; other staging left by a dead process is removed;
 * - a campaign folder the history lacks, or holds an older plan of, is recorded from its files;
 * - a history entry whose folder is gone is forgotten;
 * - a measurement.json the history lacks is recorded.
 * Returns what it mended, in words.
 */
export async function reconcileCampaigns(outDir: string): Promise<string[]> {
  const dir = campaignsDir(outDir);
  if (!existsSync(dir)) return [];
  const mended: string[] = [];
  const entries = readdirSync(dir).sort();
  // New folders first: a finished re-plan makes its old folder removable.
  const staged = entries
    .map((f) => ({ f, m: STAGED.exec(f) }))
    .filter((x) => x.m && !alive(Number(x.m[3])))
    .sort((a, b) => (a.m![1] === b.m![1] ? 0 : a.m![1] === 'new' ? -1 : 1));
  for (const { f, m } of staged) {
    const [, which, name] = m!;
    const target = join(dir, name);
    if (CAMPAIGN_NAME.test(name) && !existsSync(target) && existsSync(join(dir, f, 'plan.json'))) {
      renameSync(join(dir, f), target);
      mended.push(
        which === 'new'
          ? `campaign ${name}: the re-plan that was stopped between its renames is finished`
          : `campaign ${name}: the plan a stopped re-plan had moved aside is back`,
      );
    } else rmSync(join(dir, f), { recursive: true, force: true });
  }
  for (const f of entries) {
    const m = BUILDING.exec(f);
    if (m && !STAGED.test(f) && !alive(Number(m[1]))) rmSync(join(dir, f), { recursive: true, force: true });
  }
  await withCampaignHistory(outDir, async (h) => {
    const rows = await h.all('SELECT name, plan FROM campaigns');
    const recorded = new Map(rows.map((r) => [String(r.name), String(r.plan)]));
    const folders = readdirSync(dir).filter(
      (n) => CAMPAIGN_NAME.test(n) && existsSync(join(dir, n, 'plan.json')),
    );
    for (const name of folders) {
      let plan: CampaignPlan;
      let measurement: CampaignMeasurement | null;
      try {
        plan = readPlan(outDir, name);
        measurement = readLatestMeasurement(outDir, name);
      } catch {
        continue; // damaged: listCampaigns names it
      }
      const before = recorded.get(name);
      if (!before || (JSON.parse(before) as CampaignPlan).createdAt !== plan.createdAt) {
        await recordPlanIn(h, plan, join(dir, name, 'members.parquet'));
        mended.push(`campaign ${name}: its plan is recorded in the history`);
      }
      if (measurement) {
        const [c] = await h.all(
          'SELECT count(*) AS n FROM campaign_results WHERE campaign = $n AND measured_at = CAST($at AS TIMESTAMP)',
          { n: name, at: measurement.measuredAt },
        );
        if (!Number(c.n)) {
          await insertMeasurement(h, measurement);
          mended.push(
            `campaign ${name}: its measurement of ${measurement.measuredAt} is recorded in the history`,
          );
        }
      }
    }
    for (const name of recorded.keys()) {
      if (folders.includes(name)) continue;
      await h.exec('BEGIN TRANSACTION');
      await forgetIn(h, name);
      await h.exec('COMMIT');
      mended.push(`campaign ${name}: its folder is gone, so the history forgets it`);
    }
  });
  return mended;
}

export async function recordMeasurement(outDir: string, m: CampaignMeasurement): Promise<void> {
  await withCampaignHistory(outDir, (h) => insertMeasurement(h, m));
}

const insertMeasurement = (h: Duck, m: CampaignMeasurement) =>
  h.exec('INSERT INTO campaign_results VALUES ($n, CAST($at AS TIMESTAMP), CAST($end AS DATE), $r)', {
    n: m.campaign,
    at: m.measuredAt,
    end: m.window.end,
    r: JSON.stringify(m),
  });

/** Every measurement of a campaign, oldest first (from the history). */
export async function measurementsOf(outDir: string, name: string): Promise<CampaignMeasurement[]> {
  return withCampaignHistory(outDir, async (h) => {
    const rows = await h.all(
      'SELECT result FROM campaign_results WHERE campaign = $n ORDER BY measured_at, window_end',
      { n: name },
    );
    return rows.map((r) => CampaignMeasurement.parse(JSON.parse(String(r.result))));
  });
}

export function readPlan(outDir: string, name: string): CampaignPlan {
  checkCampaignName(name);
  const file = join(campaignDir(outDir, name), 'plan.json');
  if (!existsSync(file))
    throw new SegmintError('UNKNOWN_CAMPAIGN', `There is no campaign "${name}" in ${outDir}.`, {
      where: { file },
    });
  return readCampaignFile(CampaignPlan, file);
}

export function readLatestMeasurement(outDir: string, name: string): CampaignMeasurement | null {
  const file = join(campaignDir(outDir, name), 'measurement.json');
  return existsSync(file) ? readCampaignFile(CampaignMeasurement, file) : null;
}

/** A campaign folder whose files cannot be read (hand-edited, cut short): named, not fatal. */
export interface DamagedCampaign {
  name: string;
  error: string;
}

/**
 * The campaigns of a workspace, newest first, each with its latest measurement. A campaign whose
 * files are damaged does not hide the others: it is listed in `damaged` with the reason.
 */
export function listCampaigns(outDir: string): {
  campaigns: { plan: CampaignPlan; measurement: CampaignMeasurement | null }[];
  damaged: DamagedCampaign[];
} {
  const dir = campaignsDir(outDir);
  const campaigns: { plan: CampaignPlan; measurement: CampaignMeasurement | null }[] = [];
  const damaged: DamagedCampaign[] = [];
  if (!existsSync(dir)) return { campaigns, damaged };
  for (const n of readdirSync(dir).sort()) {
    if (!CAMPAIGN_NAME.test(n) || !existsSync(join(dir, n, 'plan.json'))) continue;
    try {
      campaigns.push({ plan: readPlan(outDir, n), measurement: readLatestMeasurement(outDir, n) });
    } catch (e) {
      damaged.push({ name: n, error: (e as Error).message });
    }
  }
  campaigns.sort((a, b) =>
    a.plan.createdAt < b.plan.createdAt ? 1 : a.plan.createdAt > b.plan.createdAt ? -1 : 0,
  );
  return { campaigns, damaged };
}

/** A run folder of the workspace: the one named, or the one `latest` points at. */
export function resolveRunDir(outDir: string, runId?: string): string {
  if (runId && runId !== 'latest') {
    const dir = join(outDir, 'runs', runId);
    if (!/^[A-Za-z0-9_.-]+$/.test(runId) || !existsSync(join(dir, 'model.json')))
      throw new SegmintError('UNKNOWN_RUN', `There is no finished run "${runId}" in ${outDir}.`, {
        hint: 'segmint campaign list and GET /v1/runs name the runs; leave --run out for the latest.',
      });
    return dir;
  }
  const latest = join(outDir, 'latest');
  try {
    return resolve(outDir, readlinkSync(latest));
  } catch {
    throw new SegmintError('NO_MODEL', `${outDir} has no finished run to plan a campaign from.`, {
      hint: 'Run the recipe first (segmint run), or give --out the workspace folder.',
    });
  }
}
