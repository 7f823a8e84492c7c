/**
 * The helper thread of src/wasm/merkle-offload.ts: sleeps on the generation word, takes each
 * posted job (compareExchange POSTED → TAKEN, so the poster may take it back first), computes the
 * root with its own WASM instance and marks it DONE. It never returns to its event loop, so grown
 * slot buffers are read from their port synchronously.
 *
 * It never spins: once no job is posted it sleeps. A helper that polled for the next block's
 * jobs kept a core busy for nothing and, where the scheduler puts a thread woken from a short
 * sleep on its waker's vCPU (this project's 2-vCPU test machine does), held the main thread off
 * its core for the whole spin (docs/performance.md, issue 19).
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { merkleRoot } from './merkle.js';
import { DONE, FAILED, GEN, POSTED, SLOT_WORDS, SLOTS, STOP, TAKEN, type OffloadBuffers } from './merkle-offload.js';

const buffers = workerData as OffloadBuffers;
const words = new Int32Array(buffers.control);
const slots = [...buffers.slots];

function runPosted(): void {
  for (let m = receiveMessageOnPort(buffers.resized); m !== undefined; m = receiveMessageOnPort(buffers.resized)) {
    const r = m.message as { slot: number; buffer: SharedArrayBuffer };
    slots[r.slot] = r.buffer;
  }
  for (let slot = 0; slot < SLOTS; slot++) {
    const base = slot * SLOT_WORDS;
    if (Atomics.compareExchange(words, base, POSTED, TAKEN) !== POSTED) continue;
    const n = Atomics.load(words, base + 1);
    const buf = slots[slot];
    try {
      const r = merkleRoot(new Uint8Array(buf!, 0, 32 * n), n, Atomics.load(words, base + 3));
      new Uint8Array(buf!, 32 * n, 32).set(r.root);
      Atomics.store(words, base + 2, r.mutated ? 1 : 0);
      Atomics.store(words, base, DONE);
    } catch {
      // The poster computes it (a missing slot buffer, WASM that cannot grow).
      Atomics.store(words, base, FAILED);
    }
  }
}

let seen = Atomics.load(words, GEN);
while (Atomics.load(words, STOP) === 0) {
  runPosted();
  if (Atomics.load(words, GEN) === seen) Atomics.wait(words, GEN, seen);
  seen = Atomics.load(words, GEN);
}
