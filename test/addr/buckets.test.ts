import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  NEW_BUCKET_COUNT,
  NEW_BUCKETS_PER_GROUP,
  newBucketIndex,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKETS_PER_GROUP,
  triedBucketIndex,
} from '../../src/addr/buckets.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

/** The bucket formula of btcd addrmgr (getNewBucket, getTriedBucket), written out again with Buffers and BigInt. */
function dsha(...parts: Buffer[]): Buffer {
  const h = createHash('sha256').update(Buffer.concat(parts)).digest();
  return createHash('sha256').update(h).digest();
}
function u64le(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}
function refNew(key: Uint8Array, group: string, srcGroup: string): number {
  const i = dsha(Buffer.from(key), Buffer.from(group), Buffer.from(srcGroup)).readBigUInt64LE(0) % 64n;
  return Number(dsha(Buffer.from(key), Buffer.from(srcGroup), u64le(i)).readBigUInt64LE(0) % 1024n);
}
function refTried(key: Uint8Array, addrKey: string, group: string): number {
  const i = dsha(Buffer.from(key), Buffer.from(addrKey)).readBigUInt64LE(0) % 8n;
  return Number(dsha(Buffer.from(key), Buffer.from(group), u64le(i)).readBigUInt64LE(0) % 64n);
}

describe('bucket choice', () => {
  it('is a pure function of key, groups and address (fixed key)', () => {
    const a = newBucketIndex(KEY, '1.2.0.0', '5.6.0.0');
    expect(newBucketIndex(KEY, '1.2.0.0', '5.6.0.0')).toBe(a);
    expect(triedBucketIndex(KEY, '1.2.3.4:8333', '1.2.0.0')).toBe(triedBucketIndex(KEY, '1.2.3.4:8333', '1.2.0.0'));
    // Pinned (computed 2026-08 with the key 00 01 … 1f) so a change of the hash input order,
    // the string forms or the modulus shows up: every saved table would land in other buckets.
    expect(a).toBe(630);
    expect(triedBucketIndex(KEY, '1.2.3.4:8333', '1.2.0.0')).toBe(0);
    expect(newBucketIndex(KEY, '2a01:4f8::', 'local')).toBe(865);
    expect(triedBucketIndex(KEY, '[2a01:4f8::1]:8333', '2a01:4f8::')).toBe(48);
  });

  it('matches the written-out formula for many inputs', () => {
    for (let i = 0; i < 200; i++) {
      const g = `${i % 50}.${i}.0.0`;
      const s = `${(i * 7) % 200}.${i % 13}.0.0`;
      expect(newBucketIndex(KEY, g, s)).toBe(refNew(KEY, g, s));
      const k = `${i % 50}.${i}.1.${i % 250}:8333`;
      expect(triedBucketIndex(KEY, k, g)).toBe(refTried(KEY, k, g));
    }
  });

  it('a different key gives a different layout', () => {
    const other = Uint8Array.from(KEY, (b) => b ^ 0xff);
    const same = Array.from({ length: 50 }, (_, i) => `${i}.1.0.0`).filter(
      (g) => newBucketIndex(KEY, g, '9.9.0.0') === newBucketIndex(other, g, '9.9.0.0'),
    );
    expect(same.length).toBeLessThan(5);
  });

  it('one source group reaches at most 64 new buckets; one address group at most 8 tried buckets', () => {
    const fromOneSource = new Set<number>();
    for (let i = 0; i < 3000; i++) fromOneSource.add(newBucketIndex(KEY, `${i % 200}.${i >> 3}.0.0`, '6.6.0.0'));
    expect(fromOneSource.size).toBeLessThanOrEqual(NEW_BUCKETS_PER_GROUP);
    const triedOfGroup = new Set<number>();
    for (let i = 0; i < 2000; i++) triedOfGroup.add(triedBucketIndex(KEY, `6.6.${i >> 8}.${i & 255}:8333`, '6.6.0.0'));
    expect(triedOfGroup.size).toBeLessThanOrEqual(TRIED_BUCKETS_PER_GROUP);
    for (const b of [...fromOneSource, ...triedOfGroup]) expect(b).toBeLessThan(Math.max(NEW_BUCKET_COUNT, TRIED_BUCKET_COUNT));
  });
});
