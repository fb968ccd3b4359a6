// Campaigns as crash-safe as runs: `campaign plan`, `plan --replace` and `measure` killed with
// SIGKILL at the points between their folder and their history write (failpoints), then the next
// campaign command finds one whole state: folders and history agree, no staging is left, and a
// campaign named like another's staging folder is its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listCampaigns, measurementsOf, reconcileCampaigns } from '../../src/campaign/store.js';
import { loadRecipe } from '../../src/config/load.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { Duck } from '../../src/sql/duckdb.js';
import { cleanup, cli, ROOT, readCsv, tempDir } from '../helpers.js';
import { START, writePost, writeShop } from './shop.js';

/** A campaign command in its own process, killed at `failpoint`: resolves with its signal. */
function killed(args: string[], failpoint: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], {
    env: { ...process.env, SEGMINT_FAILPOINT: failpoint },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  child.stdout.resume();
  return new Promise<{ signal: NodeJS.Signals | null; err: string }>((done) =>
    child.on('exit', (_c, signal) => done({ signal, err })),
  );
}

describe('kill -9 inside a campaign command: the next command finds folders and history whole', () => {
  let dir: string;
  let recipe: string;
  let out: string;
  const plan = (name: string, ...more: string[]) => [
    'campaign',
    'plan',
    name,
    '-r',
    recipe,
    '--segments',
    '1',
    '--holdout',
    '20%',
    '--start',
    START,
    ...more,
  ];
  /** The history's campaigns: name -> createdAt of the plan it holds; and members per campaign. */
  const history = async () => {
    const h = await Duck.open(join(out, 'history.duckdb'));
    try {
      const [t] = await h.all(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'campaigns'",
      );
      if (!Number(t.n)) return { plans: new Map<string, string>(), members: new Map<string, number>() };
      const rows = await h.all('SELECT name, plan FROM campaigns ORDER BY name');
      const members = await h.all(
        'SELECT campaign, count(*) AS n FROM campaign_members GROUP BY campaign ORDER BY campaign',
      );
      return {
        plans: new Map(rows.map((r) => [String(r.name), JSON.parse(String(r.plan)).createdAt as string])),
        members: new Map(members.map((r) => [String(r.campaign), Number(r.n)])),
      };
    } finally {
      h.close();
    }
  };
  /** What must hold after any kill, once a campaign command has run: folders = history, no staging. */
  const agrees = async (label: string) => {
    const listed = listCampaigns(out);
    assert.deepEqual(listed.damaged, [], label);
    const h = await history();
    const folders = new Map(listed.campaigns.map((c) => [c.plan.name, c.plan.createdAt]));
    assert.deepEqual(
      [...h.plans.entries()].sort(),
      [...folders.entries()].sort(),
      `${label}: the history holds exactly the campaign folders' plans`,
    );
    for (const c of listed.campaigns)
      assert.equal(
        h.members.get(c.plan.name),
        c.plan.totals.customers,
        `${label}: members of ${c.plan.name}`,
      );
    const debris = readdirSync(join(out, 'campaigns')).filter((f) => f.startsWith('.'));
    assert.deepEqual(debris, [], `${label}: no staging folder is left`);
  };

  before(async () => {
    dir = tempDir();
    recipe = writeShop(dir);
    out = (await runRecipe(loadRecipe(recipe))).outDir;
  });
  after(() => cleanup(dir));

  test('a plan killed after its folder landed is recorded by the next command', async () => {
    const k = await killed(plan('a'), 'campaign-before-history');
    assert.equal(k.signal, 'SIGKILL', k.err);
    assert.ok(existsSync(join(out, 'campaigns', 'a', 'plan.json')));
    assert.equal((await history()).plans.has('a'), false, 'the kill left the history without it');
    const listed = await cli(['campaign', 'list', '-r', recipe, '--json']);
    assert.equal(listed.code, 0, listed.err);
    assert.deepEqual(
      JSON.parse(listed.out).campaigns.map((c: { plan: { name: string } }) => c.plan.name),
      ['a'],
    );
    await agrees('plan killed before history');
    // Planning it again is refused as for any planned campaign, not half-known.
    const again = await cli(plan('a'));
    assert.equal(again.code, 2, again.out);
    assert.match(again.err, /CAMPAIGN_EXISTS/);
  });

  test('a campaign named like a staging folder is its own; a re-plan killed between its renames is finished', async () => {
    for (const name of ['z2.new', 'z2']) assert.equal((await cli(plan(name))).code, 0, name);
    const before = JSON.parse(readFileSync(join(out, 'campaigns', 'z2', 'plan.json'), 'utf8')).createdAt;
    const k = await killed(plan('z2', '--replace'), 'campaign-replace-between-renames');
    assert.equal(k.signal, 'SIGKILL', k.err);
    assert.equal(existsSync(join(out, 'campaigns', 'z2')), false, 'the kill left z2 moved aside');
    assert.ok(existsSync(join(out, 'campaigns', 'z2.new', 'plan.json')), 'z2.new is untouched');
    const shown = await cli(['campaign', 'show', 'z2', '-r', recipe, '--json']);
    assert.equal(shown.code, 0, shown.err);
    const after = JSON.parse(shown.out).campaign.createdAt;
    assert.notEqual(after, before, 'the new plan (whole before the renames) is the one in place');
    await agrees('replace killed between renames');
    assert.equal((await history()).plans.get('z2'), after);
    // A plain re-plan of z2 leaves z2.new alone.
    assert.equal((await cli(plan('z2', '--replace'))).code, 0);
    assert.ok(existsSync(join(out, 'campaigns', 'z2.new', 'plan.json')));
    await agrees('re-plan of z2');
  });

  test('a measurement killed after measurement.json landed is in the history afterwards', async () => {
    const treated = readCsv(join(out, 'campaigns', 'a', 'members.csv')).filter((m) => m.arm === 'treatment');
    writePost(dir, 99, new Set(treated.map((m) => m.customer_id)), 'F', 1.5);
    const k = await killed(['campaign', 'measure', 'a', '-r', recipe], 'campaign-measure-before-history');
    assert.equal(k.signal, 'SIGKILL', k.err);
    const landed = JSON.parse(readFileSync(join(out, 'campaigns', 'a', 'measurement.json'), 'utf8'));
    assert.deepEqual(await measurementsOf(out, 'a'), [], 'the kill left the history without it');
    const mended = await reconcileCampaigns(out);
    assert.ok(
      mended.some((m) => /campaign a: its measurement .* is recorded/.test(m)),
      mended.join('\n'),
    );
    const recorded = await measurementsOf(out, 'a');
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].measuredAt, landed.measuredAt);
    assert.deepEqual(await reconcileCampaigns(out), [], 'a whole workspace needs nothing mended');
    await agrees('measure killed before history');
  });
});
