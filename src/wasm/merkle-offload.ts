/**
 * Merkle roots computed on a second thread while this one goes on (the compact-block hop checks a
 * block's two trees, txids and wtxids, which are most of its cost: ~0.9 ms each for 3,000
 * transactions with the 4-lane WASM hasher). One helper thread, started on the first job, with
 * its own WASM instance (src/wasm/merkle-offload-worker.ts); jobs pass through shared memory and
 * Atomics, not messages, so a job costs a copy of its leaves and a futex wake, not a structured
 * clone and an event-loop turn.
 *
 * A job the helper has not taken by the time its result is wanted is taken back and computed
 * here; one it took but has not finished within about twice the time it needs (it lost its core)
 * is computed here too. A busy, descheduled or not yet started helper costs a job at most that
 * wait more than doing it inline.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { compiledSibling } from '../util/compiled-path.js';
import { merkleRoot, type MerkleResult } from './merkle.js';

/** Job slot states (the helper and this thread move them with compareExchange). */
export const IDLE = 0;
export const POSTED = 1;
export const TAKEN = 2;
export const DONE = 3;
/** The helper could not compute it (this thread does). */
export const FAILED = 4;

/**
 * Control words (Int32Array over the control buffer): per slot, its state, leaf count, mutated
 * flag and levels (src/wasm/merkle.ts merkleRoot); then the generation (bumped when jobs are
 * posted; the helper sleeps on it) and the stop flag.
 */
/** Two trees of MAX_CHUNKS_PER_TREE chunks (src/wasm/merkle-chunks.ts): a block's txid and witness trees. */
export const SLOTS = 16;
/**
 * Longest wait for a job of n leaves the helper has taken before this thread computes it too:
 * RACE_BASE_MS + RACE_MS_PER_LEAF × n, about twice what the helper takes when it keeps its core
 * (~0.33 µs per leaf).
 */
const RACE_BASE_MS = 0.5;
const RACE_MS_PER_LEAF = 0.0006;
export const SLOT_WORDS = 4;
export const GEN = SLOTS * SLOT_WORDS;
export const STOP = GEN + 1;
const CONTROL_WORDS = STOP + 1;

/**
 * What the helper gets: the control buffer; per slot, leaves then a 32-byte root; and the port a
 * grown slot's new buffer comes through (read synchronously before each round of jobs).
 */
export interface OffloadBuffers {
  readonly control: SharedArrayBuffer;
  readonly slots: readonly SharedArrayBuffer[];
  readonly resized: MessagePort;
}

/** A posted root: join() returns it, waiting for the helper or computing it here. */
export interface MerkleJob {
  join(): MerkleResult;
  /** The root is not wanted after all: its slot is freed (at once, or once the helper is done). */
  cancel(): void;
}

/** One root to post: `n` 32-byte leaves. */
export interface JobSpec {
  readonly leaves: Uint8Array;
  readonly n: number;
  /** As merkleRoot's `levels` (src/wasm/merkle.ts): a chunk of a larger tree (src/wasm/merkle-chunks.ts). */
  readonly levels?: number;
  /** The first leaf counts as 32 zero bytes, whatever `leaves` holds there (BIP141: the coinbase's wtxid). */
  readonly firstLeafZero?: boolean;
}

/** Where roots can be posted: a MerkleOffload, or anything that computes them some other way. */
export interface MerkleJobs {
  /**
   * Posts every root of `specs` at once (one wake-up of the helper for all of them), returning
   * their jobs in order. The leaves must not change until each job is joined or cancelled.
   */
  submitAll(specs: readonly JobSpec[]): MerkleJob[];
}

export class MerkleOffload implements MerkleJobs {
  private worker: Worker | undefined;
  private readonly control = new SharedArrayBuffer(4 * CONTROL_WORDS);
  private readonly words = new Int32Array(this.control);
  private slots: SharedArrayBuffer[] = [];
  /** A job handed out and neither joined nor cancelled, per slot. */
  private readonly open: boolean[] = new Array<boolean>(SLOTS).fill(false);
  private resized: MessagePort | undefined;
  private closed = false;
  /** Jobs whose root the helper computed. */
  helperJobs = 0;
  /** Jobs computed on this thread: no free slot or helper, taken back before the helper took them, or raced after it stalled. */
  localJobs = 0;

  /**
   * Posts the roots of `specs` (their leaves copied now), then wakes the helper once: a helper
   * woken per job would be woken again for each, and where the scheduler runs a woken thread on
   * its waker's vCPU every wake-up preempts this thread. At most SLOTS jobs may be outstanding;
   * the others, and all of them once closed, are computed here when joined.
   */
  submitAll(specs: readonly JobSpec[]): MerkleJob[] {
    const jobs: MerkleJob[] = [];
    let posted = 0;
    for (const spec of specs) {
      const slot = spec.n < 2 || this.closed ? -1 : this.freeSlot();
      if (slot < 0) {
        jobs.push(inline(spec, () => this.localJobs++));
        continue;
      }
      this.post(slot, spec);
      jobs.push(this.jobOf(slot));
      posted++;
    }
    if (posted > 0) {
      Atomics.add(this.words, GEN, 1);
      Atomics.notify(this.words, GEN);
      this.start();
    }
    return jobs;
  }

