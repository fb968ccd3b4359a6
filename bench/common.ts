import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMatrix, type Matrix } from '../src/core/matrix.js';
import { createRng, randNormal } from '../src/core/rng.js';

/** Gaussian blobs, n x d, around k random centres; deterministic from the seed. */
export function makeBlobs(n: number, d: number, k: number, seed: number, spread = 5, sd = 1.5): Matrix {
  const rng = createRng(seed);
  const centres = Array.from({ length: k * d }, () => spread * randNormal(rng));
  const X = createMatrix(n, d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * k);
    for (let t = 0; t < d; t++) X.data[i * d + t] = centres[c * d + t] + sd * randNormal(rng);
  }
  return X;
}

export const PYTHON = '/usr/bin/python3';

/** Whether Debian's scikit-learn is here to compare against. */
export function hasSklearn(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs a Python snippet with the matrix saved as float64 little-endian at `X_PATH` (and any extra
 * arrays), returning its JSON output. The snippet prints one JSON document.
 */
export function runPython(code: string, arrays: Record<string, Float64Array>): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'segmint-bench-'));
  try {
    const paths: Record<string, string> = {};
    for (const [name, a] of Object.entries(arrays)) {
      paths[name] = join(dir, `${name}.f64`);
      writeFileSync(paths[name], Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    }
    const prelude = `import json, time, numpy as np\nP = ${JSON.stringify(paths)}\n`;
    // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set on this workplace's machines for old OpenBLAS
    // builds; they slow a current numpy, so the reference runs without both (the fair comparison).
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const r = spawnSync(PYTHON, ['-c', prelude + code], { encoding: 'utf8', maxBuffer: 1 << 26, env });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function time<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

export async function timeAsync<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

export const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

export function report(
  rows: { name: string; segmint: number; reference: number | null; quality: string; goal: number }[],
): void {
  console.log('| benchmark | segmint | scikit-learn | ratio | goal | quality |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const ratio = r.reference ? r.segmint / r.reference : null;
    console.log(
      `| ${r.name} | ${fmt(r.segmint)} | ${r.reference ? fmt(r.reference) : 'n/a'} | ${ratio ? ratio.toFixed(2) : 'n/a'} | ≤ ${r.goal} | ${r.quality}${ratio !== null && ratio > r.goal ? ' (MISSES GOAL)' : ''} |`,
    );
  }
}
