import { KERNELS_WASM } from './generated/kernels-wasm.js';
import type { KernelSet } from './kernel-set.js';
import type { KernelMemory } from './memory.js';

let compiled: WebAssembly.Module | null | undefined;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The compiled kernel module, or null where this platform cannot run it (no WebAssembly SIMD or
 * no shared memory). Compiled once per thread.
 */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = decodeBase64(KERNELS_WASM);
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** The WebAssembly SIMD kernels instantiated over `mem` (which must be a shared memory), or null. */
export function wasmKernels(mem: KernelMemory): KernelSet | null {
  const module = kernelModule();
  if (!module || !mem.shared) return null;
  const inst = new WebAssembly.Instance(module, { env: { memory: mem.memory } });
  const e = inst.exports as unknown as Omit<KernelSet, 'name'>;
  return {
    name: 'wasm-simd',
    kmAssign: e.kmAssign,
    kppDistances: e.kppDistances,
    mbAssign: e.mbAssign,
    silhouetteBlock: e.silhouetteBlock,
    colSums: e.colSums,
    binColumn: e.binColumn,
    sortF64: e.sortF64,
    histogram: e.histogram,
  };
}
