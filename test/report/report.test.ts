import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { loadRecipe, recipeFromObject } from '../../src/config/load.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { type RunSummary, runRecipe } from '../../src/pipeline/run.js';
import { elbowSpec, heatmapSpec, histogramSpec, sharesSpec } from '../../src/report/charts.js';
import { CHROMIUM_ARGS, findChromium } from '../../src/report/pdf.js';
import { renderSvg } from '../../src/report/render.js';
import { captureIo, cleanup, ROOT, sharedData, tempDir } from '../helpers.js';

/** Chromium for the browser tests: CI installs it (.ci/run); elsewhere its absence skips them. */
function chromiumOrSkip(t: TestContext): string | null {
  const path = findChromium();
  if (path) return path;
  if (process.env.CI)
    throw new Error("Chromium is missing: .ci/run installs Debian's chromium for these tests");
  t.skip('needs Chromium (apt-get install chromium), which is not installed here');
  return null;
}

/** Opens a report in headless Chromium and checks it as a person would see it. */
async function checkInBrowser(executablePath: string, file: string, screenshot: string) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`failed: ${r.url()}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    assert.deepEqual(errors, [], 'no console errors or failed requests');
    assert.deepEqual(requests, [`file://${file}`], 'the report loads nothing but itself');
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        name: f.getAttribute('data-chart'),
        marks: f.querySelectorAll('svg path, svg rect, svg circle, svg line').length,
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    assert.ok(charts.length >= 8, `${charts.length} charts`);
    for (const c of charts) assert.ok(c.marks > 3 && c.width > 50, `chart ${c.name} is empty`);
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(statSync(screenshot).size > 20000, 'the page renders to a screenshot');
    return charts;
  } finally {
    await browser.close();
  }
}

