import { minOf } from '../core/arrays.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * Draws the top of a hierarchical clustering (the last merges, as run.json keeps them) as an SVG
 * dendrogram: merge heights on the vertical axis, a dashed line where the tree is cut into k.
 * Clusters formed below the drawn merges are leaves labelled with their size when it is known.
 */
export function dendrogramSvg(
  d: { merges: { a: number; b: number; height: number; size: number }[]; n: number },
  k: number,
): string {
  const m = d.merges.length;
  if (!m) return '';
  const first = d.n - 1 - m;
  const idOf = (i: number) => d.n + first + i;
  const byId = new Map(d.merges.map((x, i) => [idOf(i), x]));
  const root = idOf(m - 1);
  const leaves: number[] = [];
  const walk = (id: number) => {
    const node = byId.get(id);
    if (!node) {
      leaves.push(id);
      return;
    }
    walk(node.a);
    walk(node.b);
  };
  walk(root);
  const W = Math.max(420, leaves.length * 14);
  const H = 260;
  const pad = { l: 50, r: 10, t: 14, b: 26 };
  const maxH = byId.get(root)!.height || 1;
  const minH = minOf(d.merges.map((x) => x.height));
  const lo = Math.max(0, minH - (maxH - minH) * 0.08);
  const y = (h: number) => pad.t + (H - pad.t - pad.b) * (1 - (h - lo) / (maxH - lo || 1));
  const x = new Map<number, number>();
  leaves.forEach((id, i) => {
    x.set(id, pad.l + ((i + 0.5) * (W - pad.l - pad.r)) / leaves.length);
  });
  const parts: string[] = [];
  const place = (id: number): number => {
    const node = byId.get(id);
    if (!node) return x.get(id)!;
    const xa = place(node.a);
    const xb = place(node.b);
    const ya = byId.has(node.a) ? y(byId.get(node.a)!.height) : H - pad.b;
    const yb = byId.has(node.b) ? y(byId.get(node.b)!.height) : H - pad.b;
    const yn = y(node.height);
    parts.push(
      `<path d="M${xa.toFixed(1)},${ya.toFixed(1)}V${yn.toFixed(1)}H${xb.toFixed(1)}V${yb.toFixed(1)}" fill="none" stroke="#0072B2" stroke-width="1.2"/>`,
    );
    const xm = (xa + xb) / 2;
    x.set(id, xm);
    return xm;
  };
  place(root);
  // The cut into k clusters lies between the (k-1)-th and k-th highest merges.
  const heights = d.merges.map((mm) => mm.height).sort((a, b) => b - a);
  if (k >= 2 && k - 1 < heights.length) {
    const cut = y((heights[k - 2] + heights[k - 1]) / 2);
    parts.push(
      `<line x1="${pad.l}" x2="${W - pad.r}" y1="${cut.toFixed(1)}" y2="${cut.toFixed(1)}" stroke="#D55E00" stroke-dasharray="5,4"/>`,
    );
    parts.push(
      `<text x="${W - pad.r}" y="${(cut - 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#D55E00">cut into ${k}</text>`,
    );
  }
  for (const t of [lo, (lo + maxH) / 2, maxH])
    parts.push(
      `<text x="${pad.l - 6}" y="${y(t).toFixed(1)}" font-size="10" text-anchor="end" dominant-baseline="middle">${esc(t.toPrecision(3))}</text>`,
    );
  parts.push(
    `<text x="${pad.l}" y="${H - 6}" font-size="10" fill="#555">${leaves.length} clusters below the top ${m} merges; height = merge distance</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" class="dendrogram" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">${parts.join('')}</svg>`;
}
