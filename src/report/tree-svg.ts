import { maxOf } from '../core/arrays.js';
import { uniformClasses } from '../explain/rules.js';
import type { Tree } from '../explain/tree.js';
import { PALETTE } from './charts.js';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Draws a decision tree as SVG: split nodes show their condition (left branch: true), leaves the
 * predicted class coloured as its segment, with the number of customers.
 */
export function treeSvg(tree: Tree, features: string[], classes: string[], decimals = 2): string {
  // A split whose every branch ends in the same segment is drawn as that segment's leaf.
  const uniform = uniformClasses(tree);
  const isLeaf = (node: number) => tree.left[node] === -1 || uniform[node] >= 0;
  const leaves: number[] = [];
  const depth = new Map<number, number>();
  const walk = (node: number, d: number) => {
    depth.set(node, d);
    if (isLeaf(node)) leaves.push(node);
    else {
      walk(tree.left[node], d + 1);
      walk(tree.right[node], d + 1);
    }
  };
  walk(0, 0);
  const W = 150;
  const H = 44;
  const gapY = 36;
  const x = new Map<number, number>();
  leaves.forEach((l, i) => {
    x.set(l, i * (W + 12));
  });
  const place = (node: number): number => {
    if (x.has(node)) return x.get(node)!;
    const v = (place(tree.left[node]) + place(tree.right[node])) / 2;
    x.set(node, v);
    return v;
  };
  place(0);
  const maxDepth = maxOf(depth.values());
  const width = leaves.length * (W + 12);
  const height = (maxDepth + 1) * (H + gapY);
  const parts: string[] = [];
  for (const [node, d] of depth) {
    const nx = x.get(node)!;
    const ny = d * (H + gapY);
    if (!isLeaf(node)) {
      for (const [child, label] of [
        [tree.left[node], 'yes'],
        [tree.right[node], 'no'],
      ] as const) {
        const cx = x.get(child)! + W / 2;
        const cy = (d + 1) * (H + gapY);
        parts.push(`<line x1="${nx + W / 2}" y1="${ny + H}" x2="${cx}" y2="${cy}" stroke="#888"/>`);
        parts.push(
          `<text x="${(nx + W / 2 + cx) / 2 + 4}" y="${(ny + H + cy) / 2}" font-size="10" fill="#555">${label}</text>`,
        );
      }
    }
  }
  for (const [node, d] of depth) {
    const nx = x.get(node)!;
    const ny = d * (H + gapY);
    const n = tree.nSamples[node];
    if (!isLeaf(node)) {
      const cond = `${features[tree.feature[node]]} ≤ ${tree.threshold[node].toFixed(decimals)}`;
      parts.push(
        `<rect x="${nx}" y="${ny}" width="${W}" height="${H}" rx="6" fill="#f4f6f8" stroke="#9aa5b1"/>`,
      );
      parts.push(
        `<text x="${nx + W / 2}" y="${ny + 18}" font-size="11" text-anchor="middle">${esc(cond)}</text>`,
      );
      parts.push(
        `<text x="${nx + W / 2}" y="${ny + 34}" font-size="10" text-anchor="middle" fill="#555">${n.toLocaleString('en-US')} customers</text>`,
      );
    } else {
      const best = uniform[node];
      const color = PALETTE[best % PALETTE.length];
      parts.push(
        `<rect x="${nx}" y="${ny}" width="${W}" height="${H}" rx="6" fill="${color}" fill-opacity="0.18" stroke="${color}"/>`,
      );
      parts.push(
        `<text x="${nx + W / 2}" y="${ny + 18}" font-size="11" font-weight="bold" text-anchor="middle">${esc(classes[best])}</text>`,
      );
      parts.push(
        `<text x="${nx + W / 2}" y="${ny + 34}" font-size="10" text-anchor="middle" fill="#555">${n.toLocaleString('en-US')} customers</text>`,
      );
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="tree" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">${parts.join('')}</svg>`;
}
