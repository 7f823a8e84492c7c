/**
 * Random sources. Everything that picks (bucket keys, address selection, retry jitter, getaddr
 * replies) takes a `Random`, so a test passes `seededRandom(seed)` and replays the same choices.
 * The default is crypto-backed: an attacker who can predict our picks can steer which of their
 * addresses we dial (eclipse), so production never uses the seeded generator.
 */
import { createHash, randomFillSync } from 'node:crypto';

export interface Random {
  /** Uniform integer in [0, 2^32). */
  u32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number;
  /** Uniform integer in [0, n); n is an integer in [1, 2^32]. */
  int(n: number): number;
  /** n random bytes. */
  bytes(n: number): Uint8Array;
}

const TWO_32 = 0x1_0000_0000;

/** Shared derivations so both sources draw integers and floats the same way. */
abstract class RandomBase implements Random {
  abstract u32(): number;

  float(): number {
    // 21 high bits + 32 low bits = 53 bits, the full double mantissa.
    const hi = this.u32() >>> 11;
    const lo = this.u32();
    return (hi * TWO_32 + lo) / 2 ** 53;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
      throw new RangeError(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Rejection sampling: plain modulo would favour small values by up to 1/(2^32/n).
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let x = this.u32();
      for (let j = i; j < Math.min(i + 4, n); j++) {
        out[j] = x & 0xff;
        x >>>= 8;
      }
    }
    return out;
  }
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG): 128-bit state, passes PractRand, and
 * needs only 32-bit integer ops, which V8 keeps unboxed. Not cryptographic: tests only.
 */
export class Sfc32Random extends RandomBase {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    super();
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // The first outputs of a freshly seeded sfc32 are correlated with the seed; discard them.
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}

/** splitmix32: spreads a small seed over four state words so seeds 1 and 2 give unrelated streams. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

/** A deterministic source for tests and simulations. A string seed is hashed (SHA-256) first. */
export function seededRandom(seed: number | string): Random {
  if (typeof seed === 'string') {
    const h = createHash('sha256').update(seed, 'utf8').digest();
    return new Sfc32Random(h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12));
  }
  if (!Number.isFinite(seed)) throw new RangeError(`seededRandom: seed must be finite, got ${seed}`);
  const next = splitmix32(Math.trunc(seed));
  return new Sfc32Random(next(), next(), next(), next());
}

/** Crypto-backed source. Draws from a 4 KiB pool so a u32 does not cost a syscall-sized call. */
export class CryptoRandom extends RandomBase {
  private readonly pool = Buffer.alloc(4096);
  private pos = this.pool.length;

  u32(): number {
    if (this.pos + 4 > this.pool.length) {
      randomFillSync(this.pool);
      this.pos = 0;
    }
    const x = this.pool.readUInt32LE(this.pos);
    this.pos += 4;
    return x;
  }

  override bytes(n: number): Uint8Array {
    return randomFillSync(new Uint8Array(n));
  }
}

/** The process-wide default source. */
export const cryptoRandom: Random = new CryptoRandom();

/** A uniform 64-bit integer (nonces: version, ping, BIP152's short-id nonce), from `random`'s pool. */
export function randomU64(random: Random = cryptoRandom): bigint {
  return (BigInt(random.u32()) << 32n) | BigInt(random.u32());
}

/**
 * A delay drawn from an exponential distribution with mean `meanMs` (Core GetExponentialRand):
 * events on such a timer form a Poisson process, so an observer cannot predict the next one.
 */
export function exponentialDelayMs(random: Random, meanMs: number): number {
  return Math.round(-Math.log1p(-random.float()) * meanMs);
}
