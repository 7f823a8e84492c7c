import { describe, expect, it } from 'vitest';
import { claimShortIds, shortIds, shortIdTableOk, type ShortIdBlock, type ShortIdScan } from '../../src/wasm/short-ids.js';

const keys = Uint8Array.from({ length: 16 }, (_, i) => i * 11);
const hash = (tag: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (tag * 37 + i * 13) & 0xff);
const concat = (xs: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(32 * xs.length);
  xs.forEach((x, i) => out.set(x, 32 * i));
  return out;
};

/** A block of `wtxids.length` + 1 transactions, the first prefilled, the rest by short id. */
function blockOf(wtxids: Uint8Array[]): ShortIdBlock {
  const n = wtxids.length + 1;
  const state = new Uint8Array(n);
  state[0] = 1; // prefilled
  return { ids: shortIds(keys, concat(wtxids), wtxids.length), state, wtxids: new Uint8Array(32 * n), txids: new Uint8Array(32 * n), maxProbe: 12 };
}

function scanOf(wtxids: Uint8Array[], txids?: Uint8Array[], skip?: Uint8Array): ShortIdScan {
  const w = concat(wtxids);
  const t = txids === undefined ? undefined : concat(txids);
  const scan: ShortIdScan = { slotCount: wtxids.length, chunkSlots: wtxids.length, wtxidChunk: () => w };
  return { ...scan, ...(t !== undefined ? { txidChunk: () => t } : {}), ...(skip !== undefined ? { skipChunk: () => skip } : {}) };
}

describe('claimShortIds (assembly/siphash.ts shortIdTable + shortIdMatch)', () => {
  const [a, b, c, other] = [hash(1), hash(2), hash(3), hash(9)];

  it('claims each missing index once, copying its wtxid and txid, and skips marked slots', () => {
    const block = blockOf([a, b, c]);
    expect(shortIdTableOk(block)).toBe(true);
    const out = new Uint32Array(16);
    // Slots: other (no match), c, a (skipped), b, c again (same wtxid: no change).
    const src = scanOf([other, c, a, b, c], [hash(21), hash(23), hash(24), hash(22), hash(25)], Uint8Array.of(0, 0, 1, 0, 0));
    const k = claimShortIds(keys, block, src, out);
    expect(k).toBe(2);
    expect([...out.subarray(0, 4)]).toEqual([1, 3, 3, 2]); // (slot 1 → index 3), (slot 3 → index 2)
    expect([...block.state]).toEqual([1, 0, 2, 2]);
    expect(block.wtxids.subarray(64, 96)).toEqual(b);
    expect(block.wtxids.subarray(96, 128)).toEqual(c);
    expect(block.txids.subarray(64, 96)).toEqual(hash(22));
    expect(block.txids.subarray(96, 128)).toEqual(hash(23));
  });

  it('a found index met again with a different wtxid under its id becomes ambiguous; with the same one, nothing changes', () => {
    const block = blockOf([a]);
    // As if an earlier scan had claimed index 1 for a different transaction with a's short id.
    block.state[1] = 2;
    block.wtxids.set(other, 32);
    const out = new Uint32Array(4);
    expect(claimShortIds(keys, block, scanOf([a]), out)).toBe(1);
    expect([...out.subarray(0, 2)]).toEqual([0, 1]);
    expect(block.state[1]).toBe(3);
    // Ambiguous stays ambiguous; a found index with the same wtxid is left alone.
    expect(claimShortIds(keys, block, scanOf([a]), out)).toBe(0);
    const same = blockOf([a]);
    same.state[1] = 2;
    same.wtxids.set(a, 32);
    expect(claimShortIds(keys, same, scanOf([a]), out)).toBe(0);
    expect(same.state[1]).toBe(2);
  });

  it('refuses a table whose ids collide', () => {
    const block = blockOf([a, a]);
    expect(shortIdTableOk(block)).toBe(false);
  });
});
