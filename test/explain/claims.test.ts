// Words from numbers, checked on every data set in ../shared/data as it comes (init, then run
// untouched): every claim a segment's name rests on holds when recomputed from tags.csv alone (the
// figures it shows are the segment's and all customers' medians or means, and they stand the way
// the claim says), every description is made of those claims and nothing else, names and
// descriptions use the dictionary's words (no machine column names), and a trait-named segment's
// action speaks of its own claims.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Meaning } from '../../src/core/dictionary.js';
import { type ClaimCheck, claimsDescription, traitAction } from '../../src/explain/personas.js';
import { quantileSorted } from '../../src/prep/stats.js';
import { cleanup, cli, readCsv, sharedData, tempDir } from '../helpers.js';

const DATA_SETS: Record<string, (dir: string) => string[]> = {
  cdnow: (d) => [join(d, 'CDNOW_master.txt')],
  donations_bgbb: (d) => [join(d, 'donations.csv')],
  marketing_campaign: (d) => [join(d, 'marketing_campaign.csv')],
  online_shoppers: (d) => [join(d, 'online_shoppers_intention.csv')],
  // Every table at once, in reverse order.
  olist_sample_3k: (d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.csv'))
      .sort()
      .reverse()
      .map((f) => join(d, f)),
};

/** The report's content width: main's 1,200 px less its own and the sections' paddings. */
const PAGE_WIDTH = 1070;

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('every claim behind a name holds, recomputed from the tags', () => {
  const work = tempDir();
  after(() => cleanup(work));
  for (const [name, files] of Object.entries(DATA_SETS)) {
    test(name, async (t) => {
      const dir = sharedData(t, name);
      if (!dir) return;
      const ws = join(work, name);
      const recipe = join(ws, 'recipe.yaml');
      const init = await cli(['init', ...files(dir), '--out', recipe]);
      assert.equal(init.code, 0, init.err);
      const run = await cli(['run', recipe, '--json', '--quiet', '--set', `output.dir=${join(ws, 'out')}`]);
      assert.equal(run.code, 0, run.err + run.out);
      const { runDir } = JSON.parse(run.out);
      const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
      const tags = readCsv(join(runDir, 'tags.csv'));
      const meanings: Record<string, Meaning> = Object.fromEntries(
        record.features.map((f: { name: string; meaning: Meaning }) => [f.name, f.meaning]),
      );
      // init's guessed unit, in force in the recipe it wrote: years read as years (1972, not 1,972).
      if (name === 'marketing_campaign') assert.equal(meanings.year_birth?.unit, 'year');
      const machineNames = record.features
        .map((f: { name: string }) => f.name)
        .filter((n: string) => n.includes('_') || n !== n.toLowerCase() || /[a-z][A-Z]/.test(n));
      const values = (feature: string, segment: number | null) => {
        const v: number[] = [];
        for (const r of tags) {
          if (segment !== null && Number(r.segment_id) !== segment) continue;
          const x = r[feature];
          if (x !== undefined && x !== '' && !Number.isNaN(Number(x))) v.push(Number(x));
        }
        return Float64Array.from(v).sort();
      };
      const rows = (segment: number | null) =>
        tags.filter((r) => segment === null || Number(r.segment_id) === segment).length;
      const figure = (feature: string, segment: number | null, stat: 'median' | 'mean' | 'missing') => {
        const v = values(feature, segment);
        if (stat === 'missing') return 1 - v.length / rows(segment);
        return stat === 'median' ? quantileSorted(v, 0.5) : v.reduce((a, b) => a + b, 0) / v.length;
      };
      // Missing values are counted per feature (run.json prep.imputed) and shown in the report:
      // each count is the customers whose value is empty in tags.csv.
      const imputed = (record.prep.imputed ?? []) as {
        feature: string;
        missing: number;
        customers: number;
      }[];
      for (const f of record.features as { name: string; type: string }[]) {
        if (f.type !== 'numeric' || record.prep.dropped.some((d: { name: string }) => d.name === f.name))
          continue;
        const empty = rows(null) - values(f.name, null).length;
        const said = imputed.find((m) => m.feature === f.name);
        assert.equal(said?.missing ?? 0, empty, `${name}: ${f.name} missing values counted`);
      }
      const page = readFileSync(join(runDir, 'report.html'), 'utf8');
      assert.match(page, /<h3>Missing values<\/h3>/);
      // The per-segment rules applied together, recomputed from rules.json over tags.csv (a
      // missing value counts as the feature's median, as the rules learnt it), and said in the report.
      const agreement = record.explain.agreement as { exact: number; none: number; several: number } | null;
      if (agreement) {
        const ruleFile = JSON.parse(readFileSync(join(runDir, 'rules.json'), 'utf8')) as {
          segments: {
            segmentId: number;
            rule: { any: { all: { feature: string; op: string; value: number }[] }[] };
          }[];
        };
        const medians = new Map<string, number>();
        const cellOf = (r: Record<string, string>, f: string) => {
          const x = r[f];
          if (x !== undefined && x !== '' && !Number.isNaN(Number(x))) return Number(x);
          if (!medians.has(f)) medians.set(f, quantileSorted(values(f, null), 0.5));
          return medians.get(f)!;
        };
        let exact = 0;
        let none = 0;
        let several = 0;
        for (const r of tags) {
          const hit = ruleFile.segments.filter((x) =>
            x.rule.any.some((p) =>
              p.all.every((c) =>
                c.op === '<=' ? cellOf(r, c.feature) <= c.value : cellOf(r, c.feature) > c.value,
              ),
            ),
          );
          if (!hit.length) none++;
          else if (hit.length > 1) several++;
          else if (hit[0].segmentId === Number(r.segment_id)) exact++;
        }
        const n = tags.length;
        assert.ok(
          Math.abs(agreement.exact - exact / n) < 1e-12,
          `${name}: rules agree for ${exact / n}, run.json ${agreement.exact}`,
        );
        assert.ok(Math.abs(agreement.none - none / n) < 1e-12, `${name}: no rule`);
        assert.ok(Math.abs(agreement.several - several / n) < 1e-12, `${name}: several rules`);
        assert.ok(
          page.includes(
            `these rules give ${(100 * agreement.exact).toFixed(1)}% of customers exactly their segment`,
          ),
          `${name}: the report says the agreement`,
        );
      }
      if (imputed.length) assert.match(page, /customers without a value/);
      let checked = 0;
      for (const seg of record.segments as {
        id: number;
        name: string;
        description: string;
        action: string;
        claims: ClaimCheck[];
      }[]) {
        assert.ok(!/_/.test(seg.name), `${name}: "${seg.name}" shows a machine name`);
        for (const m of machineNames)
          assert.ok(
            !seg.name.includes(m) && !seg.description.includes(m),
            `${name}: "${seg.name}" shows ${m}`,
          );
        if (!seg.claims.length) continue;
        // The description is the claims' figures, nothing more.
        assert.equal(seg.description, claimsDescription(seg.claims), `${name} segment ${seg.id}`);
        for (const c of seg.claims) {
          assert.ok(c.feature in meanings, `${c.feature} is a feature of the run`);
          assert.equal(c.label, meanings[c.feature].label);
          const stat = c.stat ?? 'median';
          const mine = figure(c.feature, seg.id, stat);
          const all = figure(c.feature, null, stat);
          assert.ok(
            close(mine, c.value!),
            `${name} ${seg.name} ${c.feature}: ${stat} ${mine} vs claimed ${c.value}`,
          );
          assert.ok(
            close(all, c.allValue!),
            `${name} ${seg.name} ${c.feature}: all ${all} vs claimed ${c.allValue}`,
          );
          const ok = {
            above: mine > all,
            below: mine < all,
            atMost: mine <= all,
            atLeast: mine >= all,
            any: true,
          }[c.relation ?? 'any'];
          assert.ok(ok, `${name} ${seg.name}: ${c.label} ${mine} is not ${c.relation} ${all}`);
          checked++;
        }
        // A segment named from its traits: the action is the catalogue's for those claims.
        if (seg.claims.every((c) => /than all customers$/.test(c.claim)))
          assert.equal(seg.action, traitAction(seg.claims, meanings), `${name} segment ${seg.id}`);
      }
      assert.ok(checked > 0, `${name}: some claims were checked`);
      // The report as a reader gets it: no label cut short (Vega ends a cut label with "…"), and no
      // chart wider than the page's content (main is 1,200 px less its paddings: 1,070 px).
      const html = readFileSync(join(runDir, 'report.html'), 'utf8');
      const cut = [...html.matchAll(/<text[^>]*>([^<]*…)<\/text>/g)].map((m) => m[1]);
      assert.deepEqual(cut, [], `${name}: labels cut short`);
      for (const m of html.matchAll(/<figure class="chart" data-chart="([^"]+)"><svg[^>]*? width="(\d+)"/g))
        assert.ok(Number(m[2]) <= PAGE_WIDTH, `${name}: chart ${m[1]} is ${m[2]} px wide`);
    });
  }
});
