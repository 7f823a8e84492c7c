import { describe, expect, it } from 'vitest';
import { CHAIN_PARAMS, retargetInterval, type ChainParams } from '../../src/chain/params.js';
import { calculateNextWork, compactToTarget, nextWorkRequired, targetToCompact, type AncestorView } from '../../src/chain/pow.js';
import { checkHeadersPow, PowStatus, u256le } from '../../src/wasm/header-pow.js';
import { dsha } from '../../bench/support/blocks.js';

const display = (h: Uint8Array): string => Buffer.from(h).reverse().toString('hex');

/** An ancestor view over explicit (height → time, bits) entries. */
function viewOf(height: number, entries: Record<number, [number, number]>): AncestorView {
  const get = (h: number): [number, number] => {
    const e = entries[h];
    if (e === undefined) throw new Error(`no entry at ${h}`);
    return e;
  };
  return { height, timeAt: (h) => get(h)[0], bitsAt: (h) => get(h)[1] };
}

describe('genesis headers (Core src/kernel/chainparams.cpp)', () => {
  it.each(Object.values(CHAIN_PARAMS))('$network: hash as Core asserts it, proof of work valid', (p) => {
    expect(display(dsha(p.genesisHeader))).toBe(p.genesisHashHex);
    const r = checkHeadersPow(p.genesisHeader, 0, 1, u256le(p.powLimit));
    expect(r.status[0]).toBe(PowStatus.OK);
    expect(targetToCompact(p.powLimit)).toBe(p.powLimitBits);
  });
});

describe('compact targets (arith_uint256 SetCompact/GetCompact)', () => {
  it.each([
    [0x1d00ffff, false, false],
    [0x207fffff, false, false],
    [0x1e0377ae, false, false],
    [0x04923456, true, false],
    [0x01fedcba, true, false],
    [0xff123456, false, true],
  ])('%s', (bits, negative, overflow) => {
    const t = compactToTarget(bits);
    expect(t.negative).toBe(negative);
    expect(t.overflow).toBe(overflow);
    if (!negative && !overflow) expect(targetToCompact(t.target)).toBe(bits);
  });
});

describe('mainnet: 2016-block retarget clamped to ×4', () => {
  // Real mainnet headers at the retarget boundary 556416 (first and last of the period, then the
  // new one), from vsc-eco/btc-relay-contract test-data/retargetAlgoVector.ts; hashes as listed there.
  const first = Buffer.from('00004020d3b2d7d61ad2d95ffbd556d9e00f07877423600a8da015000000000000000000d192743a2c190a7421f92fefe92505579d7b8eda568cacee13b25751ac704c669d83195cf41e371721bae3e7', 'hex');
  const last = Buffer.from('00000020bc7d388bea14dab9caa937b909caecd6ece36e3c6589200000000000000000007c0900cf1a9b40411141859b98bf95fb9d414f49044e08acff21fa54506022a4e6492a5cf41e3717d2864679', 'hex');
  const next = Buffer.from('00000020120b3264562d49df59c400a0f276448db2a9aa4bf6f4080000000000000000005cb4b52150fe7dec217b74db424e442ef8b24105c244ebaeb59f638db9c48ef3c94f2a5ca5183217b412a530', 'hex');
  const p = CHAIN_PARAMS.mainnet;

  it('the three real headers hash as published and meet their targets (one WASM batch)', () => {
    const r = checkHeadersPow(Buffer.concat([first, last, next]), 0, 3, u256le(p.powLimit));
    expect(Array.from(r.status)).toEqual([0, 0, 0]);
    expect(display(r.hashes.subarray(0, 32))).toBe('000000000000000000043c0b1ba0e06f1569ff7cebca6a78a84f4025712067ae');
    expect(display(r.hashes.subarray(32, 64))).toBe('00000000000000000008f4f64baaa9b28d4476f2a000c459df492d5664320b12');
    expect(display(r.hashes.subarray(64, 96))).toBe('0000000000000000002a531985d49cdb5adcd1db0578845a233a3a2cfdefdf8f');
    expect(next.subarray(4, 36)).toEqual(dsha(last));
  });

  it('block 556416 carries exactly the bits the rule computes from 554400 and 556415', () => {
    const view = viewOf(556415, { 556415: [last.readUInt32LE(68), last.readUInt32LE(72)], 554400: [first.readUInt32LE(68), first.readUInt32LE(72)] });
    expect(nextWorkRequired(p, view, next.readUInt32LE(68))).toBe(next.readUInt32LE(72));
    expect(next.readUInt32LE(72)).toBe(0x173218a5);
    // Inside a period the bits do not change.
    expect(nextWorkRequired(p, viewOf(556414, { 556414: [0, 0x17371ef4] }), 0)).toBe(0x17371ef4);
  });

  // Core src/test/pow_tests.cpp (real mainnet block times and bits).
  it.each([
    ['no constraint (blocks 30240..32255)', 1262152739, 0x1d00ffff, 1261130161, 0x1d00d86a],
    ['pow limit (0..2015)', 1233061996, 0x1d00ffff, 1231006505, 0x1d00ffff],
    ['lower clamp ¼ (66528..68543)', 1279297671, 0x1c05a3f4, 1279008237, 0x1c0168fd],
    ['upper clamp ×4 (44352..46367)', 1269211443, 0x1c387f6f, 1263163443, 0x1d00e1fd],
  ])('%s', (_name, lastTime, lastBits, firstTime, want) => {
    expect(calculateNextWork(p, lastBits, lastTime, firstTime, lastBits)).toBe(want);
  });
});

