/**
 * Per-peer ban scores (btcd dynamic ban score, docs/banscore.md) kept in the WASM slot table.
 * Keys map to slots here; the math runs in WASM. Time is a parameter (Unix seconds), never read.
 */
import { RelayError } from '../errors.js';
import { getWasm, type WasmInstance } from './loader.js';

/** Raw state of one score, for persistence. */
export interface BanState {
  /** Never decays; saturates at 2^32 − 1. */
  persistent: number;
  /** Decays with a 60 s half-life; ignored 1800 s after the last increase. */
  transient: number;
  /** Unix seconds of the last transient increase. */
  lastSec: number;
}

export interface BanIncrease<K> {
  key: K;
  persistent: number;
  transient: number;
}

const U32_MAX = 0xffffffff;

function checkPersistent(persistent: number): void {
  if (!Number.isInteger(persistent) || persistent < 0 || persistent > U32_MAX) {
    throw new RangeError(`persistent must be an integer in [0, 2^32), got ${persistent}`);
  }
}

export class BanTable<K = string> {
  readonly wasm: WasmInstance;
  private readonly slots = new Map<K, number>();
  private readonly free: number[] = [];
  private next = 0;

  constructor(wasm: WasmInstance = getWasm()) {
    this.wasm = wasm;
  }

  /** Number of keys holding a slot. */
  get size(): number {
    return this.slots.size;
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  keys(): IterableIterator<K> {
    return this.slots.keys();
  }

  /** The slot of `key`, allocating a zeroed one on first use. */
  slotFor(key: K): number {
    const existing = this.slots.get(key);
    if (existing !== undefined) return existing;
    const x = this.wasm.exports;
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.next;
      if (slot >= x.banCapacity() >>> 0 && x.banEnsure(slot + 1) === 0) {
        throw new RelayError('ERR_WASM', `cannot grow the ban table to ${slot + 1} slots`);
      }
      this.next++;
    }
    x.banReset(slot);
    this.slots.set(key, slot);
    return slot;
  }

  /** Forgets `key` (a disconnected peer); its slot is reused. False if it had none. */
  release(key: K): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.wasm.exports.banReset(slot);
    this.free.push(slot);
    return true;
  }

  /** Adds to the score of `key` at `nowSec`; returns the new (decayed) score. */
  increase(key: K, persistent: number, transient: number, nowSec: number): number {
    checkPersistent(persistent);
    return this.wasm.exports.banIncrease(this.slotFor(key), persistent, transient, nowSec) >>> 0;
  }

  /** The score of `key` at `nowSec`; 0 for a key without a slot (none is allocated). */
  score(key: K, nowSec: number): number {
    const slot = this.slots.get(key);
    return slot === undefined ? 0 : this.wasm.exports.banScore(slot, nowSec) >>> 0;
  }

  /** Applies the increases in order in one WASM call; returns the score after each. */
  applyBatch(list: readonly BanIncrease<K>[], nowSec: number): Uint32Array {
    const n = list.length;
    const scores = new Uint32Array(n);
    if (n === 0) return scores;
    const x = this.wasm.exports;
    const bytes = n * 20;
    if (bytes > x.scratchCapacity() >>> 0 && x.ensureScratch(bytes) === 0) {
      throw new RelayError('ERR_WASM', `cannot grow WASM scratch for ${n} ban increases`);
    }
    const desc = x.scratchPtr() >>> 0;
    const mem = this.wasm.mem;
    // Descriptors are written as slots are found; slotFor may grow memory, so views are re-read
    // (mem.u32() only compares one reference when nothing moved).
    for (let i = 0, d = desc >>> 2; i < n; i++, d += 4) {
      const op = list[i]!;
      checkPersistent(op.persistent);
      const slot = this.slots.get(op.key) ?? this.slotFor(op.key);
      const u32 = mem.u32();
      u32[d] = slot;
      u32[d + 1] = op.persistent;
      mem.f64()[(d >>> 1) + 1] = op.transient;
    }
    const out = desc + n * 16;
    x.banApply(desc, n, nowSec, out);
    scores.set(mem.u32().subarray(out >>> 2, (out >>> 2) + n));
    return scores;
  }

  /** Raw state of `key`, or undefined if it has no slot. */
  exportState(key: K): BanState | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const x = this.wasm.exports;
    return { persistent: x.banPersistent(slot) >>> 0, transient: x.banTransient(slot), lastSec: x.banLastSec(slot) };
  }

  /** Sets the raw state of `key` (allocating its slot), e.g. from a snapshot. */
  restore(key: K, state: BanState): void {
    checkPersistent(state.persistent);
    if (!Number.isFinite(state.transient) || state.transient < 0) {
      throw new RangeError(`transient must be a finite number ≥ 0, got ${state.transient}`);
    }
    if (!Number.isFinite(state.lastSec)) throw new RangeError(`lastSec must be finite, got ${state.lastSec}`);
    this.wasm.exports.banRestore(this.slotFor(key), state.persistent, state.transient, state.lastSec);
  }
}
