/**
 * The one way bytes enter a WASM instance's input arena: grow it if needed, return the pointer.
 * Growing may move the arena and grow memory, which detaches views: callers fetch views after.
 */
import type { WasmInstance } from './loader.js';

/** Makes room for `bytes` bytes in the input arena; returns its pointer. */
export function reserveInput(w: WasmInstance, bytes: number): number {
  const x = w.exports;
  if (bytes <= x.inputCapacity() >>> 0) return x.inputPtr() >>> 0;
  const p = x.ensureInput(bytes) >>> 0;
  if (p === 0) throw new RangeError(`cannot grow WASM memory for ${bytes} bytes`);
  return p;
}

/** Copies `data` into the input arena; returns its pointer. */
export function stageInput(w: WasmInstance, data: Uint8Array): number {
  const p = reserveInput(w, data.length);
  w.mem.u8().set(data, p);
  return p;
}

/** Makes room for `bytes` bytes in the scratch arena; returns its pointer. */
export function reserveScratch(w: WasmInstance, bytes: number): number {
  const x = w.exports;
  if (bytes <= x.scratchCapacity() >>> 0) return x.scratchPtr() >>> 0;
  const p = x.ensureScratch(bytes) >>> 0;
  if (p === 0) throw new RangeError(`cannot grow WASM memory for ${bytes} bytes`);
  return p;
}
