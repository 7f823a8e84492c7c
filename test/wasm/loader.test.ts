// Both builds instantiate, expose the ABI, and memory views survive growth.
import { describe, expect, it } from 'vitest';
import { findWasmFile, getWasm, loadWasm } from '../../src/wasm/loader.js';

const ABI = [
  'inputPtr', 'inputCapacity', 'ensureInput', 'resultsPtr', 'resultsCapacity', 'scratchPtr', 'scratchCapacity', 'ensureScratch',
  'sha256', 'hash256', 'checksum4', 'hash256Batch', 'sha256Batch',
  'scanFrames', 'scanConsumed', 'scanNeed', 'sealFrames',
  'banCapacity', 'banEnsure', 'banReset', 'banIncrease', 'banScore', 'banPersistent', 'banTransient', 'banLastSec', 'banRestore', 'banApply',
];

describe('loader', () => {
  for (const debug of [false, true]) {
    it(`the ${debug ? 'debug' : 'release'} build instantiates with every ABI export`, () => {
      const w = loadWasm({ debug });
      expect(w.debug).toBe(debug);
      expect(w.path).toBe(findWasmFile(debug));
      for (const name of ABI) expect(typeof (w.exports as unknown as Record<string, unknown>)[name], name).toBe('function');
      expect(w.exports.memory.buffer.byteLength).toBeGreaterThan(0);
    });
  }

  it('getWasm caches one instance per thread; loadWasm makes a fresh one', () => {
    // Compared as booleans: a failing toBe deep-compares the two 8 MiB memories to explain itself.
    expect(getWasm() === getWasm()).toBe(true);
    expect(loadWasm() === getWasm()).toBe(false);
  });

  it('arenas are 16-byte aligned and do not overlap', () => {
    const x = loadWasm().exports;
    const regions = [
      [x.inputPtr() >>> 0, x.inputCapacity() >>> 0],
      [x.resultsPtr() >>> 0, (x.resultsCapacity() >>> 0) * 16],
      [x.scratchPtr() >>> 0, x.scratchCapacity() >>> 0],
    ].sort((a, b) => a[0]! - b[0]!);
    for (const [p] of regions) expect(p! % 16).toBe(0);
    for (let i = 1; i < regions.length; i++) expect(regions[i - 1]![0]! + regions[i - 1]![1]!).toBeLessThanOrEqual(regions[i]![0]!);
    expect(x.resultsCapacity() >>> 0).toBeGreaterThan((x.inputCapacity() >>> 0) / 24);
  });

  it('views are rebuilt after memory grows', () => {
    const w = loadWasm();
    const x = w.exports;
    const before = w.mem.u8();
    const oldLength = before.length;
    const want = oldLength + 1024 * 1024;
    const p = x.ensureInput(want) >>> 0;
    expect(p).not.toBe(0);
    expect(x.inputCapacity() >>> 0).toBeGreaterThanOrEqual(want);
    expect(before.length).toBe(0); // detached
    const after = w.mem.u8();
    expect(after.length).toBeGreaterThan(oldLength);
    after[p + want - 1] = 7;
    expect(w.mem.dv().getUint8(p + want - 1)).toBe(7);
    expect(w.mem.u32().length).toBe(after.length / 4);
    expect(x.resultsCapacity() >>> 0).toBeGreaterThan(want / 24);
  });

  it('growth beyond 4 GiB returns 0 instead of trapping, and the arena stays usable', () => {
    const w = loadWasm();
    const x = w.exports;
    const cap = x.inputCapacity() >>> 0;
    const ptr = x.inputPtr() >>> 0;
    expect(x.ensureInput(0xffffffff)).toBe(0);
    expect(x.ensureScratch(0xfffffff0)).toBe(0);
    expect(x.banEnsure(0xffffffff)).toBe(0);
    expect([x.inputPtr() >>> 0, x.inputCapacity() >>> 0]).toEqual([ptr, cap]);
    expect(x.checksum4(ptr, 0) >>> 0).toBe(0xe2e0f65d);
  });

  it('repeated growth of several arenas keeps them disjoint', () => {
    const w = loadWasm();
    const x = w.exports;
    for (let i = 1; i <= 6; i++) {
      x.ensureScratch(200_000 * i);
      x.ensureInput(300_000 * i);
      x.banEnsure(3000 * i);
    }
    const regions = [
      [x.inputPtr() >>> 0, x.inputCapacity() >>> 0],
      [x.resultsPtr() >>> 0, (x.resultsCapacity() >>> 0) * 16],
      [x.scratchPtr() >>> 0, x.scratchCapacity() >>> 0],
    ].sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < regions.length; i++) expect(regions[i - 1]![0]! + regions[i - 1]![1]!).toBeLessThanOrEqual(regions[i]![0]!);
    expect(regions[2]![0]! + regions[2]![1]!).toBeLessThanOrEqual(w.mem.u8().length);
  });
});
