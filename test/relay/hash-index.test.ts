/** HashIndex and KnownInventory against a Map model, with random and adversarially similar keys. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashIndex } from '../../src/relay/hash-index.js';
import { KnownInventory } from '../../src/relay/known-inventory.js';

describe('HashIndex', () => {
  it('keeps every key findable while a growth is under way (inserts and removals in between, keys in chunks)', () => {
    // Keys in chunks of 2^6 slots, appended as the owner grows (the relay cache's layout).
    const chunks: Uint8Array[] = [];
    const idx = new HashIndex(chunks, 16, 6);
    const keyOf = (s: number): Buffer => Buffer.from(chunks[s >>> 6]!.subarray((s & 63) * 32, (s & 63) * 32 + 32));
    const live = new Set<number>();
    for (let s = 0; s < 3000; s++) {
      if ((s & 63) === 0) chunks.push(new Uint8Array(64 * 32));
      const k = randomBytes(32);
      if (s % 3 === 0) k.fill(0xcd, 0, 12); // colliding buckets: long probe runs across the old table
      chunks[s >>> 6]!.set(k, (s & 63) * 32);
      idx.insert(s);
      live.add(s);
      // Remove every fifth older key while migrations are in progress.
      if (s % 5 === 4) {
        const victim = s - 3;
        expect(idx.remove(victim)).toBe(true);
        live.delete(victim);
        expect(idx.find(keyOf(victim), 0)).toBe(-1);
        expect(idx.remove(victim)).toBe(false);
      }
      // After every insert (migration steps happen inside), every live key is found.
      if (s % 97 === 0 || s > 2900) for (const l of live) expect(idx.find(keyOf(l), 0)).toBe(l);
    }
    expect(idx.size).toBe(live.size);
  });

  it('finds, inserts and removes like a Map over thousands of operations', () => {
    const slots = 5000;
    const keys = new Uint8Array(32 * slots);
    const idx = new HashIndex(keys, 16);
    const model = new Map<string, number>();
    const live = new Set<number>();
    for (let step = 0; step < 40_000; step++) {
      const s = (step * 7919) % slots;
      if (live.has(s)) {
        expect(idx.remove(s)).toBe(true);
        model.delete(Buffer.from(keys.subarray(32 * s, 32 * s + 32)).toString('hex'));
        live.delete(s);
      } else {
        const k = randomBytes(32);
        // Half the keys share their first 16 bytes: buckets collide, probing and shifting work.
        if (step % 2 === 0) k.fill(0xab, 0, 16);
        keys.set(k, 32 * s);
        idx.insert(s);
        model.set(k.toString('hex'), s);
        live.add(s);
      }
      if (step % 997 === 0) {
        for (const [hex, slot] of model) expect(idx.find(Buffer.from(hex, 'hex'), 0)).toBe(slot);
        expect(idx.find(randomBytes(32), 0)).toBe(-1);
        expect(idx.size).toBe(model.size);
      }
    }
  });

  it('looks keys up at any offset of any buffer', () => {
    const keys = new Uint8Array(32 * 2);
    keys.fill(5, 32, 64);
    const idx = new HashIndex(keys);
    idx.insert(1);
    const frame = new Uint8Array(100);
    frame.fill(5, 41, 73);
    expect(idx.find(frame, 41)).toBe(1);
    expect(idx.find(frame, 40)).toBe(-1);
  });
});

describe('KnownInventory', () => {
  it('keeps the last `capacity` hashes, oldest out first', () => {
    const known = new KnownInventory(100);
    const hashes = Array.from({ length: 250 }, () => randomBytes(32));
    for (const h of hashes) known.add(h);
    expect(known.size).toBe(100);
    for (let i = 0; i < 150; i++) expect(known.has(hashes[i]!)).toBe(false);
    for (let i = 150; i < 250; i++) expect(known.has(hashes[i]!)).toBe(true);
  });

  it('adding a known hash again changes nothing', () => {
    const known = new KnownInventory(3);
    const [a, b, c, d] = Array.from({ length: 4 }, () => randomBytes(32));
    known.add(a!);
    known.add(b!);
    known.add(a!);
    known.add(c!);
    expect([a, b, c].every((h) => known.has(h!))).toBe(true);
    known.add(d!);
    expect(known.has(a!)).toBe(false);
    expect(known.has(d!)).toBe(true);
  });
});
