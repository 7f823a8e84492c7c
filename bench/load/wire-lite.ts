/**
 * The load generators' side of the wire: frames built with `node:crypto` checksums, a lean framer
 * that does not verify checksums (the generators share two cores with the node under test, so every
 * microsecond they spend is taken from it), and timestamped transactions.
 *
 * Transaction layout (legacy, 60 + script bytes; the node's codec walks it as a real transaction):
 *   0 version u32 | 4 one input | 5 prevout hash: [5..13) intended send time f64 ms, [13..17) source
 *   id u32, [17..21) sequence u32, [21..25) epoch u32, [25] measured flag, rest zero | 37 prevout
 *   index u32 | 41 empty scriptSig | 42 sequence u32 | 46 one output | 47 value u64 | 55 script
 *   length | 56 script | locktime u32.
 * Source id + sequence + epoch make every transaction unique. The send time is the time the source
 * was scheduled to send it (not when it got round to it), so a source that falls behind shows up as
 * latency instead of hiding it; the sink adds the epoch's start, which the harness tells it.
 */
import { hash } from 'node:crypto';
import { encodePayload } from '../../src/wire/codec.js';
import { newVersionMessage } from '../../src/wire/messages/version.js';
import type { Message } from '../../src/wire/codec.js';
import { NETWORKS, PROTOCOL_VERSION } from '../../src/wire/constants.js';

export const MAGIC = NETWORKS.regtest.magic;
export const TX_MIN_BYTES = 60;
export const TX_MAX_BYTES = 60 + 252; // one-byte script length
const TS_OFFSET = 5;
const EPOCH_OFFSET = 21;
const MEASURED_OFFSET = 25;

/**
 * This process's performance.now() on the system-wide monotonic clock (CLOCK_MONOTONIC, what
 * process.hrtime reads), so that every process of the harness reads the same time. Not
 * `performance.timeOrigin + performance.now()`: each process fixes its timeOrigin against the wall
 * clock once at start, and on this machine those disagree by up to ~1 ms between processes, which
 * put sub-millisecond latencies below zero (dropped from the histogram as undelivered) and moved
 * every p99 by as much.
 */
const MONOTONIC_OFFSET_MS = ((): number => {
  // The first calls load and warm both clocks; then the pair read closest together wins.
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 8; i++) {
    const before = Number(process.hrtime.bigint()) / 1e6;
    const p = performance.now();
    const after = Number(process.hrtime.bigint()) / 1e6;
    if (i >= 2 && after - before < best) {
      best = after - before;
      offset = (before + after) / 2 - p;
    }
  }
  return offset;
})();

/** Milliseconds with sub-millisecond resolution, comparable across processes on this machine (not wall-clock time). */
export function nowMs(): number {
  return MONOTONIC_OFFSET_MS + performance.now();
}

export function doubleSha256(b: Uint8Array): Buffer {
  return hash('sha256', hash('sha256', b, 'buffer'), 'buffer');
}

/** A whole frame: 24-byte header (magic, command, length, checksum) then the payload. */
export function frame(command: string, payload: Uint8Array, magic = MAGIC): Buffer {
  const out = Buffer.allocUnsafe(24 + payload.byteLength);
  writeHeader(out, 0, command, payload.byteLength, doubleSha256(payload), magic);
  out.set(payload, 24);
  return out;
}

export function messageFrame(msg: Message): Buffer {
  return frame(msg.command, encodePayload(msg, PROTOCOL_VERSION));
}

/** A version message; `relay: false` asks the node not to announce transactions to us (BIP37). */
export function versionFrame(nonce: bigint, relay: boolean, userAgent = '/wirerelay-load:0.1/'): Buffer {
  return messageFrame(newVersionMessage({ nonce, userAgent, relay, timestampSec: Math.floor(Date.now() / 1000) }));
}

/**
 * What a generated transaction carries in its prevout hash, so a sink in another process can account
 * for it and time it without any lookup: the intended send time (ms since the epoch's start, or an
 * absolute wall-clock time for epoch 0), the epoch (one per measured step), and whether it falls in
 * the step's measured window.
 */
export interface TxStamp {
  readonly sourceId: number;
  readonly seq: number;
  readonly epoch: number;
  readonly atMs: number;
  readonly measured: boolean;
}

/**
 * Writes a unique transaction of `size` bytes (60..312) into `dst` at `off`; returns its length.
 * Layout: see the file comment (prevout hash = stamp).
 */
export function writeStampedTx(dst: Buffer, off: number, size: number, st: TxStamp): number {
  const n = Math.min(TX_MAX_BYTES, Math.max(TX_MIN_BYTES, size));
  const script = n - TX_MIN_BYTES;
  dst.fill(0, off, off + n);
  dst.writeUInt32LE(2, off);
  dst[off + 4] = 1;
  dst.writeDoubleLE(st.atMs, off + TS_OFFSET);
  dst.writeUInt32LE(st.sourceId >>> 0, off + 13);
  dst.writeUInt32LE(st.seq >>> 0, off + 17);
  dst.writeUInt32LE(st.epoch >>> 0, off + EPOCH_OFFSET);
  dst[off + MEASURED_OFFSET] = st.measured ? 1 : 0;
  dst.writeUInt32LE(0xffffffff, off + 42);
  dst[off + 46] = 1;
  dst.writeUInt32LE(50_000, off + 47);
  dst[off + 55] = script;
  if (script > 0) dst[off + 56] = 0x6a; // OP_RETURN, then zero padding
  return n;
}

