/**
 * Compact targets, chain work and the difficulty rules (Bitcoin Core src/pow.cpp,
 * src/arith_uint256.cpp SetCompact/GetCompact, src/chain.cpp GetBlockProof; BIP94 for testnet4).
 * The rules read past headers through AncestorView, so the header store keeps no objects for them.
 */
import { retargetInterval, type ChainParams } from './params.js';

const U256 = (1n << 256n) - 1n;

export interface Target {
  readonly target: bigint;
  readonly negative: boolean;
  readonly overflow: boolean;
}

/** arith_uint256::SetCompact. */
export function compactToTarget(bits: number): Target {
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    target = (BigInt(word) << BigInt(8 * (size - 3))) & U256;
  }
  const negative = word !== 0 && (bits & 0x00800000) !== 0;
  const overflow = word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
  return { target, negative, overflow };
}

/** arith_uint256::GetCompact for a non-negative target. */
export function targetToCompact(target: bigint): number {
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let compact: number;
  if (size <= 3) compact = Number(target << BigInt(8 * (3 - size)));
  else compact = Number(target >> BigInt(8 * (size - 3)));
  // The 0x00800000 bit is the sign: move a set top bit into the exponent.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  return (compact | (size << 24)) >>> 0;
}

let memoBits = -1;
let memoWork = 0n;

/**
 * Expected hashes for a header at these bits: 2^256 / (target + 1) (GetBlockProof); 0 for invalid
 * bits. Bits change once per 2,016 headers, and a 256-bit BigInt division costs more than the
 * rest of a header's bookkeeping, so the last answer is kept.
 */
export function blockWork(bits: number): bigint {
  if (bits === memoBits) return memoWork;
  const { target, negative, overflow } = compactToTarget(bits);
  const work = negative || overflow || target === 0n ? 0n : (1n << 256n) / (target + 1n);
  memoBits = bits;
  memoWork = work;
  return work;
}

/** Read access to the chain a new header would extend: its parent and the parent's ancestors. */
export interface AncestorView {
  /** Height of the parent (the new header's height - 1). */
  readonly height: number;
  /** Time and bits of the ancestor at height h ≤ height on the parent's chain. */
  timeAt(h: number): number;
  bitsAt(h: number): number;
}

/**
 * CalculateNextWorkRequired: the retarget at a period boundary, timespan clamped to [¼, 4×] of
 * the target. With BIP94 the old target is the period's first block's, which the min-difficulty
 * exception can never lower (a last block at min difficulty would otherwise reset the period).
 */
export function calculateNextWork(p: ChainParams, lastBits: number, lastTime: number, firstTime: number, firstBits: number): number {
  if (p.noRetarget) return lastBits;
  let span = lastTime - firstTime;
  if (span < p.targetTimespan / 4) span = p.targetTimespan / 4;
  if (span > p.targetTimespan * 4) span = p.targetTimespan * 4;
  let next = compactToTarget(p.enforceBip94 ? firstBits : lastBits).target;
  // arith_uint256 arithmetic wraps at 256 bits; mirror it.
  next = ((next * BigInt(span)) & U256) / BigInt(p.targetTimespan);
  if (next > p.powLimit) next = p.powLimit;
  return targetToCompact(next);
}

/** GetNextWorkRequired: the bits a header at height view.height + 1 with `time` must carry. */
export function nextWorkRequired(p: ChainParams, view: AncestorView, time: number): number {
  const interval = retargetInterval(p);
  const last = view.height;
  if ((last + 1) % interval !== 0) {
    if (p.allowMinDifficulty) {
      // testnet: a block more than 20 minutes after its parent may be mined at min difficulty.
      if (time > view.timeAt(last) + 2 * p.targetSpacing) return p.powLimitBits;
      // Otherwise the bits of the last block that did not use that exception.
      let h = last;
      while (h > 0 && h % interval !== 0 && view.bitsAt(h) === p.powLimitBits) h--;
      return view.bitsAt(h);
    }
    return view.bitsAt(last);
  }
  const first = last - (interval - 1);
  return calculateNextWork(p, view.bitsAt(last), view.timeAt(last), view.timeAt(first), view.bitsAt(first));
}

/** Median of the last 11 block times ending at height `h` (GetMedianTimePast). */
export function medianTimePast(view: AncestorView, h: number): number {
  const times: number[] = [];
  for (let i = h; i >= 0 && i > h - 11; i--) times.push(view.timeAt(i));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
