import { describe, expect, it } from 'vitest';
import { siphash24, SipHasher } from '../../src/util/siphash.js';

// Key 00 01 … 0f, as in the SipHash paper's test vectors (Appendix A) and Core's siphash tests.
const K0 = 0x0706050403020100n;
const K1 = 0x0f0e0d0c0b0a0908n;
const msg = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

describe('SipHash-2-4', () => {
  it.each([
    [0, 0x726fdb47dd0e0e31n],
    [1, 0x74f839c593dc67fdn],
    [8, 0x93f5f5799a932462n],
    [15, 0xa129ca6149be45e5n],
  ])('known answer for a %i-byte message', (n, want) => {
    expect(siphash24(K0, K1, msg(n))).toBe(want);
  });

  it('SipHasher writes u64s little-endian and shares prefixes without mutating them', () => {
    const base = SipHasher.keyed(K0, K1).writeU64(0x0706050403020100n);
    expect(base.finalize()).toBe(siphash24(K0, K1, msg(8)));
    const a = base.write(Uint8Array.of(8));
    expect(base.finalize()).toBe(siphash24(K0, K1, msg(8)));
    expect(a.finalize()).toBe(siphash24(K0, K1, msg(9)));
  });
});
