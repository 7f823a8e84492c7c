/** RelayCache: frames kept as given, lookups by txid and wtxid, oldest-first eviction by bytes. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RelayCache } from '../../src/relay/relay-cache.js';

const item = (n: number) => ({ id: randomBytes(32), wid: randomBytes(32), frame: new Uint8Array(n) });

describe('RelayCache', () => {
  it('keeps the frame buffer itself and finds it by txid and by wtxid', () => {
    const c = new RelayCache(10_000);
    const a = item(300);
    const slot = c.add('tx', a.id, 0, a.wid, 0, a.frame, 4, false);
    expect(c.find(a.id)).toBe(slot);
    expect(c.find(a.wid)).toBe(slot);
    expect(c.frame(slot)).toBe(a.frame);
    expect(c.from(slot)).toBe(4);
    expect(c.kind(slot)).toBe('tx');
    expect(Buffer.from(c.id(slot)).equals(a.id)).toBe(true);
  });

  it('a block (id = wid) is indexed once', () => {
    const c = new RelayCache(10_000);
    const h = randomBytes(32);
    const slot = c.add('block', h, 0, h, 0, new Uint8Array(100), -1, false);
    expect(c.find(h)).toBe(slot);
    expect(c.kind(slot)).toBe('block');
  });

  it('evicts oldest first to stay within its byte bound, through many rounds of the ring', () => {
    const c = new RelayCache(100 * 1000);
    const all = Array.from({ length: 100_000 }, () => item(1000));
    all.forEach((a, i) => c.add('tx', a.id, 0, a.wid, 0, a.frame, i, false));
    expect(c.size).toBe(100);
    expect(c.byteLength).toBe(100_000);
    expect(c.evicted).toBe(99_900);
    for (let i = 99_900; i < 100_000; i++) expect(c.frame(c.find(all[i]!.id))).toBe(all[i]!.frame);
    for (let i = 0; i < 99_900; i += 997) {
      expect(c.has(all[i]!.id)).toBe(false);
      expect(c.has(all[i]!.wid)).toBe(false);
    }
  });

  it('keeps order and lookups across ring growth', () => {
    const c = new RelayCache(1 << 30);
    const all = Array.from({ length: 40_000 }, () => item(10));
    all.forEach((a) => c.add('tx', a.id, 0, a.wid, 0, a.frame, -1, false));
    expect(c.size).toBe(40_000);
    for (let i = 0; i < all.length; i += 101) expect(c.frame(c.find(all[i]!.wid))).toBe(all[i]!.frame);
  });
});
