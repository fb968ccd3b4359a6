/**
 * What customers did in a period, read through the recipe's own sources and cleaning: orders,
 * revenue (net, as the monetary feature counts it), and coupons claimed and redeemed when the
 * recipe has a coupons source. One definition with the run's features: the same feature SELECT,
 * over the window [from, from + days).
 */
import { existsSync } from 'node:fs';
import { type LoadedRecipe, loadRecipe } from '../config/load.js';
import { engineOf, type Recipe } from '../config/recipe.js';
import { addDays } from '../core/dates.js';
import { SegmintError } from '../core/errors.js';
import { dataStages } from '../pipeline/data-stages.js';
import { Duck } from '../sql/duckdb.js';

export interface Outcome {
  orders: number;
  revenue: number;
  claimed: number;
  burned: number;
}

export interface Outcomes {
  from: string;
  to: string;
  days: number;
  /** Customers with any purchase or coupon in the period (everyone else did nothing). */
  byCustomer: Map<string, Outcome>;
  coupons: boolean;
  /** Day of the last order in the period, or null when there was none. */
  lastOrder: string | null;
}

/** Whether the recipe has a source of this kind. */
const hasKind = (recipe: Recipe, kind: string): boolean =>
  Object.values(recipe.sources).some((s) => s.kind === kind);

/** Whether the recipe has order lines to measure outcomes from. */
export const hasOrders = (recipe: Recipe): boolean => hasKind(recipe, 'transactions');

/** The recipe file a campaign or run recorded, loaded if it is still there. */
export function recipeAt(file: string | null): LoadedRecipe | null {
  return file && existsSync(file) ? loadRecipe(file) : null;
}

/** The recipe reduced to the outcome features over [from, from + days). */
export function outcomeRecipe(recipe: Recipe, from: string, days: number): Recipe {
  const coupons = hasKind(recipe, 'coupons');
  const engine = engineOf(recipe);
  return {
    ...recipe,
    window: { referenceDate: addDays(from, days), days },
    features: [
      { feature: 'frequency', as: 'o_orders' },
      { feature: 'monetary', as: 'o_revenue' },
      { feature: 'recency_days', as: 'o_recency' },
      ...(coupons
        ? [
            { feature: 'coupons_claimed' as const, as: 'o_claimed' },
            { feature: 'coupons_burned' as const, as: 'o_burned' },
          ]
        : []),
    ],
    clv: undefined,
    refine: undefined,
    // Inside a database the outcomes go to their own table: the run's feature table stays.
    ...(engine ? { engine: { ...engine, featuresTable: `${engine.featuresTable}_outcomes` } } : {}),
  } as Recipe;
}

export async function readOutcomes(loaded: LoadedRecipe, from: string, days: number): Promise<Outcomes> {
  if (!hasOrders(loaded.recipe))
    throw new SegmintError(
      'RECIPE_INVALID',
      'A campaign is measured on the orders customers place, and this recipe has no source of kind transactions.',
      {
        where: { path: 'sources' },
        hint: 'Add the order lines as a source with kind: transactions (they may be a file, a glob, or a table), then measure again.',
      },
    );
  const recipe = outcomeRecipe(loaded.recipe, from, days);
  const to = addDays(from, days);
  const coupons = hasKind(loaded.recipe, 'coupons');
  const duck = await Duck.open();
  try {
    const noop = () => {};
    try {
      await dataStages(duck, { ...loaded, recipe }, { stage: noop, done: noop, emit: noop, overview: false });
    } catch (e) {
      // Nobody bought in the period: every customer's outcome is zero.
      if (e instanceof SegmintError && e.code === 'DATA_EMPTY')
        return { from, to, days, byCustomer: new Map(), coupons, lastOrder: null };
      throw e;
    }
    const rows = await duck.all(
      `SELECT CAST(customer_id AS VARCHAR) AS c, o_orders, o_revenue, o_recency${coupons ? ', o_claimed, o_burned' : ''} FROM features`,
    );
    const byCustomer = new Map<string, Outcome>();
    let minRecency = Number.POSITIVE_INFINITY;
    for (const r of rows) {
      const orders = Number(r.o_orders ?? 0);
      if (orders > 0 && r.o_recency !== null) minRecency = Math.min(minRecency, Number(r.o_recency));
      byCustomer.set(String(r.c), {
        orders,
        revenue: Number(r.o_revenue ?? 0),
        claimed: coupons ? Number(r.o_claimed ?? 0) : 0,
        burned: coupons ? Number(r.o_burned ?? 0) : 0,
      });
    }
    return {
      from,
      to,
      days,
      byCustomer,
      coupons,
      lastOrder: Number.isFinite(minRecency) ? addDays(to, -Math.max(1, Math.ceil(minRecency))) : null,
    };
  } finally {
    duck.close();
  }
}
