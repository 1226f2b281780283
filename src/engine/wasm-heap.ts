/**
 * Size of the Wasm backend's heap (its `WebAssembly.Memory`), for memory benchmarks and batch sizing. jax-js does
 * not expose its memory, so `installWasmHeapProbe` (called by `startEngine` before jax-js creates its backend)
 * records every `WebAssembly.Memory` constructed afterwards. jax-js's allocator only grows linear memory, so the
 * size is the high-water mark of everything the backend ever held at once. Browser-safe.
 */

const memories: WebAssembly.Memory[] = [];
let installed = false;

/** Starts recording `WebAssembly.Memory` instances (idempotent). Call before the Wasm backend is created. */
export function installWasmHeapProbe(): void {
  if (installed || typeof WebAssembly === "undefined") return;
  installed = true;
  const Original = WebAssembly.Memory;
  class RecordedMemory extends Original {
    constructor(descriptor: WebAssembly.MemoryDescriptor) {
      super(descriptor);
      memories.push(this);
    }
  }
  Object.defineProperty(WebAssembly, "Memory", { value: RecordedMemory, configurable: true, writable: true });
}

/**
 * Bytes of Wasm linear memory: the largest `WebAssembly.Memory` created since `installWasmHeapProbe` (jax-js's Wasm
 * backend has one, growable to 4 GiB). 0 before the backend exists or when the probe was installed too late.
 */
export function wasmHeapBytes(): number {
  let max = 0;
  for (const m of memories) max = Math.max(max, m.buffer.byteLength);
  return max;
}
