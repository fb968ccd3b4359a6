/**
 * The numeric kernels, one signature for both implementations: the WebAssembly SIMD build of
 * src/kernels/assembly/kernels.ts and its TypeScript twin in reference.ts. Arguments are plain
 * numbers; every array is a byte pointer into the kernel memory. Both compute the same bits.
 * See assembly/kernels.ts for what each kernel does.
 */
export interface KernelSet {
  readonly name: KernelName;
  kmAssign(
    mode: number,
    X: number,
    n: number,
    d: number,
    k: number,
    centers: number,
    half: number,
    shift: number,
    labels: number,
    upper: number,
    lower: number,
    chunkSums: number,
    chunkCounts: number,
    chunkValid: number,
    chunkRows: number,
    from: number,
    to: number,
    wantInertia: number,
    stats: number,
  ): void;
  kppDistances(
    X: number,
    n: number,
    d: number,
    cands: number,
    trials: number,
    closest: number,
    out: number,
    partials: number,
    chunks: number,
    chunkRows: number,
    from: number,
    to: number,
  ): void;
  mbAssign(
    X: number,
    d: number,
    k: number,
    centers: number,
    idx: number,
    batch: number,
    lab: number,
    sums: number,
    bcount: number,
  ): number;
  silhouetteBlock(
    X: number,
    n: number,
    d: number,
    labels: number,
    k: number,
    i0: number,
    i1: number,
    out: number,
  ): void;
  colSums(X: number, d: number, start: number, end: number, mean: number, out: number): void;
  binColumn(col: number, n: number, uppers: number, nu: number, code: number, lo: number, hi: number): void;
  sortF64(data: number, n: number, scratch: number): void;
  histogram(
    codes: number,
    y: number,
    w: number,
    samples: number,
    start: number,
    end: number,
    nClasses: number,
    nb: number,
    counts: number,
    weights: number,
    rows: number,
    clear: number,
  ): void;
}

/** wasm-simd: the WebAssembly build with 128-bit SIMD; js: the TypeScript twins. */
export const KERNEL_NAMES = ['wasm-simd', 'js'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

/** Assignment modes of kmAssign. */
export const ASSIGN_MODE = { lloyd: 0, 'hamerly-init': 1, hamerly: 2 } as const;
