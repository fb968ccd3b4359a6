import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SegmintError } from '../core/errors.js';
import { printRunSummary, runJson } from './cmd-run.js';
import { action, addCommon, type CommonOpts, printJson } from './common.js';
import { fmtInt, type Io } from './output.js';

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new SegmintError('USAGE', `${name} must be a whole number of at least 1, not "${v}".`);
  return n;
};

export function registerDemo(program: Command, io: Io): void {
  addCommon(
    program
      .command('demo')
      .description(
        'generate a sample shop (Online Retail II format + events, customers, coupons) and segment it end to end',
      )
      .option('--dir <dir>', 'where to write the shop, its recipe and the outputs', 'demo-shop')
      .option('--customers <n>', 'number of customers', positiveInt('--customers'), 5000)
      .option('--seed <n>', 'random seed of the generator and of k-means', positiveInt('--seed'), 7),
    true,
  ).action(
    action(io, async (opts: CommonOpts & { dir: string; customers: number; seed: number }) => {
      const [{ generateDemoShop }, { loadRecipe }, { runRecipe }, { progressRenderer }] = await Promise.all([
        import('../demo/generate.js'),
        import('../config/load.js'),
        import('../pipeline/run.js'),
        import('./progress.js'),
      ]);
      const dir = resolve(opts.dir);
      const t0 = performance.now();
      // A large shop takes a while to draw: a line that counts on a terminal.
      const live = io.isTTY && !opts.json && !opts.quiet;
      const shop = generateDemoShop({
        dir,
        customers: opts.customers,
        seed: opts.seed,
        ...(live
          ? {
              onProgress: (phase: 'customers' | 'orders', done: number, total: number) =>
                io.err(
                  `\r  generating: ${phase === 'customers' ? `customers ${fmtInt(done)} of ${fmtInt(total)}` : `order lines, day ${fmtInt(done)} of ${fmtInt(total)}`}   `,
                ),
            }
          : {}),
      });
      if (live) io.err('\r\x1b[K');
      const genMs = performance.now() - t0;
      if (!opts.json && !opts.quiet)
        io.err(
          `  generated ${fmtInt(shop.lines)} order lines for ${fmtInt(opts.customers)} customers in ${(genMs / 1000).toFixed(2)} s -> ${dir}/data\n`,
        );
      const loaded = loadRecipe(shop.recipe, opts.set ?? []);
      const progress = progressRenderer(io, !opts.json && !opts.quiet);
      const summary = await runRecipe(loaded, { onEvent: progress.onEvent }).finally(progress.stop);
      if (opts.json)
        printJson(io, {
          demo: { dir, recipe: shop.recipe, lines: shop.lines, plantedPersonas: shop.personas },
          ...runJson(summary),
        });
      else {
        printRunSummary(io, summary);
        io.out(`\nrecipe:   ${shop.recipe}\nre-run:   segmint run ${shop.recipe}\n`);
      }
    }),
  );
}
