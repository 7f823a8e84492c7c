/** InvTrickle's announcements: one-entry invs are built once and shared by every peer they go to. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvTrickle } from '../../src/peer/inv-trickle.js';
import { KnownInventory } from '../../src/relay/known-inventory.js';

const MAGIC = 0xd9b4bef9;
const MSG_TX = 1;

const sha256d = (b: Uint8Array): Buffer => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

/** Each inv frame this turn's announcements come out as, for a fresh peer. */
function announce(magic: number, hashes: Uint8Array[]): Uint8Array[] {
  const t = new InvTrickle(new KnownInventory());
  for (const h of hashes) expect(t.add(MSG_TX, h, 0, true)).toBe(true);
  const out: Uint8Array[] = [];
  t.drainImmediate(magic, (f) => out.push(f));
  expect(t.queued).toBe(0);
  return out;
}

/** Checks `f` is a well-formed inv frame (magic, command, length, checksum) holding `hashes` as tx entries. */
function expectInv(f: Uint8Array, magic: number, hashes: Uint8Array[]): void {
  const b = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  expect(b.readUInt32LE(0)).toBe(magic);
  expect(b.subarray(4, 16).toString('latin1').replace(/\0+$/, '')).toBe('inv');
  const payload = b.subarray(24);
  expect(b.readUInt32LE(16)).toBe(payload.length);
  expect(b.readUInt32LE(20)).toBe(sha256d(payload).readUInt32LE(0));
  expect(payload[0]).toBe(hashes.length);
  hashes.forEach((h, i) => {
    expect(payload.readUInt32LE(1 + 36 * i)).toBe(MSG_TX);
    expect(Buffer.from(payload.subarray(5 + 36 * i, 37 + 36 * i)).equals(Buffer.from(h))).toBe(true);
  });
}

describe('InvTrickle.drainImmediate', () => {
  it('gives every peer announcing the same one hash the very same inv frame', () => {
    const h = randomBytes(32);
    const frames = [1, 2, 3].map(() => announce(MAGIC, [h]));
    for (const f of frames) expect(f).toHaveLength(1);
    expect(frames[1]![0]).toBe(frames[0]![0]);
    expect(frames[2]![0]).toBe(frames[0]![0]);
    expectInv(frames[0]![0]!, MAGIC, [h]);
  });

  it('builds a new frame for another hash or another network, each correct', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const fa = announce(MAGIC, [a])[0]!;
    const fb = announce(MAGIC, [b])[0]!;
    expect(fb).not.toBe(fa);
    expectInv(fb, MAGIC, [b]);
    const testnet = 0x0709110b;
    const fbTest = announce(testnet, [b])[0]!;
    expect(fbTest).not.toBe(fb);
    expectInv(fbTest, testnet, [b]);
    // The frame handed out earlier is unchanged.
    expectInv(fa, MAGIC, [a]);
  });

  it('puts several hashes of one turn in one inv, and a later single hash is not mistaken for them', () => {
    const hs = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const frames = announce(MAGIC, hs);
    expect(frames).toHaveLength(1);
    expectInv(frames[0]!, MAGIC, hs);
    expectInv(announce(MAGIC, [hs[0]!])[0]!, MAGIC, [hs[0]!]);
  });
});
