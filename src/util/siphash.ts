/**
 * SipHash-2-4 (Aumasson & Bernstein), as Bitcoin Core's CSipHasher (src/crypto/siphash.cpp): a
 * keyed 64-bit hash. Core keys its deterministic randomizers with it (CConnman::
 * GetDeterministicRandomizer), so choices an attacker must not predict (which peers relay an
 * address) are stable for us and opaque to them. BigInt arithmetic: this runs a few times per
 * relayed address, never per byte of traffic.
 */
const MASK = (1n << 64n) - 1n;

const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK;

function round(v: [bigint, bigint, bigint, bigint]): void {
  v[0] = (v[0] + v[1]) & MASK;
  v[1] = rotl(v[1], 13n) ^ v[0];
  v[0] = rotl(v[0], 32n);
  v[2] = (v[2] + v[3]) & MASK;
  v[3] = rotl(v[3], 16n) ^ v[2];
  v[0] = (v[0] + v[3]) & MASK;
  v[3] = rotl(v[3], 21n) ^ v[0];
  v[2] = (v[2] + v[1]) & MASK;
  v[1] = rotl(v[1], 17n) ^ v[2];
  v[2] = rotl(v[2], 32n);
}

function le64(b: Uint8Array, off: number): bigint {
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 8n) | BigInt(b[off + i]!);
  return x;
}

/** SipHash-2-4 of `data` under the key (k0, k1), each a u64. */
export function siphash24(k0: bigint, k1: bigint, data: Uint8Array): bigint {
  const v: [bigint, bigint, bigint, bigint] = [k0 ^ 0x736f6d6570736575n, k1 ^ 0x646f72616e646f6dn, k0 ^ 0x6c7967656e657261n, k1 ^ 0x7465646279746573n];
  const full = data.length - (data.length % 8);
  for (let off = 0; off < full; off += 8) {
    const m = le64(data, off);
    v[3] ^= m;
    round(v);
    round(v);
    v[0] ^= m;
  }
  let last = BigInt(data.length & 0xff) << 56n;
  for (let i = 0; i < data.length - full; i++) last |= BigInt(data[full + i]!) << BigInt(8 * i);
  v[3] ^= last;
  round(v);
  round(v);
  v[0] ^= last;
  v[2] ^= 0xffn;
  round(v);
  round(v);
  round(v);
  round(v);
  return (v[0] ^ v[1] ^ v[2] ^ v[3]) & MASK;
}

/**
 * Core's CSipHasher as a value: Write() appends (u64s little-endian, as Core does), finalize()
 * hashes what was written. Immutable, so a prefix can be shared like Core copies a hasher.
 */
export class SipHasher {
  private constructor(
    readonly k0: bigint,
    readonly k1: bigint,
    private readonly data: Uint8Array,
  ) {}

  static keyed(k0: bigint, k1: bigint): SipHasher {
    return new SipHasher(k0 & MASK, k1 & MASK, new Uint8Array(0));
  }

  write(bytes: Uint8Array): SipHasher {
    const d = new Uint8Array(this.data.length + bytes.length);
    d.set(this.data, 0);
    d.set(bytes, this.data.length);
    return new SipHasher(this.k0, this.k1, d);
  }

  writeU64(x: bigint): SipHasher {
    const b = new Uint8Array(8);
    let v = x & MASK;
    for (let i = 0; i < 8; i++) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.write(b);
  }

  finalize(): bigint {
    return siphash24(this.k0, this.k1, this.data);
  }
}
