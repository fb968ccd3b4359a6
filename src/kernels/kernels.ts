import type { KernelName, KernelSet } from './kernel-set.js';
import { KernelMemory } from './memory.js';
import { referenceKernels } from './reference.js';
import { wasmKernels } from './wasm.js';

/** A memory and the kernels that run over it, on one thread. */
export interface KernelContext {
  mem: KernelMemory;
  kernels: KernelSet;
}

let wanted: KernelName | 'auto' = 'auto';
let current: KernelContext | null = null;

/**
 * Chooses the kernels for this thread: `auto` (the default) takes WebAssembly SIMD where the
 * platform runs it and the TypeScript twins elsewhere; `js` forces the twins (tests use it to check
 * the fallback). The environment variable SEGMINT_KERNELS=js does the same for every thread.
 */
export function setKernels(name: KernelName | 'auto'): void {
  wanted = name;
  current = null;
}

/** The kernels named for a memory (`auto`: SIMD if possible). */
export function kernelsFor(mem: KernelMemory, name: KernelName | 'auto'): KernelSet {
  if (name === 'js') return referenceKernels(mem);
  return wasmKernels(mem) ?? referenceKernels(mem);
}

function envChoice(): KernelName | 'auto' {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.SEGMINT_KERNELS;
  return v === 'js' || v === 'wasm-simd' ? v : 'auto';
}

/** This thread's kernel memory and kernels, made on first use. */
export function kernelContext(): KernelContext {
  if (current) return current;
  const mem = new KernelMemory();
  const name = wanted === 'auto' ? envChoice() : wanted;
  current = { mem, kernels: kernelsFor(mem, name) };
  return current;
}

/** Which kernels this thread runs: wasm-simd or js. */
export const activeKernels = (): KernelName => kernelContext().kernels.name;

/**
 * Makes `memory` (shared by the thread that owns it) this thread's kernel memory, with the named
 * kernels: how a team's worker joins its owner. The worker must not allocate in it.
 */
export function adoptKernelContext(memory: WebAssembly.Memory, name: KernelName): KernelContext {
  const mem = new KernelMemory(memory);
  current = { mem, kernels: kernelsFor(mem, name) };
  return current;
}
