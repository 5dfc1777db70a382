/**
 * First-fit allocator over a growable WasmMemory: packed weight panels live here for
 * their weight's life, and one scratch block (A, C, bias) is reused across calls.
 */
import type { WasmMemory } from '../wasm-api.js';

const PAGE = 65536;
const ALIGN = 64;

interface Block {
  ptr: number;
  size: number;
}

export class Heap {
  /** Free blocks, sorted by address, never adjacent (merged). */
  private readonly free: Block[] = [];

  constructor(
    readonly memory: WasmMemory,
    base: number,
  ) {
    const end = memory.buffer.byteLength;
    if (end > base) this.free.push({ ptr: base, size: end - base });
  }

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let i = this.free.findIndex((b) => b.size >= size);
    if (i < 0) {
      this.grow(size);
      i = this.free.length - 1;
    }
    const b = this.free[i]!;
    const ptr = b.ptr;
    if (b.size === size) this.free.splice(i, 1);
    else {
      b.ptr += size;
      b.size -= size;
    }
    return ptr;
  }

  release(ptr: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let i = 0;
    while (i < this.free.length && this.free[i]!.ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    this.merge(i);
    if (i > 0) this.merge(i - 1);
  }

  /** Merge free block i with its successor when they touch. */
  private merge(i: number): void {
    const a = this.free[i];
    const b = this.free[i + 1];
    if (a && b && a.ptr + a.size === b.ptr) {
      a.size += b.size;
      this.free.splice(i + 1, 1);
    }
  }

  /** Grow the memory so that the last free block (at the end) holds `size` bytes. */
  private grow(size: number): void {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tail = last && last.ptr + last.size === end ? last.size : 0;
    const pages = Math.ceil((size - tail) / PAGE);
    this.memory.grow(pages); // throws a RangeError past the maximum
    if (tail > 0) last!.size += pages * PAGE;
    else this.free.push({ ptr: end, size: pages * PAGE });
  }
}