  private post(slot: number, spec: JobSpec): void {
    const n = spec.n;
    const need = 32 * n + 32;
    if (this.slots[slot]!.byteLength < need) this.resize(slot, need);
    const dst = new Uint8Array(this.slots[slot]!, 0, 32 * n);
    dst.set(spec.leaves.subarray(0, 32 * n));
    if (spec.firstLeafZero === true) dst.fill(0, 0, 32);
    const base = slot * SLOT_WORDS;
    Atomics.store(this.words, base + 1, n);
    Atomics.store(this.words, base + 3, spec.levels ?? 0);
    Atomics.store(this.words, base, POSTED);
    this.open[slot] = true;
  }

  private jobOf(slot: number): MerkleJob {
    const base = slot * SLOT_WORDS;
    let result: MerkleResult | undefined;
    return {
      join: () => (result ??= this.join(slot)),
      cancel: () => {
        if (result !== undefined || !this.open[slot]) return;
        this.open[slot] = false;
        // Not taken yet: withdrawn. Taken: the helper marks it DONE, and a DONE slot nobody holds is free.
        Atomics.compareExchange(this.words, base, POSTED, IDLE);
      },
    };
  }

  /** Stops the helper thread (a later submit computes inline). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w === undefined) return;
    Atomics.store(this.words, STOP, 1);
    Atomics.add(this.words, GEN, 1);
    Atomics.notify(this.words, GEN);
    this.resized?.close();
    this.resized = undefined;
    await w.terminate();
  }

  private freeSlot(): number {
    this.ensureSlots();
    for (let i = 0; i < SLOTS; i++) {
      if (this.open[i]) continue;
      const st = Atomics.load(this.words, i * SLOT_WORDS);
      if (st === IDLE || st === DONE || st === FAILED) return i;
    }
    return -1;
  }

  /**
   * A bigger buffer for an idle slot. The message is queued before the job that needs it is
   * posted, and the helper drains its port before taking jobs.
   */
  private resize(slot: number, bytes: number): void {
    this.slots[slot] = new SharedArrayBuffer(Math.max(bytes, 2 * this.slots[slot]!.byteLength));
    this.resized?.postMessage({ slot, buffer: this.slots[slot] });
  }

  private ensureSlots(): void {
    if (this.slots.length === 0) for (let i = 0; i < SLOTS; i++) this.slots.push(new SharedArrayBuffer(32 * 512 + 32));
  }

  private start(): void {
    if (this.worker !== undefined) return;
    this.ensureSlots();
    const { port1, port2 } = new MessageChannel();
    this.resized = port1;
    port1.unref();
    const buffers: OffloadBuffers = { control: this.control, slots: this.slots, resized: port2 };
    const w = new Worker(compiledSibling('./merkle-offload-worker.js', import.meta.url), { workerData: buffers, transferList: [port2] });
    // Never keeps the process alive; an error there only means jobs are computed here.
    w.unref();
    w.on('error', () => {
      if (this.worker === w) this.worker = undefined;
      this.closed = true;
    });
    this.worker = w;
  }

  private join(slot: number): MerkleResult {
    this.open[slot] = false;
    const base = slot * SLOT_WORDS;
    const n = Atomics.load(this.words, base + 1);
    const buf = this.slots[slot]!;
    if (Atomics.compareExchange(this.words, base, POSTED, TAKEN) === POSTED) {
      // The helper has not started it: compute it here.
      this.localJobs++;
      const r = merkleRoot(new Uint8Array(buf, 0, 32 * n), n, Atomics.load(this.words, base + 3));
      Atomics.store(this.words, base, IDLE);
      return r;
    }
    // A taken job is polled, not slept on: it is done within about a millisecond, and a thread
    // asleep on a futex has to be woken and rescheduled (on a VM, sometimes milliseconds later).
    // A helper that is not done by then was preempted, or is gone: the root is computed here and
    // the helper's, when it comes, is dropped (a DONE slot that nobody holds is free).
    const until = performance.now() + RACE_BASE_MS + RACE_MS_PER_LEAF * n;
    let st = Atomics.load(this.words, base);
    while (st === TAKEN && performance.now() < until) st = Atomics.load(this.words, base);
    if (st !== DONE) {
      this.localJobs++;
      const r = merkleRoot(new Uint8Array(buf, 0, 32 * n), n, Atomics.load(this.words, base + 3));
      Atomics.compareExchange(this.words, base, FAILED, IDLE);
      return r;
    }
    this.helperJobs++;
    const root = new Uint8Array(buf, 32 * n, 32).slice();
    const mutated = Atomics.load(this.words, base + 2) === 1;
    Atomics.store(this.words, base, IDLE);
    return { root, mutated };
  }
}

/** A job computed on demand on this thread (the leaves are read when joined; `computed` is called then). */
function inline(spec: JobSpec, computed: () => void): MerkleJob {
  const { leaves, n } = spec;
  let r: MerkleResult | undefined;
  const root = (): MerkleResult => {
    computed();
    if (spec.firstLeafZero !== true || n === 0) return merkleRoot(leaves, n, spec.levels);
    const copy = leaves.slice(0, 32 * n);
    copy.fill(0, 0, 32);
    return merkleRoot(copy, n, spec.levels);
  };
  return { join: () => (r ??= root()), cancel: () => {} };
}
