/**
 * The load generators' side of the wire: frames built with `node:crypto` checksums, a lean framer
 * that does not verify checksums (the generators share two cores with the node under test, so every
 * microsecond they spend is taken from it), and timestamped transactions.
 *
 * Transaction layout (legacy, 60 + script bytes; the node's codec walks it as a real transaction):
 *   0 version u32 | 4 one input | 5 prevout hash: [5..13) send time f64 ms (Date-aligned, µs
 *   resolution), [13..17) source id u32, [17..21) sequence u32, rest zero | 37 prevout index u32 |
 *   41 empty scriptSig | 42 sequence u32 | 46 one output | 47 value u64 | 55 script length | 56 script
 *   | locktime u32.
 * Source id + sequence make every transaction unique; the send time lets a sink in another process
 * compute source→sink latency against the same wall clock.
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

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function doubleSha256(b: Uint8Array): Buffer {
  return hash('sha256', hash('sha256', b, 'buffer'), 'buffer');
}

/** A whole frame: 24-byte header (magic, command, length, checksum) then the payload. */
export function frame(command: string, payload: Uint8Array, magic = MAGIC): Buffer {
  const out = Buffer.allocUnsafe(24 + payload.byteLength);
  out.writeUInt32LE(magic, 0);
  out.fill(0, 4, 16);
  out.write(command, 4, 'latin1');
  out.writeUInt32LE(payload.byteLength, 16);
  doubleSha256(payload).copy(out, 20, 0, 4);
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

/** A unique transaction of `size` bytes (60..312) stamped with `sentMs`. */
export function stampedTx(size: number, sourceId: number, seq: number, sentMs: number): Buffer {
  const n = Math.min(TX_MAX_BYTES, Math.max(TX_MIN_BYTES, size));
  const script = n - TX_MIN_BYTES;
  const b = Buffer.alloc(n);
  b.writeUInt32LE(2, 0);
  b[4] = 1;
  b.writeDoubleLE(sentMs, TS_OFFSET);
  b.writeUInt32LE(sourceId >>> 0, 13);
  b.writeUInt32LE(seq >>> 0, 17);
  b.writeUInt32LE(0, 37);
  b[41] = 0;
  b.writeUInt32LE(0xffffffff, 42);
  b[46] = 1;
  b.writeUInt32LE(50_000, 47);
  b[55] = script;
  if (script > 0) b[56] = 0x6a; // OP_RETURN, then zero padding
  b.writeUInt32LE(0, 56 + script);
  return b;
}

/** The send time stamped into a transaction payload by stampedTx, or NaN if it is too short. */
export function txSentMs(payload: Uint8Array, offset = 0): number {
  if (payload.byteLength - offset < TS_OFFSET + 8) return NaN;
  return Buffer.from(payload.buffer, payload.byteOffset + offset + TS_OFFSET, 8).readDoubleLE(0);
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

export interface LiteFrame {
  readonly command: string;
  /** A view into the receive buffer: valid only during the callback. */
  readonly payload: Buffer;
}

/**
 * Splits a TCP stream into frames by the length field alone. The generators trust the node under
 * test; a bad magic stops the stream (it would mean the harness itself is broken).
 */
export class LiteFramer {
  private buf: Buffer = Buffer.alloc(0);
  bytes = 0;

  constructor(
    private readonly onFrame: (f: LiteFrame) => void,
    private readonly magic = MAGIC,
  ) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.byteLength;
    const b = this.buf.byteLength === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    while (b.byteLength - off >= 24) {
      if (b.readUInt32LE(off) !== this.magic) throw new Error(`framer: bad magic at byte ${this.bytes - b.byteLength + off}`);
      const len = b.readUInt32LE(off + 16);
      if (b.byteLength - off < 24 + len) break;
      let end = off + 4;
      while (end < off + 16 && b[end] !== 0) end++;
      this.onFrame({ command: b.toString('latin1', off + 4, end), payload: b.subarray(off + 24, off + 24 + len) });
      off += 24 + len;
    }
    // Copy the tail: a view would keep the whole (possibly 64 KiB) chunk alive.
    this.buf = off === b.byteLength ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
  }
}
