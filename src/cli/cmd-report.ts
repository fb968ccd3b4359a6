import { renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { action, addCommon, type CommonOpts, printJson } from './common.js';
import type { Io } from './output.js';

export function registerReport(program: Command, io: Io): void {
  addCommon(
    program
      .command('report')
      .description(
        "rebuild a run's self-contained HTML report from its outputs, and optionally print it to PDF",
      )
      .argument('<run-dir>', 'a run folder: <out>/latest or <out>/runs/<run-id>')
      .option('--pdf', 'also print report.pdf with headless Chromium')
      .option('-o, --out <file>', 'where to write the HTML (default <run-dir>/report.html)'),
  ).action(
    action(io, async (dir: string, opts: CommonOpts & { pdf?: boolean; out?: string }) => {
      const [{ writeFileAtomic }, { buildReport }, { printPdf }] = await Promise.all([
        import('../pipeline/atomic.js'),
        import('../report/build.js'),
        import('../report/pdf.js'),
      ]);
      const runDir = resolve(dir);
      const t0 = performance.now();
      const { html, charts } = await buildReport(runDir);
      const out = resolve(opts.out ?? join(runDir, 'report.html'));
      writeFileAtomic(out, html);
      const result: Record<string, unknown> = {
        report: out,
        bytes: Buffer.byteLength(html),
        charts: Object.keys(charts).length,
        ms: Math.round(performance.now() - t0),
      };
      if (opts.pdf) {
        const pdf = out.replace(/\.html?$/i, '') + '.pdf';
        const tmp = `${pdf}.tmp-${process.pid}.pdf`;
        await printPdf(out, tmp);
        renameSync(tmp, pdf);
        result.pdf = pdf;
      }
      if (opts.json) printJson(io, result);
      else
        io.out(
          `report: ${out} (${(Number(result.bytes) / 1024).toFixed(0)} KB, ${result.charts} charts)${result.pdf ? `\npdf:    ${result.pdf}` : ''}\n`,
        );
    }),
  );
}