/** A standalone stamped transaction (tests, slow paths). */
export function stampedTx(size: number, st: TxStamp): Buffer {
  const b = Buffer.allocUnsafe(Math.min(TX_MAX_BYTES, Math.max(TX_MIN_BYTES, size)));
  writeStampedTx(b, 0, size, st);
  return b;
}

/** The stamp of a transaction payload at `buf[off..]`, or null if it is too short to carry one. */
export function readStamp(buf: Buffer, off: number, len: number): { atMs: number; epoch: number; measured: boolean } | null {
  if (len < TX_MIN_BYTES) return null;
  return { atMs: buf.readDoubleLE(off + TS_OFFSET), epoch: buf.readUInt32LE(off + EPOCH_OFFSET), measured: buf[off + MEASURED_OFFSET] === 1 };
}

/** Writes a frame header for `payload` at `dst[off..off+24)` given its double SHA-256. */
export function writeHeader(dst: Buffer, off: number, command: string, payloadLen: number, hash: Uint8Array, magic = MAGIC): void {
  dst.writeUInt32LE(magic, off);
  dst.fill(0, off + 4, off + 16);
  dst.write(command, off + 4, 'latin1');
  dst.writeUInt32LE(payloadLen, off + 16);
  dst[off + 20] = hash[0]!;
  dst[off + 21] = hash[1]!;
  dst[off + 22] = hash[2]!;
  dst[off + 23] = hash[3]!;
}

/** An inv or getdata payload of MSG_TX entries. */
export function invPayload(hashes: readonly Uint8Array[], type = 1): Buffer {
  if (hashes.length >= 0xfd) throw new RangeError('invPayload: at most 252 entries');
  const b = Buffer.allocUnsafe(1 + 36 * hashes.length);
  b[0] = hashes.length;
  hashes.forEach((h, i) => {
    b.writeUInt32LE(type, 1 + 36 * i);
    b.set(h, 5 + 36 * i);
  });
  return b;
}

/** One frame as the framer hands it over: valid only during the callback (the object is reused). */
export class LiteFrame {
  command = '';
  /** The receive buffer, with the whole frame (header at `offset - 24`) inside it. */
  buf: Buffer = Buffer.alloc(0);
  /** Where the payload starts in `buf`, and its length. */
  offset = 0;
  length = 0;

  /** A view of the payload (allocates: the hot paths read `buf` at `offset` instead). */
  get payload(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.length);
  }
}

/** Command names by their first four bytes (little-endian u32): no string is built per frame. */
const KNOWN_COMMANDS = new Map<number, { readonly name: string; readonly padded: Buffer }>(
  ['tx', 'inv', 'getdata', 'notfound', 'ping', 'pong', 'version', 'verack'].map((c) => {
    const padded = Buffer.alloc(12);
    padded.write(c, 'latin1');
    return [padded.readUInt32LE(0), { name: c, padded }];
  }),
);

/**
 * Splits a TCP stream into frames by the length field alone: no checksum is verified, since the
 * generators trust the node under test and every microsecond they spend is taken from it. A bad
 * magic stops the stream (it would mean the harness itself is broken).
 */
export class LiteFramer {
  private buf: Buffer = Buffer.alloc(0);
  private readonly f = new LiteFrame();
  bytes = 0;

  constructor(
    private readonly onFrame: (f: LiteFrame) => void,
    private readonly magic = MAGIC,
  ) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.byteLength;
    const b = this.buf.byteLength === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const f = this.f;
    f.buf = b;
    let off = 0;
    while (b.byteLength - off >= 24) {
      if (b.readUInt32LE(off) !== this.magic) throw new Error(`framer: bad magic at byte ${this.bytes - b.byteLength + off}`);
      const len = b.readUInt32LE(off + 16);
      if (b.byteLength - off < 24 + len) break;
      const known = KNOWN_COMMANDS.get(b.readUInt32LE(off + 4));
      f.command = known !== undefined && b.compare(known.padded, 0, 12, off + 4, off + 16) === 0 ? known.name : commandAt(b, off);
      f.offset = off + 24;
      f.length = len;
      this.onFrame(f);
      off += 24 + len;
    }
    // Copy the tail: a view would keep the whole (possibly 64 KiB) chunk alive.
    this.buf = off === b.byteLength ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
  }
}

function commandAt(b: Buffer, off: number): string {
  let end = off + 4;
  while (end < off + 16 && b[end] !== 0) end++;
  return b.toString('latin1', off + 4, end);
}
