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

/** The tx hashes of inv frames, in order. */
function entriesOf(frames: Uint8Array[]): string[] {
  const out: string[] = [];
  for (const f of frames) {
    const b = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    const p = b.subarray(24);
    const count = p[0]! < 0xfd ? p[0]! : p.readUInt16LE(1);
    const head = p[0]! < 0xfd ? 1 : 3;
    for (let i = 0; i < count; i++) out.push(p.subarray(head + 36 * i + 4, head + 36 * i + 36).toString('hex'));
  }
  return out;
}

describe('InvTrickle.drainTrickle with a budget (a trickle over several turns)', () => {
  it('sends what was due in order across calls, skips what the peer knows, and leaves later entries for the next trickle', () => {
    const known = new KnownInventory();
    const t = new InvTrickle(known);
    const hashes = Array.from({ length: 2500 }, () => randomBytes(32));
    for (const h of hashes) t.add(MSG_TX, h, 0, false);
    known.add(hashes[10]!, 0); // announced to us meanwhile: not sent back
    t.startTrickle();
    const late = randomBytes(32);
    t.add(MSG_TX, late, 0, false); // queued after the trickle came due
    const frames: Uint8Array[] = [];
    const looked: number[] = [];
    while (t.trickling) looked.push(t.drainTrickle(MAGIC, (f) => frames.push(f), 700));
    expect(looked).toEqual([700, 700, 700, 400]);
    expect(entriesOf(frames)).toEqual(hashes.filter((_, i) => i !== 10).map((h) => h.toString('hex')));
    for (const f of frames) {
      const b = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
      expect(b.readUInt32LE(16)).toBe(f.length - 24);
      expect(b.readUInt32LE(20)).toBe(sha256d(b.subarray(24)).readUInt32LE(0));
      expect(entriesOf([f]).length).toBeLessThanOrEqual(1000);
    }
    // Sent entries become known to the peer (a rolling set: the last 1,000); the late one waits for the next trickle.
    expect(hashes.slice(-1000).every((h) => known.has(h, 0))).toBe(true);
    expect(t.queued).toBe(1);
    expect(t.drainTrickle(MAGIC, () => frames.push(new Uint8Array(0)), 700)).toBe(0);
    t.startTrickle();
    const next: Uint8Array[] = [];
    expect(t.drainTrickle(MAGIC, (f) => next.push(f))).toBe(1);
    expect(entriesOf(next)).toEqual([late.toString('hex')]);
    expect(t.queued).toBe(0);
    expect(t.trickling).toBe(false);
  });
});

describe('InvTrickle queue bound', () => {
  it('drops the oldest announcements past its bound, due or not, and sends the newest in order', () => {
    const t = new InvTrickle(new KnownInventory(), 5);
    const hashes = Array.from({ length: 12 }, () => randomBytes(32));
    hashes.slice(0, 4).forEach((h) => t.add(MSG_TX, h, 0, false));
    t.startTrickle(); // 0..3 due
    const first: Uint8Array[] = [];
    expect(t.drainTrickle(MAGIC, (f) => first.push(f), 2)).toBe(2); // 0, 1 sent; 2, 3 still due
    hashes.slice(4).forEach((h) => t.add(MSG_TX, h, 0, false)); // 8 more: 5 fit, the 5 oldest unsent go
    expect(t.overflowed).toBe(5);
    expect(t.queued).toBe(5);
    t.startTrickle();
    const rest: Uint8Array[] = [];
    while (t.trickling) t.drainTrickle(MAGIC, (f) => rest.push(f), 3);
    expect(entriesOf(first)).toEqual(hashes.slice(0, 2).map((h) => h.toString('hex')));
    expect(entriesOf(rest)).toEqual(hashes.slice(7).map((h) => h.toString('hex')));
    expect(t.queued).toBe(0);
  });
});