describe('testnet3: 20-minute min-difficulty rule with the walk-back (synthetic sequence)', () => {
  const p = CHAIN_PARAMS.testnet3;
  const X = 0x1c0ffff0;
  const MIN = p.powLimitBits;
  // Period start 2016 at real difficulty, then 2017 real, 2018 and 2019 at min difficulty.
  const entries: Record<number, [number, number]> = { 2016: [1_000_000, X], 2017: [1_000_600, X], 2018: [1_002_000, MIN], 2019: [1_002_100, MIN] };

  it('a block more than 20 minutes after its parent may use the minimum difficulty', () => {
    expect(nextWorkRequired(p, viewOf(2017, entries), 1_000_600 + 1201)).toBe(MIN);
  });
  it('exactly 20 minutes later it may not', () => {
    expect(nextWorkRequired(p, viewOf(2017, entries), 1_000_600 + 1200)).toBe(X);
  });
  it('after min-difficulty blocks, the bits of the last real block (walk-back)', () => {
    expect(nextWorkRequired(p, viewOf(2019, entries), 1_002_200)).toBe(X);
  });
  it('the walk-back stops at the period boundary', () => {
    const e = { 2016: [1_000_000, MIN] as [number, number], 2017: [1_000_100, MIN] as [number, number] };
    expect(nextWorkRequired(p, viewOf(2017, e), 1_000_200)).toBe(MIN);
  });
  it('without BIP94 the retarget starts from the last block, even at min difficulty', () => {
    expect(calculateNextWork(p, MIN, 1_209_600, 0, X)).toBe(MIN);
  });
});

describe('testnet4: BIP94 retargets from the period\'s first block', () => {
  const p = CHAIN_PARAMS.testnet4;
  it('a last block at min difficulty does not reset the period', () => {
    // One period of exactly two weeks: the first block's difficulty carries over unchanged.
    expect(calculateNextWork(p, p.powLimitBits, 1_209_600, 0, 0x1c0ffff0)).toBe(0x1c0ffff0);
    expect(calculateNextWork(CHAIN_PARAMS.testnet3, p.powLimitBits, 1_209_600, 0, 0x1c0ffff0)).toBe(p.powLimitBits);
  });
  it('nextWorkRequired uses the first block at the boundary', () => {
    const view = viewOf(4031, { 4031: [2_419_200, p.powLimitBits], 2016: [1_209_600, 0x1c0ffff0] });
    expect(nextWorkRequired(p, view, 2_419_800)).toBe(0x1c0ffff0);
  });
});

describe('signet retargets as mainnet, regtest never', () => {
  it('signet: no min-difficulty exception, clamped to its own limit', () => {
    const p = CHAIN_PARAMS.signet;
    expect(p.allowMinDifficulty).toBe(false);
    // Four times too slow from the limit: stays at the limit.
    expect(calculateNextWork(p, p.powLimitBits, 4 * 1_209_600, 0, p.powLimitBits)).toBe(p.powLimitBits);
    // Four times too fast: a quarter of the target.
    const q = calculateNextWork(p, p.powLimitBits, 1, 0, p.powLimitBits);
    expect(q).toBe(targetToCompact(compactToTarget(p.powLimitBits).target / 4n));
    // A late block inside a period keeps the bits (no 20-minute rule).
    expect(nextWorkRequired(p, viewOf(100, { 100: [1000, 0x1e012345] }), 100_000)).toBe(0x1e012345);
  });
  it('regtest: the boundary keeps the last bits', () => {
    const p: ChainParams = CHAIN_PARAMS.regtest;
    const i = retargetInterval(p);
    expect(i).toBe(144);
    const view = viewOf(i - 1, { [i - 1]: [5000, 0x207fffff], 0: [0, 0x207fffff] });
    expect(nextWorkRequired(p, view, 5001)).toBe(0x207fffff);
  });
});
