/**
 * The few WebAssembly JS API members tfs's own modules use (the GEMM, the MaxPool, the
 * plain-JS tier's MatMul), typed once here: the project compiles without the DOM lib, and
 * @types/node does not declare the WebAssembly namespace.
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WasmModule {}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports?: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
