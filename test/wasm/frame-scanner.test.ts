// FrameScanner: scanning with native verification of deferred checksums, sealing and encoding.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NETWORKS } from '../../src/wire/constants.js';
import { FrameScanner, type ScanResult } from '../../src/wasm/frame-scanner.js';
import { loadWasm } from '../../src/wasm/loader.js';
import { Status } from '../../src/wasm/status.js';

const MAGIC = NETWORKS.mainnet.magic;
const dsha = (b: Uint8Array): Buffer => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();
const payload = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 29 + seed) & 0xff);

function frame(command: string, body: Uint8Array, opts: { checksum?: number; length?: number } = {}): Buffer {
  const out = Buffer.alloc(24 + body.length);
  out.writeUInt32LE(MAGIC >>> 0, 0);
  out.write(command, 4, 'latin1');
  out.writeUInt32LE(opts.length ?? body.length, 16);
  out.writeUInt32LE(opts.checksum ?? dsha(body).readUInt32LE(0), 20);
  out.set(body, 24);
  return out;
}

const rows = (r: ScanResult): number[][] =>
  r.records.toArray();

describe('FrameScanner', () => {
  const scanner = new FrameScanner({ wasm: loadWasm(), nativeHashMin: 256 });

  it("returns each verified payload's full double SHA-256, from WASM and from node:crypto alike", () => {
    // Sizes around the 4-lane refill points and the native cutoff (256 here).
    const bodies = [0, 1, 55, 56, 64, 119, 120, 200, 255, 256, 300, 1000].map((n, i) => payload(n, i));
    const r = scanner.scan(Buffer.concat(bodies.map((b) => frame('tx', b))), MAGIC);
    expect(r.count).toBe(bodies.length);
    bodies.forEach((b, i) => {
      expect(r.records.status(i)).toBe(Status.OK);
      expect(Buffer.from(r.records.digest(i)).equals(dsha(b))).toBe(true);
    });
  });

  it('verifies deferred checksums natively: callers never see CHECKSUM_DEFERRED', () => {
    const big = frame('tx', payload(300));
    const badBig = frame('tx', payload(400), { checksum: 5 });
    const bytes = Buffer.concat([frame('ping', payload(8)), big, badBig, frame('inv', payload(37))]);
    const r = scanner.scan(bytes, MAGIC);
    expect(rows(r)).toEqual([
      [0, 8, 3, Status.OK],
      [32, 300, 12, Status.OK],
      [356, 400, 12, Status.BAD_CHECKSUM],
      [780, 37, 9, Status.OK],
    ]);
    expect(r.consumed).toBe(bytes.length);
    expect(r.need).toBe(0);
  });

  it('reports a tail and scanNeed', () => {
    const inv = frame('inv', payload(73));
    const bytes = Buffer.concat([frame('ping', payload(8)), inv.subarray(0, 50)]);
    const r = scanner.scan(bytes, MAGIC);
    expect([r.count, r.consumed, r.need]).toEqual([1, 32, 97]);
  });

  it('decode budget: a header claiming 4,000,000 bytes does not grow the input arena', () => {
    const before = scanner.wasm.exports.inputCapacity() >>> 0;
    const r = scanner.scan(frame('block', new Uint8Array(0), { length: 4_000_000 }), MAGIC);
    expect([r.count, r.consumed, r.need]).toEqual([0, 0, 4_000_024]);
    expect(scanner.wasm.exports.inputCapacity() >>> 0).toBe(before);
  });

  it('grows the input arena for a buffer larger than it and still verifies everything', () => {
    const frames = Array.from({ length: 800 }, (_, i) => frame(i % 2 ? 'inv' : 'tx', payload(100 + i, i)));
    const bytes = Buffer.concat(frames);
    const s = new FrameScanner({ wasm: loadWasm(), nativeHashMin: 500 });
    expect(bytes.length).toBeGreaterThan(s.wasm.exports.inputCapacity() >>> 0);
    const r = s.scan(bytes, MAGIC);
    expect(r.count).toBe(800);
    expect(r.consumed).toBe(bytes.length);
    for (let i = 0; i < r.count; i++) expect(r.records.status(i)).toBe(Status.OK);
  });

  it('a buffer over 256 KiB (staged without native payloads) is scanned and verified the same', () => {
    const big = frame('block', payload(300_000, 3));
    const badBig = frame('tx', payload(200_000, 4), { checksum: 9 });
    const small = frame('inv', payload(37));
    const partial = frame('block', payload(100_000, 5)).subarray(0, 50_000);
    const bytes = Buffer.concat([small, big, small, badBig, frame('ping', payload(8)), partial]);
    const r = scanner.scan(bytes, MAGIC);
    const b = 61 + big.length;
    expect(rows(r)).toEqual([
      [0, 37, 9, Status.OK],
      [61, 300_000, 13, Status.OK],
      [b, 37, 9, Status.OK],
      [b + 61, 200_000, 12, Status.BAD_CHECKSUM],
      [b + 61 + badBig.length, 8, 3, Status.OK],
    ]);
    expect(r.consumed).toBe(bytes.length - partial.length);
    expect(r.need).toBe(100_024);
  });

  it('a large buffer with a bad header after a native frame still stops there', () => {
    const bytes = Buffer.concat([frame('block', payload(300_000)), frame('tx', new Uint8Array(0), { length: 4_000_001 }), frame('ping', payload(8))]);
    const r = scanner.scan(bytes, MAGIC);
    expect(rows(r)).toEqual([[0, 300_000, 13, Status.OK], [300_024, 4_000_001, 0, Status.OVERSIZE]]);
  });

  it('a fatal status ends the records', () => {
    const bytes = Buffer.concat([frame('ping', payload(8)), frame('ping', payload(8), { length: 4_000_001 }), frame('ping', payload(8))]);
    const r = scanner.scan(bytes, MAGIC);
    expect(rows(r)).toEqual([[0, 8, 3, Status.OK], [32, 4_000_001, 0, Status.OVERSIZE]]);
    expect(r.consumed).toBe(56);
  });

  it('reuses its result object and records array between calls', () => {
    const a = scanner.scan(frame('ping', payload(8)), MAGIC);
    const records = a.records;
    const b = scanner.scan(frame('pong', payload(8)), MAGIC);
    expect(b === a).toBe(true);
    expect(b.records === records).toBe(true);
    expect(rows(b)).toEqual([[0, 8, 4, Status.OK]]);
  });

  it('encodeFrame: verack is exactly 24 bytes with checksum 5d f6 e0 e2', () => {
    const f = scanner.encodeFrame(MAGIC, 'verack', new Uint8Array(0));
    expect(Buffer.from(f).toString('hex')).toBe('f9beb4d9' + Buffer.from('verack').toString('hex') + '000000000000' + '00000000' + '5df6e0e2');
  });

  for (const len of [0, 8, 255, 256, 5000]) {
    it(`encodeFrame with a ${len}-byte payload equals an independently built frame`, () => {
      expect(Buffer.from(scanner.encodeFrame(MAGIC, 'tx', payload(len)))).toEqual(frame('tx', payload(len)));
    });
  }

  it('frameInPlace writes the header before a payload laid out after 24 free bytes, as encodeFrame would', () => {
    const p = payload(300_000);
    const room = new Uint8Array(24 + p.length);
    room.set(p, 24);
    const framed = scanner.frameInPlace(MAGIC, 'block', room);
    expect(framed).toBe(room);
    expect(Buffer.from(framed)).toEqual(frame('block', p));
  });

  it('encodeFrames builds one buffer that scans back to the same frames', () => {
    const list = [
      { command: 'ping', payload: payload(8) },
      { command: 'tx', payload: payload(1000) },
      { command: 'verack', payload: new Uint8Array(0) },
      { command: 'inv', payload: payload(37) },
      { command: 'filterload', payload: payload(9) },
    ];
    const buf = scanner.encodeFrames(MAGIC, list);
    expect(Buffer.from(buf)).toEqual(Buffer.concat(list.map((f) => frame(f.command, f.payload))));
    const r = scanner.scan(buf, MAGIC);
    expect(rows(r).map((x) => x[3])).toEqual([Status.OK, Status.OK, Status.OK, Status.OK, Status.UNKNOWN_COMMAND]);
  });

  it('encodeFrames of an empty list is empty', () => {
    expect(scanner.encodeFrames(MAGIC, []).length).toBe(0);
  });

  it('seal writes checksums in place, small and large', () => {
    const frames = Buffer.concat([frame('ping', payload(8), { checksum: 0 }), frame('tx', payload(700), { checksum: 0 }), frame('verack', new Uint8Array(0), { checksum: 0 })]);
    scanner.seal(frames);
    expect(frames).toEqual(Buffer.concat([frame('ping', payload(8)), frame('tx', payload(700)), frame('verack', new Uint8Array(0))]));
  });

  it('rejects commands that cannot be encoded', () => {
    expect(() => scanner.encodeFrame(MAGIC, 'thirteen-long', new Uint8Array(0))).toThrow(TypeError);
    expect(() => scanner.encodeFrame(MAGIC, '', new Uint8Array(0))).toThrow(TypeError);
    expect(() => scanner.encodeFrame(MAGIC, 'pïng', new Uint8Array(0))).toThrow(TypeError);
  });

  it('rejects a nonsensical nativeHashMin', () => {
    expect(() => new FrameScanner({ nativeHashMin: -1 })).toThrow(RangeError);
  });
});