describe('the report', () => {
  let dir: string;
  let demo: RunSummary;
  before(async () => {
    dir = tempDir();
    const shop = generateDemoShop({ dir, customers: 800, seed: 13 });
    demo = await runRecipe(
      loadRecipe(shop.recipe, ['cluster.k.max=6', 'cluster.nInit=3', 'cluster.stabilityRuns=2']),
    );
  });
  after(() => cleanup(dir));

  test('every run writes a self-contained report naming every segment', () => {
    const html = readFileSync(demo.files['report.html'], 'utf8');
    assert.ok(html.length < 5_000_000, `${html.length} bytes`);
    assert.doesNotMatch(html, /<script/i, 'no JavaScript needed');
    assert.doesNotMatch(
      html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]+"/g, ''),
      /(src|href)="https?:/i,
      'no external resources',
    );
    for (const id of [
      'summary',
      'segments',
      'personas',
      'profiles',
      'map',
      'selection',
      'rules',
      'data',
      'quality',
    ])
      assert.match(html, new RegExp(`<section id="${id}">`));
    for (const s of demo.segments)
      assert.ok(
        html.includes(s.name) &&
          html.includes(s.action.replace(/'/g, '&#39;').slice(0, 20).replace(/&#39;/g, "'")),
        s.name,
      );
    assert.match(html, /<figure class="chart" data-chart="elbow">/);
    assert.match(html, /<svg[^>]+class="tree"/, 'the decision tree is drawn');
  });

  test('segmint report rebuilds the same report from the run folder', async () => {
    const c = captureIo();
    const out = join(dir, 'rebuilt.html');
    assert.equal(await main(['report', demo.runDir, '--out', out, '--json'], c.io), 0, c.stdout());
    const doc = JSON.parse(c.stdout());
    assert.ok(doc.ms < 10000 && doc.charts >= 10);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(demo.files['report.html'], 'utf8'));
    const bad = captureIo();
    assert.equal(await main(['report', dir], bad.io), 3);
    assert.match(bad.stderr(), /is not a run folder/);
  });

  test('chart SVG snapshots (numbers and generated ids normalised)', async () => {
    const specs = {
      histogram: histogramSpec(
        { edges: [0, 10, 20, 30], width: 10, counts: [5, 9, 3, 1] },
        'Order value',
        'value',
      ),
      elbow: elbowSpec(
        [2, 3, 4, 5, 6].map((k) => ({
          k,
          inertia: 1000 / k ** 1.5,
          silhouette: 0.5,
          calinskiHarabasz: 100,
          daviesBouldin: 0.8,
          stability: null,
        })),
        4,
        3,
      ),
      shares: sharesSpec([
        { id: 1, name: 'Champions', shareCustomers: 0.2, shareRevenue: 0.6 },
        { id: 2, name: 'Lost', shareCustomers: 0.8, shareRevenue: 0.4 },
      ]),
      heatmap: heatmapSpec(
        [
          { segment: '1 Champions', feature: 'monetary', lift: 3 },
          { segment: '2 Lost', feature: 'monetary', lift: 0.5 },
        ],
        [
          { id: 1, name: 'Champions' },
          { id: 2, name: 'Lost' },
        ],
      ),
    };
    for (const [name, spec] of Object.entries(specs)) {
      const svg = (await renderSvg(spec))
        .replace(/-?\d+\.\d+/g, 'N')
        .replace(/(id|clip-path)="[^"]*"/g, '$1="ID"')
        .replace(/url\(#[^)]*\)/g, 'url(#ID)');
      const file = join(ROOT, 'test', 'fixtures', 'snapshots', `${name}.svg`);
      if (process.env.UPDATE_SNAPSHOTS || !existsSync(file)) writeFileSync(file, svg);
      assert.equal(
        svg,
        readFileSync(file, 'utf8'),
        `${name}: run with UPDATE_SNAPSHOTS=1 after an intended change`,
      );
    }
  });

  test('opens in headless Chromium: no errors, no requests, every chart drawn', async (t) => {
    const chrome = chromiumOrSkip(t);
    if (!chrome) return;
    await checkInBrowser(chrome, demo.files['report.html'], join(dir, 'report.png'));
  });

  test('CDNOW report in the browser', async (t) => {
    const data = sharedData(t, 'cdnow');
    const chrome = data ? chromiumOrSkip(t) : null;
    if (!data || !chrome) return;
    const s = await runRecipe(
      recipeFromObject(
        {
          sources: {
            tx: {
              path: join(data, 'CDNOW_master.txt'),
              csv: { delimiter: 'whitespace' },
              roles: {
                customer: 'customer_id',
                time: 'date',
                quantity: 'number_of_cds',
                amount: 'dollar_value',
              },
            },
          },
          cleaning: { duplicates: 'keep' },
          features: ['recency_days', 'frequency', 'monetary', 'avg_order_value', 'tenure_days'],
          cluster: { k: { min: 2, max: 5 }, nInit: 3 },
          output: { dir: join(dir, 'cdnow-out') },
        },
        dir,
      ),
    );
    const html = readFileSync(s.files['report.html'], 'utf8');
    assert.ok(html.length < 5_000_000);
    await checkInBrowser(chrome, s.files['report.html'], join(dir, 'cdnow.png'));
  });

  test('segmint report --pdf prints a PDF whose text names every segment', async (t) => {
    const chrome = chromiumOrSkip(t);
    if (!chrome) return;
    const hasPdftotext = spawnSync('pdftotext', ['-v']).status === 0;
    if (!hasPdftotext) {
      if (process.env.CI) throw new Error('pdftotext is missing: .ci/run installs poppler-utils');
      t.skip('needs pdftotext (apt-get install poppler-utils) to read the PDF');
      return;
    }
    const c = captureIo();
    assert.equal(await main(['report', demo.runDir, '--pdf', '--json'], c.io), 0, c.stdout() + c.stderr());
    const pdf = JSON.parse(c.stdout()).pdf as string;
    const bytes = readFileSync(pdf);
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout;
    const pages = (text.match(/\f/g) ?? []).length;
    assert.ok(pages >= 3, `${pages} pages`);
    for (const s of demo.segments) assert.ok(text.includes(s.name), `PDF text lacks ${s.name}`);
  });
});

describe('the report on data without dates or revenue', () => {
  test('no reference date, every feature in the heatmap, no revenue legend, names with their evidence', async (t) => {
    const dir = tempDir('segmint-report-undated-');
    t.after(() => cleanup(dir));
    // 60 visits in three planted groups over 20 features (more than the 16 the heatmap once showed).
    const cols = Array.from({ length: 20 }, (_, j) => `f${String(j).padStart(2, '0')}`);
    const rows = Array.from({ length: 60 }, (_, i) =>
      cols
        .map((_, j) => ((i % 3) * 10 + ((i * 7 + j * 3) % 5) + (j === 19 ? 0.001 * (i % 3) : 0)).toFixed(4))
        .join(','),
    );
    writeFileSync(join(dir, 'visits.csv'), `${cols.join(',')}\n${rows.join('\n')}\n`);
    const s = await runRecipe(
      recipeFromObject(
        {
          sources: { visits: { kind: 'customers', path: 'visits.csv', id: 'row' } },
          features: [{ feature: 'attributes' }],
          cluster: { k: 3 },
          // CSV only: the report reads the tags from the CSV (no subsegment_id without refine).
          output: { dir: 'out', formats: ['csv'] },
        },
        dir,
      ),
    );
    const html = readFileSync(join(s.runDir, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /1970-01-01/, 'no reference date without a time column');
    assert.match(html, /reference date<\/td><td>none: the data has no time column/);
    assert.match(html, /All 20 numeric features, sorted by how much they separate the segments/);
    const run = JSON.parse(readFileSync(join(s.runDir, 'run.json'), 'utf8'));
    assert.equal(run.data.dated, false);
    // Names come from the data's own features, never RFM words, each with its claims.
    for (const seg of run.segments) {
      assert.doesNotMatch(seg.name, /Champions|Loyal|Lost|At Risk|Promising|Spenders|Hibernating/);
      assert.doesNotMatch(seg.name, / \d+$/, 'no numerals');
    }
    assert.equal(new Set(run.segments.map((x: { name: string }) => x.name)).size, 3);
    const profiles = readFileSync(join(s.runDir, 'profiles.csv'), 'utf8');
    assert.match(profiles.split('\n')[0], /why_name/);
    assert.match(
      html,
      /Why this name: F\d\d: (higher|lower) than all customers \(median [-\d.]+; all customers [-\d.]+; [-+]\d\.\d sd\)/,
    );
    // The shares chart has no revenue series, so no revenue legend.
    const shares = sharesSpec([{ id: 1, name: 'A', shareCustomers: 1, shareRevenue: null }]);
    assert.deepEqual((shares.encoding as { color: { scale: { domain: string[] } } }).color.scale.domain, [
      'customers',
    ]);
  });
});

test('report numbers keep significant digits for small ratios', async () => {
  const { num } = await import('../../src/report/html.js');
  assert.equal(num(0.0012), '0.0012', 'not 0.0');
  assert.equal(num(0), '0.0');
  assert.equal(num(1234.5), '1,234.5');
  assert.equal(num(null), '–');
});

test('box plots go on a log axis, said in the title, only where a linear one would squash a segment', async () => {
  const { boxSpec, boxLogAxis } = await import('../../src/report/charts.js');
  const segs = [
    { id: 1, name: 'A' },
    { id: 2, name: 'B' },
  ];
  const row = (segment: string, lo: number, median: number, hi: number) => ({
    segment,
    lo,
    q1: (lo + median) / 2,
    median,
    q3: (median + hi) / 2,
    hi,
  });
  const squashed = [row('1 A', 5, 30, 90), row('2 B', 400, 2500, 9000)];
  assert.equal(boxLogAxis(squashed), true);
  const spec = boxSpec(squashed, 'Spend', segs) as {
    title: string;
    layer: { encoding: { x: { scale?: { type: string } } } }[];
  };
  assert.equal(spec.title, 'Spend (log scale)');
  assert.equal(spec.layer[0].encoding.x.scale?.type, 'symlog');
  const even = [row('1 A', 5, 30, 90), row('2 B', 10, 60, 150)];
  assert.equal(boxLogAxis(even), false);
  const linear = boxSpec(even, 'Spend', segs) as typeof spec;
  assert.equal(linear.title, 'Spend');
  assert.equal(linear.layer[0].encoding.x.scale, undefined);
  // Values below 0 never go on a log axis.
  assert.equal(boxLogAxis([row('1 A', -50, 1, 5), row('2 B', 100, 2000, 9000)]), false);
});

test('the shares chart speaks of revenue only where there is revenue', () => {
  const seg = (shareRevenue: number | null) => ({ id: 1, name: 'A', shareCustomers: 1, shareRevenue });
  assert.equal((sharesSpec([seg(0.5)]) as { title: string }).title, 'Share of customers and of revenue');
  assert.equal((sharesSpec([seg(null)]) as { title: string }).title, 'Share of customers');
});
