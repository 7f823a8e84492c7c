/**
 * Loads the AssemblyScript module (build/release.wasm or build/debug.wasm) synchronously and types
 * its exports (docs/wasm-abi.md). One instance per thread: getWasm() caches it; loadWasm() makes a
 * fresh one (tests, or a second independent instance).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateSync } from '@assemblyscript/loader';
import { RelayError } from '../errors.js';

/**
 * The part of LinearMemory we use. tsconfig's lib (ES2022, no DOM) has no WebAssembly
 * namespace, so it is declared structurally here.
 */
export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

/** Typed exports of assembly/index.ts. Pointers and u32 values are JS numbers (i32 bits). */
export interface WasmExports {
  readonly memory: LinearMemory;
  inputPtr(): number;
  inputCapacity(): number;
  ensureInput(bytes: number): number;
  resultsPtr(): number;
  resultsCapacity(): number;
  scratchPtr(): number;
  scratchCapacity(): number;
  ensureScratch(bytes: number): number;

  sha256(ptr: number, len: number, out: number): void;
  hash256(ptr: number, len: number, out: number): void;
  /** u32 returned as a signed i32: use `>>> 0`. */
  checksum4(ptr: number, len: number): number;
  hash256Batch(descPtr: number, n: number, outPtr: number): void;
  sha256Batch(descPtr: number, n: number, outPtr: number): void;

  scanFrames(len: number, magic: number, nativeHashMin: number, maxResults: number): number;
  scanConsumed(): number;
  scanNeed(): number;
  sealFrames(len: number, nativeHashMin: number, maxResults: number): number;

  banCapacity(): number;
  banEnsure(slots: number): number;
  banReset(slot: number): void;
  banIncrease(slot: number, persistent: number, transient: number, nowSec: number): number;
  banScore(slot: number, nowSec: number): number;
  banPersistent(slot: number): number;
  banTransient(slot: number): number;
  banLastSec(slot: number): number;
  banRestore(slot: number, persistent: number, transient: number, lastSec: number): void;
  banApply(descPtr: number, n: number, nowSec: number, outPtr: number): void;

  chacha20Xor(keyPtr: number, noncePtr: number, counter: number, ptr: number, len: number): void;
  poly1305Mac(keyPtr: number, ptr: number, len: number, outPtr: number): void;
  v2StatePtr(): number;
  v2DeferPtr(): number;
  v2StateInit(): void;
  v2Open(start: number, len: number, aadPtr: number, aadLen: number, nativeMin: number, maxResults: number): number;
  v2Seal(start: number, len: number, aadPtr: number, aadLen: number, nativeMin: number): number;
  v2Consumed(): number;
  v2Need(): number;
  v2Frames(count: number, magic: number, skip: number, nativeHashMin: number, lastAbsent: number, records: number): number;
  v2FramesInfo(): number;

  shortIds(keysPtr: number, hashesPtr: number, n: number, outPtr: number): void;
  shortIdTable(idsPtr: number, nIds: number, statePtr: number, tablePtr: number, mask: number, maxProbe: number): number;
  shortIdMatch(
    keysPtr: number,
    hashesPtr: number,
    txidsPtr: number,
    skipPtr: number,
    n: number,
    tablePtr: number,
    mask: number,
    statePtr: number,
    wOutPtr: number,
    tOutPtr: number,
    outPtr: number,
  ): number;
  /** u64 result: a BigInt through the JS API. */
  sipHash32(keysPtr: number, ptr: number): bigint;
  headersPow(headersPtr: number, n: number, limitPtr: number, descPtr: number, hashOut: number, statusOut: number): number;
  merkleRoot(leavesPtr: number, n: number, workPtr: number, descPtr: number, outPtr: number, levels: number): number;
  walkBlock(blockPtr: number, len: number, maxTxs: number, outPtr: number, witnessPtr: number): number;
}

/**
 * Views on linear memory that survive growth: a view on `memory.buffer` is detached when memory
 * grows (AssemblyScript#2778), so each accessor rebuilds its views when the buffer has changed.
 * Re-fetch a view after any call that may grow memory (ensure*, banEnsure).
 *
 * The check is `byteLength === 0` on the buffer we hold: growing a non-shared memory detaches its
 * old buffer, and reading byteLength is inlined by the JIT, whereas the `memory.buffer` getter is
 * a runtime call (~30 ns) that would dominate small hashing calls.
 */
