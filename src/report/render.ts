import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Spec } from './charts.js';

/**
 * Renders a Vega-Lite spec to a standalone SVG string, headless (no canvas, no network). Vega
 * numbers its clip paths from a counter that lives as long as the process; they are renamed after
 * the chart (`name-1`, `name-2`, ...) so the same run gives the same file, and ids stay unique when
 * many charts share one page.
 */
export async function renderSvg(spec: Spec, name = 'chart'): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), {
    renderer: 'none',
    loader: vega.loader({ mode: 'file' }),
  });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g))
    if (!ids.has(m[1])) ids.set(m[1], `${name}-${ids.size + 1}`);
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (all, pre: string, id: string) =>
    ids.has(id) ? `${pre}${ids.get(id)}` : all,
  );
}
