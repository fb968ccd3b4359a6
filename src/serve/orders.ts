import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { recipeFromObject } from '../config/load.js';
import { type FeatureSpec, Recipe } from '../config/recipe.js';
import { SegmintError } from '../core/errors.js';
import { TX_FEATURES } from '../features/catalogue.js';
import type { Model } from '../model/model.js';
import { computeFeatures } from '../pipeline/run.js';
import { Duck } from '../sql/duckdb.js';
import { type OrderLines, orderLines } from './schemas.js';

/** Scoring needs the features only: not the report's summary of the data (half its queries). */
const NO_OVERVIEW = { overview: false } as const;

/**
 * Turns raw order lines (in the columns of the model's transactions source) into the model's
 * transaction features, with the model's own cleaning rules and definitions. The reference date is
 * the given one, else the later of the model's and the day after the last order. Features from
 * other sources (events, coupons, customer attributes) are not computed here. With `only`, just
 * that customer's features are returned (and `customers` counts them all).
 */
/** An error about the temporary file the posted orders were written to, told of "the posted orders". */
function postedOrders(e: unknown, file: string): unknown {
  if (!(e instanceof SegmintError)) return e;
  const say = (t: string) => t.split(file).join('the posted orders').split(dirname(file)).join('(server)');
  const where = Object.fromEntries(
    Object.entries(e.where).map(([k, v]) => [k, typeof v === 'string' ? say(v) : v]),
  );
  return new SegmintError(e.code, say(e.message), { where, hint: say(e.hint), cause: e });
}

export async function featuresFromOrders(
  model: Model,
  given: OrderLines | Record<string, unknown>[],
  referenceDate?: string,
  only?: string,
): Promise<Map<string, Record<string, number | string | null>> & { customers: number }> {
  const recipe = Recipe.parse(model.recipe);
  const txEntry = Object.entries(recipe.sources).find(([, s]) => s.kind === 'transactions');
  if (!txEntry)
    throw new SegmintError(
      'SCORE_INPUT',
      'This model was not built from order lines; send features instead of orders.',
    );
  const [txName, tx] = txEntry;
  if (tx.join.length)
    throw new SegmintError(
      'SCORE_INPUT',
      'This model joins its orders with lookup tables; send features instead of orders.',
    );
  const dir = mkdtempSync(join(tmpdir(), 'segmint-orders-'));
  try {
    const file = join(dir, 'orders.ndjson');
    const orders = Array.isArray(given) ? orderLines(given) : given;
    await writeFile(file, orders.ndjson);
    const features = recipe.features.filter(
      (f: FeatureSpec) =>
        TX_FEATURES.has(typeof f === 'string' ? f : f.feature) ||
        (typeof f !== 'string' && f.feature === 'custom' && (f.from ?? 'transactions') === 'transactions'),
    );
    // The posted orders replace the model's source, wherever it was read (file, PostgreSQL or an
    // engine's table), and are featurised here in DuckDB.
    const { postgres: _pg, table: _table, ...txSpec } = tx;
    // Posted orders need not say their status (an order being scored was placed); where none
    // carries the status column, no order is canceled by it.
    const status = txSpec.roles.status;
    if (status && !orders.columns.includes(status)) {
      const { status: _s, ...roles } = txSpec.roles;
      txSpec.roles = roles;
    }
    // Every column the model's roles read must be in the orders: said here, by name, rather than
    // by the reader of a temporary file.
    const missing = Object.entries(txSpec.roles).filter(([, c]) => !orders.columns.includes(c));
    if (orders.columns.length && missing.length)
      throw new SegmintError(
        'INVALID_ORDERS',
        `The orders lack ${missing.map(([r, c]) => `"${c}" (its ${r})`).join(', ')}, which the model reads.`,
        {
          where: { path: 'orders' },
          hint: `Give each order line ${Object.values(txSpec.roles)
            .map((c) => `"${c}"`)
            .join(', ')}, as the model's recipe names them.`,
        },
      );
    void _pg;
    void _table;
    const raw = {
      ...recipe,
      engine: undefined,
      sources: { [txName]: { ...txSpec, path: file, format: 'json', csv: undefined, join: [] } },
      features,
      window: {
        ...(recipe.window.days ? { days: recipe.window.days } : {}),
        ...(referenceDate ? { referenceDate } : {}),
      },
      refine: undefined,
      schedule: undefined,
    };
    const loaded = recipeFromObject(JSON.parse(JSON.stringify(raw)), dir);
    if (!referenceDate && loaded.recipe.window.referenceDate === undefined) {
      // The model's reference date unless the orders are newer.
      loaded.recipe.window.referenceDate = model.window.referenceDate;
    }
    const duck = await Duck.open();
    try {
      let result: Awaited<ReturnType<typeof computeFeatures>>;
      try {
        result = await computeFeatures(duck, loaded, NO_OVERVIEW);
      } catch (e) {
        // Orders after the model's reference date: measure from the day after the last order.
        if (!referenceDate && e instanceof SegmintError && e.code === 'DATA_EMPTY') {
          loaded.recipe.window.referenceDate = undefined;
          result = await computeFeatures(duck, loaded, NO_OVERVIEW).catch((x: unknown) => {
            throw postedOrders(x, file);
          });
        } else throw postedOrders(e, file);
      }
      // Only the named customer's row is converted (every row of a large body cost the main
      // thread 100 ms); without a name, every customer's.
      const customers = Number((await duck.one('SELECT count(*) AS n FROM features')).n);
      const rows = await duck.all(
        `SELECT * FROM features${only === undefined ? '' : ' WHERE customer_id = $id'}`,
        only === undefined ? undefined : { id: only },
      );
      const byCustomer = new Map(
        rows.map((r) => [
          String(r.customer_id),
          Object.fromEntries(
            result.feats.columns.map((c) => [c.name, (r[c.name] ?? null) as number | string | null]),
          ),
        ]),
      );
      return Object.assign(byCustomer, { customers });
    } finally {
      duck.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