export class WasmMemory {
  readonly memory: LinearMemory;
  private buffer: ArrayBuffer;
  private u8View: Uint8Array;
  private u32View: Uint32Array;
  private dvView: DataView;
  private f64View: Float64Array;

  constructor(memory: LinearMemory) {
    this.memory = memory;
    this.buffer = memory.buffer;
    this.u8View = new Uint8Array(this.buffer);
    this.u32View = new Uint32Array(this.buffer);
    this.dvView = new DataView(this.buffer);
    this.f64View = new Float64Array(this.buffer);
  }

  /** True (once) when memory grew since the last check; views are rebuilt then. */
  refresh(): boolean {
    if (this.memory.buffer === this.buffer) return false;
    this.buffer = this.memory.buffer;
    this.u8View = new Uint8Array(this.buffer);
    this.u32View = new Uint32Array(this.buffer);
    this.dvView = new DataView(this.buffer);
    this.f64View = new Float64Array(this.buffer);
    return true;
  }

  u8(): Uint8Array {
    if (this.buffer.byteLength === 0) this.refresh();
    return this.u8View;
  }
  /** Index with `ptr >>> 2`; all arenas are 16-byte aligned. */
  u32(): Uint32Array {
    if (this.buffer.byteLength === 0) this.refresh();
    return this.u32View;
  }
  /** Index with `ptr >>> 3`. */
  f64(): Float64Array {
    if (this.buffer.byteLength === 0) this.refresh();
    return this.f64View;
  }
  dv(): DataView {
    if (this.buffer.byteLength === 0) this.refresh();
    return this.dvView;
  }
}

export interface WasmInstance {
  readonly exports: WasmExports;
  readonly mem: WasmMemory;
  readonly debug: boolean;
  readonly path: string;
}

export interface LoadOptions {
  /** Load build/debug.wasm (assertions, source map) instead of build/release.wasm. */
  debug?: boolean;
}

/**
 * Path of build/<release|debug>.wasm, found by walking up from this file: it runs both as
 * src/wasm/loader.ts (vitest) and as dist/src/wasm/loader.js, at different depths.
 */
export function findWasmFile(debug = false): string {
  const name = debug ? 'debug.wasm' : 'release.wasm';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'build', name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new RelayError('ERR_WASM', `build/${name} not found above ${fileURLToPath(import.meta.url)}; run npm run build:wasm`);
}

/** Reads an AssemblyScript string (UTF-16, byte length stored at ptr − 4) for abort messages. */
function readAsString(memory: LinearMemory | undefined, ptr: number): string {
  if (memory === undefined || ptr === 0) return '';
  const u8 = new Uint8Array(memory.buffer);
  if (ptr < 4 || ptr > u8.length) return '';
  const bytes = new DataView(memory.buffer).getUint32(ptr - 4, true);
  if (ptr + bytes > u8.length) return '';
  return new TextDecoder('utf-16le').decode(u8.subarray(ptr, ptr + bytes));
}

/** A fresh instance. Throws RelayError ERR_WASM if the file is missing or does not instantiate. */
export function loadWasm(options: LoadOptions = {}): WasmInstance {
  const debug = options.debug === true;
  const path = findWasmFile(debug);
  let memory: LinearMemory | undefined;
  const imports = {
    env: {
      // An AS abort is a bug on our side (peer input only ever yields a status); the instance
      // must not be reused after it, so make it loud.
      abort(msg: number, file: number, line: number, column: number): never {
        throw new RelayError('ERR_WASM', `wasm abort: ${readAsString(memory, msg)} at ${readAsString(memory, file)}:${line}:${column}`);
      },
    },
  };
  let exports: WasmExports;
  try {
    const result = instantiateSync<Record<string, unknown>>(readFileSync(path), imports);
    exports = result.exports as unknown as WasmExports;
  } catch (cause) {
    throw new RelayError('ERR_WASM', `cannot instantiate ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  memory = exports.memory;
  return Object.freeze({ exports, mem: new WasmMemory(exports.memory), debug, path });
}

// Module state is per thread (each worker_thread evaluates its own copy of this module).
let cached: WasmInstance | undefined;

/** The release instance of this thread, created on first use. */
export function getWasm(): WasmInstance {
  cached ??= loadWasm();
  return cached;
}
