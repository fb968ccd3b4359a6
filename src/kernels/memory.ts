import { SegmintError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';

/** WebAssembly pages are 64 KiB; 65,536 of them are the 4 GiB a 32-bit memory can address. */
const PAGE = 65536;
const MAX_PAGES = 65536;
/** The first 64 KiB stay free for the module's own data. */
const BASE = PAGE;
const ALIGN = 64;

/**
 * The one linear memory the kernels work in, shared by every worker of a team (a shared
 * WebAssembly.Memory where the platform has threads), with a first-fit allocator kept on the thread
 * that owns it. Pointers are byte offsets. Views are made afresh from the current buffer, since
 * growing replaces it (a shared memory never detaches the old buffer, so older views stay valid).
 */
export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** Free blocks [start, size], sorted by start; everything from `top` on is free too. */
  private free: [number, number][] = [];
  private top = BASE;
  private readonly sizes = new Map<number, number>();
  /** Matrices allocated here (so they are used in place, never copied in again). */
  private readonly placed = new WeakMap<Float64Array, number>();

  constructor(memory?: WebAssembly.Memory) {
    if (memory) {
      this.memory = memory;
      this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      return;
    }
    let m: WebAssembly.Memory;
    let shared = true;
    try {
      m = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    } catch {
      m = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES });
      shared = false;
    }
    this.memory = m;
    this.shared = shared;
  }

  /** Bytes in use (allocated, not freed). */
  get used(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  /** Allocates `bytes` (rounded up to 64) and returns the pointer; the block is not cleared. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const [start, len] = this.free[i];
      if (len < size) continue;
      if (len === size) this.free.splice(i, 1);
      else this.free[i] = [start + size, len - size];
      this.sizes.set(start, size);
      return start;
    }
    const start = this.top;
    const end = start + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      const cur = have / PAGE;
      if (cur + pages > MAX_PAGES) {
        throw new SegmintError(
          'KERNEL_MEMORY',
          `The numeric kernels need ${Math.ceil(end / 2 ** 20)} MiB, more than the 4 GiB their memory can address.`,
        );
      }
      // Grow by at least a quarter of what is there, so many small steps do not copy often.
      this.memory.grow(Math.min(MAX_PAGES - cur, Math.max(pages, Math.ceil(cur / 4))));
    }
    this.top = end;
    this.sizes.set(start, size);
    return start;
  }

  /** Allocates and zero-fills. */
  calloc(bytes: number): number {
    const p = this.alloc(bytes);
    new Uint8Array(this.memory.buffer, p, Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN)).fill(0);
    return p;
  }

  /** Returns a block to the free list (merging with its neighbours). */
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // The block now at the end of the free list may touch the new top.
      const last = this.free[this.free.length - 1];
      if (last && last[0] + last[1] === this.top) {
        this.top = last[0];
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i][0] < ptr) i++;
    this.free.splice(i, 0, [ptr, size]);
    const next = this.free[i + 1];
    if (next && ptr + size === next[0]) {
      this.free[i][1] += next[1];
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev[0] + prev[1] === ptr) {
      prev[1] += this.free[i][1];
      this.free.splice(i, 1);
    }
  }

  /**
   * Brings this thread's view of a shared memory up to date: another thread may have grown it,
   * and JavaScript sees the new size only after a grow on this thread (growing by zero pages is
   * enough). A team worker calls it before each command; the owner never needs it.
   */
  refresh(): void {
    this.memory.grow(0);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  /** Copies doubles in; returns the pointer (free it with release). */
  putF64(values: ArrayLike<number>): number {
    const p = this.alloc(values.length * 8);
    this.f64(p, values.length).set(values);
    return p;
  }
  putI32(values: ArrayLike<number>): number {
    const p = this.alloc(values.length * 4);
    this.i32(p, values.length).set(values);
    return p;
  }

  /**
   * A rows x cols matrix (zeros) whose data lives in this memory: the kernels use it where it is,
   * with no copy. Give it back with releaseMatrix when done.
   */
  matrix(rows: number, cols: number): Matrix {
    const p = this.calloc(rows * cols * 8);
    const data = this.f64(p, rows * cols);
    this.placed.set(data, p);
    return { rows, cols, data };
  }

  /** Frees a matrix made by matrix(); its data must not be used afterwards. */
  releaseMatrix(X: Matrix): void {
    const p = this.placed.get(X.data);
    if (p === undefined) return;
    this.placed.delete(X.data);
    this.release(p);
  }

  /**
   * The pointer of X's data in this memory: in place when X was made by matrix(), else a copy
   * (then `done` frees it).
   */
  place(X: Matrix): { ptr: number; data: Float64Array; done: () => void } {
    const own = this.placed.get(X.data);
    if (own !== undefined) return { ptr: own, data: X.data, done: () => {} };
    const ptr = this.alloc(X.data.length * 8);
    const data = this.f64(ptr, X.data.length);
    data.set(X.data);
    return { ptr, data, done: () => this.release(ptr) };
  }
}
