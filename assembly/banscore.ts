// btcd's dynamic ban score (connmgr/dynamicbanscore.go) over a table of slots, with one fix:
// see banIncrease. The math is documented with its test vectors in docs/banscore.md.
//
// Slot layout (BAN_SLOT_BYTES = 24): transient f64 @0, lastSec f64 @8, persistent u32 @16.
// Time is f64 Unix seconds from the caller (never read here), floored to whole seconds as btcd
// uses time.Unix().

import { BAN_SLOT_BYTES, DECAY_TABLE_LEN, LAMBDA, LIFETIME_SEC } from './constants';
import { banTablePtr, banCapacity } from './arena';

const U32_MAX: u32 = 0xffffffff;

// decayFactor(t) = e^(−λt) for whole seconds t < 64, computed once at start-up like btcd's
// precomputedFactor, so that the common case (scores touched every few seconds) costs a load.
const DECAY: usize = memory.data(DECAY_TABLE_LEN * 8, 16);
for (let t = 0; t < DECAY_TABLE_LEN; t++) store<f64>(DECAY + (<usize>t << 3), Math.exp(-1.0 * <f64>t * LAMBDA));

// @ts-ignore: decorator
@inline function decayFactor(dt: f64): f64 {
  return dt < <f64>DECAY_TABLE_LEN ? load<f64>(DECAY + (<usize>(<i32>dt) << 3)) : Math.exp(-1.0 * dt * LAMBDA);
}

// @ts-ignore: decorator
@inline function slotPtr(slot: u32): usize {
  return banTablePtr() + <usize>slot * BAN_SLOT_BYTES;
}

/** persistent + trunc(transient), saturating at 2^32 − 1 where btcd's uint32 would wrap. */
// @ts-ignore: decorator
@inline function total(persistent: u32, transient: f64): u32 {
  const sum = <f64>persistent + Math.trunc(transient);
  return sum >= <f64>U32_MAX ? U32_MAX : <u32>sum;
}

/** btcd int(t): the score at `now` (whole seconds) without changing the state. */
// @ts-ignore: decorator
@inline function scoreAt(p: usize, now: f64): u32 {
  const persistent = load<u32>(p, 16);
  const transient = load<f64>(p, 0);
  const dt = now - load<f64>(p, 8);
  if (!(transient >= 1) || dt < 0 || dt > LIFETIME_SEC) return persistent;
  return total(persistent, transient * decayFactor(dt));
}

/** Clears a slot (a new or released peer). Out-of-range slots are ignored. */
export function banReset(slot: u32): void {
  if (slot >= banCapacity()) return;
  const p = slotPtr(slot);
  store<f64>(p, 0, 0);
  store<f64>(p, 0, 8);
  store<u64>(p, 0, 16);
}

// @ts-ignore: decorator
@inline function increaseAt(p: usize, persistent: u32, transient: f64, now: f64): u32 {
  const sum = <u64>load<u32>(p, 16) + <u64>persistent;
  store<u32>(p, sum > <u64>U32_MAX ? U32_MAX : <u32>sum, 16);
  // `transient > 0` is false for NaN and negatives, which are ignored like a 0.
  if (transient > 0) {
    let cur = load<f64>(p, 0);
    const dt = now - load<f64>(p, 8);
    if (dt > LIFETIME_SEC) cur = 0;
    else if (cur > 1 && dt > 0) cur *= decayFactor(dt);
    store<f64>(p, cur + transient, 0);
    store<f64>(p, now, 8);
  }
  // FIX of a btcd quirk: btcd returns persistent + uint32(transient) with the transient *not*
  // decayed when the increase has no transient part, so a burst from 20 minutes ago still counts
  // in full against the ban threshold although Int() says it has decayed. We return the decayed
  // score, as int(t) does; when transient > 0 this is the same value btcd returns (dt is then 0).
  return scoreAt(p, now);
}

/**
 * Adds `persistent` (saturating u32) and `transient` (decaying) to a slot at `nowSec`; returns
 * the new score. Out-of-range slots return 0 and change nothing.
 */
export function banIncrease(slot: u32, persistent: u32, transient: f64, nowSec: f64): u32 {
  if (slot >= banCapacity()) return 0;
  return increaseAt(slotPtr(slot), persistent, transient, Math.floor(nowSec));
}

/** The score of a slot at `nowSec`. */
export function banScore(slot: u32, nowSec: f64): u32 {
  if (slot >= banCapacity()) return 0;
  return scoreAt(slotPtr(slot), Math.floor(nowSec));
}

export function banPersistent(slot: u32): u32 {
  return slot < banCapacity() ? load<u32>(slotPtr(slot), 16) : 0;
}
export function banTransient(slot: u32): f64 {
  return slot < banCapacity() ? load<f64>(slotPtr(slot), 0) : 0;
}
export function banLastSec(slot: u32): f64 {
  return slot < banCapacity() ? load<f64>(slotPtr(slot), 8) : 0;
}

/** Restores raw state saved from banPersistent/banTransient/banLastSec. */
export function banRestore(slot: u32, persistent: u32, transient: f64, lastSec: f64): void {
  if (slot >= banCapacity()) return;
  const p = slotPtr(slot);
  store<f64>(p, transient, 0);
  store<f64>(p, Math.floor(lastSec), 8);
  store<u32>(p, persistent, 16);
}

/**
 * Applies `n` increases in order; descriptor i at `descPtr` + 16 i is (slot u32, persistent u32,
 * transient f64) and its resulting score goes to `outPtr` + 4 i (0 for an out-of-range slot).
 */
export function banApply(descPtr: usize, n: u32, nowSec: f64, outPtr: usize): void {
  const now = Math.floor(nowSec);
  const cap = banCapacity();
  for (let i: u32 = 0; i < n; i++) {
    const d = descPtr + (<usize>i << 4);
    const slot = load<u32>(d);
    store<u32>(outPtr + (<usize>i << 2), slot < cap ? increaseAt(slotPtr(slot), load<u32>(d, 4), load<f64>(d, 8), now) : 0);
  }
}
