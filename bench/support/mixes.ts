/**
 * The small / tx / block message mixes shared by bench/wire.bench.ts (v1 frames) and
 * bench/v2.bench.ts (BIP324 packets), from one deterministic generator so runs are comparable.
 */

/** Bytes per chunk a stream is fed in, as a socket would deliver it. */
export const CHUNK = 64 * 1024;

export type MixName = 'small' | 'tx' | 'block';

export interface MixFrame {
  readonly command: string;
  readonly payload: Uint8Array;
}

// Deterministic pseudo-random payloads (xorshift32), one sequence per process.
let seed = 0x9e3779b9;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}

export function randomPayload(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

function invPayload(entries: number): Uint8Array {
  const b = randomPayload(1 + 36 * entries);
  b[0] = entries;
  return b;
}

/**
 * Messages of mix `name` until their wire size, `wireBytes` of each (header or packet overhead
 * included), reaches `targetBytes`. small: half ping (8 B), half inv of 1–10 entries; tx:
 * 200–600 B; block: 1 MiB.
 */
export function buildMix(name: MixName, targetBytes: number, wireBytes: (f: MixFrame) => number): MixFrame[] {
  const frames: MixFrame[] = [];
  let total = 0;
  while (total < targetBytes) {
    let f: MixFrame;
    if (name === 'small') f = rand() < 0.5 ? { command: 'ping', payload: randomPayload(8) } : { command: 'inv', payload: invPayload(1 + Math.floor(rand() * 10)) };
    else if (name === 'tx') f = { command: 'tx', payload: randomPayload(200 + Math.floor(rand() * 401)) };
    else f = { command: 'block', payload: randomPayload(1024 * 1024) };
    frames.push(f);
    total += wireBytes(f);
  }
  return frames;
}

/** `stream` cut into CHUNK-sized Buffers. */
export function chunked(stream: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < stream.length; off += CHUNK) out.push(Buffer.from(stream.subarray(off, Math.min(stream.length, off + CHUNK))));
  return out;
}
