/**
 * RelayCache: frames copied into slabs, lookups by txid and wtxid, oldest-first eviction by bytes
 * and by age, slot numbers that never move while the cache grows.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FrameSlabs, SLAB_BYTES } from '../../src/relay/frame-slabs.js';
import { RelayCache } from '../../src/relay/relay-cache.js';

const item = (n: number) => ({ id: randomBytes(32), wid: randomBytes(32), frame: randomBytes(n) });
type Item = ReturnType<typeof item>;
const put = (c: RelayCache, a: Item, from = -1): number => c.add('tx', a.id, 0, a.wid, 0, a.frame, 0, a.frame.byteLength, from, false);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('RelayCache', () => {
  it('keeps a copy of the frame and finds it by txid and by wtxid', () => {
    const c = new RelayCache(10_000);
    const a = item(300);
    // The frame sits inside a larger receive buffer, as it does in the node.
    const read = Buffer.concat([randomBytes(17), a.frame, randomBytes(9)]);
    const slot = c.add('tx', a.id, 0, a.wid, 0, read, 17, 300, 4, false);
    read.fill(0);
    expect(c.find(a.id)).toBe(slot);
    expect(c.find(a.wid)).toBe(slot);
    expect(same(c.frame(slot), a.frame)).toBe(true);
    expect(c.frameLength(slot)).toBe(300);
    expect(c.from(slot)).toBe(4);
    expect(c.kind(slot)).toBe('tx');
    expect(c.hasTwoIds(slot)).toBe(true);
    expect(Buffer.from(c.id(slot)).equals(a.id)).toBe(true);
    expect(Buffer.from(c.wid(slot)).equals(a.wid)).toBe(true);
  });

  it('a block (id = wid) is indexed once; a block-sized frame has its own buffer', () => {
    const c = new RelayCache(10 * SLAB_BYTES);
    const h = randomBytes(32);
    const block = randomBytes(SLAB_BYTES + 5);
    const slot = c.add('block', h, 0, h, 0, block, 0, block.byteLength, -1, false);
    expect(c.find(h)).toBe(slot);
    expect(c.kind(slot)).toBe('block');
    expect(c.hasTwoIds(slot)).toBe(false);
    const f = c.frame(slot);
    expect(f.byteOffset).toBe(0);
    expect(f.buffer.byteLength).toBe(block.byteLength);
    expect(same(f, block)).toBe(true);
  });

  it('evicts oldest first to stay within its byte bound, through many rounds', () => {
    const c = new RelayCache(100 * 1000, { maxAgeMs: Infinity });
    const all = Array.from({ length: 20_000 }, () => item(1000));
    all.forEach((a, i) => put(c, a, i));
    expect(c.size).toBe(100);
    expect(c.byteLength).toBe(100_000);
    expect(c.evicted).toBe(19_900);
    for (let i = 19_900; i < 20_000; i++) expect(same(c.frame(c.find(all[i]!.id)), all[i]!.frame)).toBe(true);
    for (let i = 0; i < 19_900; i += 97) {
      expect(c.has(all[i]!.id)).toBe(false);
      expect(c.has(all[i]!.wid)).toBe(false);
    }
  });

  it('keeps every slot number, frame and lookup while it grows', () => {
    const c = new RelayCache(1 << 30, { maxAgeMs: Infinity });
    const all = Array.from({ length: 40_000 }, () => item(10 + (Math.random() * 300) | 0));
    const slots = all.map((a) => put(c, a));
    const cap = c.capacity;
    expect(c.size).toBe(40_000);
    expect(cap).toBeGreaterThanOrEqual(40_000);
    for (let i = 0; i < all.length; i++) {
      expect(c.find(all[i]!.id)).toBe(slots[i]);
      expect(c.find(all[i]!.wid)).toBe(slots[i]);
    }
    for (let i = 0; i < all.length; i += 101) expect(same(c.frame(slots[i]!), all[i]!.frame)).toBe(true);
    // Slots are reused once items leave; the tables do not grow while the count stays put.
    const c2 = new RelayCache(1000 * 250, { maxAgeMs: Infinity });
    for (let i = 0; i < 50_000; i++) put(c2, item(250));
    expect(c2.size).toBe(1000);
    expect(c2.capacity).toBe(4096);
  });

  it('bounds the slot count for tiny frames (a flood cannot outgrow the byte budget with tables)', () => {
    const c = new RelayCache(64 * 8192, { maxAgeMs: Infinity });
    for (let i = 0; i < 20_000; i++) put(c, item(25));
    expect(c.size).toBe(8192);
    expect(c.capacity).toBe(8192);
  });

  it('lets items leave after the age limit (manual clock), oldest first, then gives memory back', () => {
    const clock = new ManualClock();
    const c = new RelayCache(1 << 30, { maxAgeMs: 60_000, clock });
    const old = Array.from({ length: 10_000 }, () => item(300));
    old.forEach((a) => put(c, a));
    clock.advance(30_000);
    const young = item(300);
    put(c, young);
    clock.advance(30_000);
    c.expire();
    expect(c.size).toBe(1);
    expect(c.expired).toBe(10_000);
    expect(c.has(old[0]!.id)).toBe(false);
    expect(c.has(young.wid)).toBe(true);
    expect(c.frameReservedBytes).toBeLessThanOrEqual(3 * SLAB_BYTES);
    const full = c.reservedBytes;
    clock.advance(30_000);
    c.expire();
    expect(c.size).toBe(0);
    expect(c.byteLength).toBe(0);
    expect(c.capacity).toBe(0);
    expect(c.frameReservedBytes).toBe(0);
    // Only the empty indexes' initial tables are left of the tables that held 10,000 entries.
    expect(c.reservedBytes).toBeLessThan(64 * 1024);
    expect(full).toBeGreaterThan(10_000 * 72);
    // And it works again from empty.
    const again = item(300);
    const s = put(c, again);
    expect(same(c.frame(s), again.frame)).toBe(true);
    expect(c.find(again.id)).toBe(s);
  });

  it('an add after a quiet spell first lets the expired items go', () => {
    const clock = new ManualClock();
    const c = new RelayCache(1 << 20, { maxAgeMs: 1000, clock });
    put(c, item(100));
    put(c, item(100));
    clock.advance(1000);
    put(c, item(100));
    expect(c.size).toBe(1);
  });

  it('rejects a non-positive age limit', () => {
    expect(() => new RelayCache(1000, { maxAgeMs: 0 })).toThrow(TypeError);
  });
});

describe('FrameSlabs', () => {
  it('reuses an emptied slab; a view of the old contents reads as empty once it empties, never as another frame', () => {
    const s = new FrameSlabs();
    const frame = randomBytes(1000);
    const placed: [number, number][] = [];
    // Fill two slabs and a bit: the first empties once its frames are released.
    const n = Math.ceil((2.5 * SLAB_BYTES) / 1000);
    for (let i = 0; i < n; i++) placed.push([s.store(frame, 0, 1000), s.lastOffset]);
    const first = placed[0]![0];
    const stale = s.view(first, placed[0]![1], 1000);
    expect(same(stale, frame)).toBe(true);
    for (const [slab, off] of placed.filter(([slab]) => slab === first)) s.release(slab, off);
    // Emptied: detached and kept as a spare.
    expect(stale.byteLength).toBe(0);
    const before = s.reused;
    for (let i = 0; i < Math.ceil(SLAB_BYTES / 1000); i++) s.store(randomBytes(1000), 0, 1000);
    expect(s.reused).toBe(before + 1);
    expect(stale.byteLength).toBe(0);
  });

  it('keeps at most two spare slabs and drops them on request', () => {
    const s = new FrameSlabs();
    const placed: [number, number][] = [];
    for (let i = 0; i < Math.ceil((6 * SLAB_BYTES) / 4096); i++) placed.push([s.store(randomBytes(4096), 0, 4096), s.lastOffset]);
    for (const [slab, off] of placed) s.release(slab, off);
    expect(s.reservedBytes).toBeLessThanOrEqual(3 * SLAB_BYTES);
    // The slabs past the two spares were dropped as they emptied, the spares on request.
    expect(s.dropped).toBeGreaterThanOrEqual(3);
    const dropped = s.dropped;
    s.dropSpares();
    expect(s.reservedBytes).toBe(0);
    expect(s.dropped).toBeGreaterThanOrEqual(dropped + 2);
  });
});
