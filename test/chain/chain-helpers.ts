/** Regtest-difficulty header sequences for the header chain tests. */
import { dsha, mine } from '../../bench/support/blocks.js';

export interface HeaderSpec {
  prev: Uint8Array;
  time: number;
  bits?: number;
  version?: number;
  tag?: number;
  /** Leave the proof of work unmet. */
  badPow?: boolean;
}

export function makeHeader(s: HeaderSpec): Uint8Array {
  const h = new Uint8Array(80);
  const dv = new DataView(h.buffer);
  dv.setInt32(0, s.version ?? 0x20000000, true);
  h.set(s.prev, 4);
  dv.setUint32(36, s.tag ?? 0, true);
  dv.setUint32(68, s.time, true);
  dv.setUint32(72, s.bits ?? 0x207fffff, true);
  if (s.badPow) {
    const target = BigInt((s.bits ?? 0x207fffff) & 0x7fffff) << BigInt(8 * (((s.bits ?? 0x207fffff) >>> 24) - 3));
    for (let n = 0; ; n++) {
      dv.setUint32(76, n, true);
      if (BigInt('0x' + Buffer.from(dsha(h)).reverse().toString('hex')) > target) break;
    }
  } else {
    mine(h);
  }
  return h;
}

/** `count` headers extending `prev`, 600 s apart from `time0`; concatenated, and their hashes. */
export function chainOf(prev: Uint8Array, time0: number, count: number, tag = 0, spacing = 600, bits = 0x207fffff): { bytes: Uint8Array; hashes: Uint8Array[] } {
  const out = new Uint8Array(80 * count);
  const hashes: Uint8Array[] = [];
  let p = prev;
  for (let i = 0; i < count; i++) {
    const h = makeHeader({ prev: p, time: time0 + spacing * (i + 1), tag, bits });
    out.set(h, 80 * i);
    p = dsha(h);
    hashes.push(p);
  }
  return { bytes: out, hashes };
}
