import type { WireReader } from './reader.js';
import { WireWriter } from './writer.js';

/** The 80-byte block header. Hashes are in wire order. */
export interface BlockHeader {
  /** i32. */
  readonly version: number;
  readonly prevBlock: Uint8Array;
  readonly merkleRoot: Uint8Array;
  /** Unix seconds, u32. */
  readonly timestamp: number;
  /** Compact target, u32. */
  readonly bits: number;
  readonly nonce: number;
}

export const BLOCK_HEADER_SIZE = 80;

export function readBlockHeader(r: WireReader): BlockHeader {
  const version = r.i32le('header.version');
  const prevBlock = r.hash32('header.prevBlock');
  const merkleRoot = r.hash32('header.merkleRoot');
  const timestamp = r.u32le('header.timestamp');
  const bits = r.u32le('header.bits');
  const nonce = r.u32le('header.nonce');
  return { version, prevBlock, merkleRoot, timestamp, bits, nonce };
}

export function writeBlockHeader(w: WireWriter, h: BlockHeader): void {
  w.i32le(h.version, 'header.version');
  w.hash32(h.prevBlock, 'header.prevBlock');
  w.hash32(h.merkleRoot, 'header.merkleRoot');
  w.u32le(h.timestamp, 'header.timestamp');
  w.u32le(h.bits, 'header.bits');
  w.u32le(h.nonce, 'header.nonce');
}

/** The 80 bytes of a header (what the block hash is computed over). */
export function encodeBlockHeader(h: BlockHeader): Uint8Array {
  const w = new WireWriter(BLOCK_HEADER_SIZE);
  writeBlockHeader(w, h);
  return w.finish();
}
