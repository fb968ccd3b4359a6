import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Spec } from './charts.js';

/** Renders a Vega-Lite spec to a standalone SVG string, headless (no canvas, no network). */
export async function renderSvg(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), {
    renderer: 'none',
    loader: vega.loader({ mode: 'file' }),
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
