// Arenas handed out to JS (docs/wasm-abi.md "Arenas"). All memory above __heap_base is managed
// here with a bump pointer; the stub runtime's allocator is never called, so nothing on a hot path
// allocates. An arena that must grow is extended in place when it is the topmost region, otherwise
// moved to the top; the old region is abandoned. With at-least-doubling growth the abandoned space
// is bounded by the arenas' final sizes, which is cheaper than a free list for four regions.

import { HEADER_SIZE, RECORD_SIZE, BAN_SLOT_BYTES } from './constants';

const PAGE: u64 = 65536;
const MAX_PAGES: u64 = 65536;
/**
 * Bytes kept readable past the top region. The hashers load whole 16-byte vectors over a
 * message's last partial block (and mask the excess), so a message ending at the very top of an
 * arena must not put those loads past the end of memory.
 */
const SLACK: u64 = 128;

// Initial sizes: the input holds a few 64 KiB socket reads plus a partial frame without growing;
// scratch holds 1,600 hash descriptors with their digests; 1,024 ban slots cover the peer limit of
// a typical node. Together ~520 KiB of the 8 MiB initial memory (asconfig.json).
const INITIAL_INPUT: u32 = 256 * 1024;
const INITIAL_SCRATCH: u32 = 64 * 1024;
const INITIAL_BAN_SLOTS: u32 = 1024;

let heapTop: usize = (__heap_base + 15) & ~(<usize>15);

/** Bump-allocates `bytes` at the top, growing memory; 0 when memory cannot grow. */
function reserve(bytes: u64): usize {
  const start = <u64>heapTop;
  const end = (start + bytes + 15) & ~(<u64>15);
  const needPages = (end + SLACK + PAGE - 1) / PAGE;
  if (needPages > MAX_PAGES) return 0;
  const have = <u64>memory.size();
  if (needPages > have && memory.grow(<i32>(needPages - have)) < 0) return 0;
  heapTop = <usize>end;
  return <usize>start;
}

/** Bytes the last successful regrow() granted (at least the bytes asked for). */
let granted: u32 = 0;

/**
 * New start of a region of `cap` bytes at `ptr` that must hold `bytes`; 0 on failure (the old
 * region stays valid). Asks for double the old size first so that repeated growth is amortised,
 * then for exactly `bytes`. Contents are preserved only when `keep` is set.
 */
function regrow(ptr: usize, cap: u32, bytes: u32, keep: bool): usize {
  let want = <u64>cap << 1;
  if (want < <u64>bytes) want = <u64>bytes;
  if (ptr + <usize>cap == heapTop) {
    // Topmost: extend in place, nothing to copy.
    heapTop = ptr;
    if (reserve(want) != 0) {
      granted = <u32>want;
      return ptr;
    }
    if (reserve(<u64>bytes) != 0) {
      granted = bytes;
      return ptr;
    }
    heapTop = ptr + <usize>cap;
    return 0;
  }
  let p = reserve(want);
  granted = <u32>want;
  if (p == 0) {
    p = reserve(<u64>bytes);
    granted = bytes;
  }
  if (p != 0 && keep) memory.copy(p, ptr, cap);
  return p;
}

// Region order at start-up: ban table, results, scratch, input. Input is the one that grows most
// often (a big block), so it starts on top and usually extends in place.
let banPtr_: usize = reserve(<u64>INITIAL_BAN_SLOTS * BAN_SLOT_BYTES);
let banCap_: u32 = INITIAL_BAN_SLOTS;
let resultsPtr_: usize = reserve(<u64>(INITIAL_INPUT / HEADER_SIZE + 1) * RECORD_SIZE);
let resultsCap_: u32 = INITIAL_INPUT / HEADER_SIZE + 1;
let scratchPtr_: usize = reserve(<u64>INITIAL_SCRATCH);
let scratchCap_: u32 = INITIAL_SCRATCH;
let inputPtr_: usize = reserve(<u64>INITIAL_INPUT);
let inputCap_: u32 = INITIAL_INPUT;

export function inputPtr(): usize {
  return inputPtr_;
}
export function inputCapacity(): u32 {
  return inputCap_;
}
export function resultsPtr(): usize {
  return resultsPtr_;
}
/** Records that fit; always at least inputCapacity() / 24 + 1, so one scan never runs out. */
export function resultsCapacity(): u32 {
  return resultsCap_;
}
export function scratchPtr(): usize {
  return scratchPtr_;
}
export function scratchCapacity(): u32 {
  return scratchCap_;
}

/**
 * Grows the input arena to `bytes` (contents are not kept) and the results arena with it, so that
 * every frame of a full input fits in one scan. Returns the input pointer, or 0 when memory cannot
 * grow; the arenas are then unchanged.
 */
export function ensureInput(bytes: u32): usize {
  if (bytes > inputCap_) {
    const p = regrow(inputPtr_, inputCap_, bytes, false);
    if (p == 0) return 0;
    inputPtr_ = p;
    inputCap_ = granted;
  }
  const records = inputCap_ / HEADER_SIZE + 1;
  if (records > resultsCap_) {
    const rp = regrow(resultsPtr_, resultsCap_ * RECORD_SIZE, records * RECORD_SIZE, false);
    if (rp == 0) return 0;
    resultsPtr_ = rp;
    resultsCap_ = granted / RECORD_SIZE;
  }
  return inputPtr_;
}

/** As ensureInput, for the scratch arena. */
export function ensureScratch(bytes: u32): usize {
  if (bytes > scratchCap_) {
    const p = regrow(scratchPtr_, scratchCap_, bytes, false);
    if (p == 0) return 0;
    scratchPtr_ = p;
    scratchCap_ = granted;
  }
  return scratchPtr_;
}

export function banTablePtr(): usize {
  return banPtr_;
}
export function banCapacity(): u32 {
  return banCap_;
}

/** Grows the ban table to at least `slots`, keeping its contents; the new capacity or 0. */
export function banEnsure(slots: u32): u32 {
  if (slots <= banCap_) return banCap_;
  if (<u64>slots * BAN_SLOT_BYTES > 0xffffffff) return 0;
  const oldBytes = banCap_ * BAN_SLOT_BYTES;
  const p = regrow(banPtr_, oldBytes, slots * BAN_SLOT_BYTES, true);
  if (p == 0) return 0;
  const cap = granted / BAN_SLOT_BYTES;
  memory.fill(p + oldBytes, 0, cap * BAN_SLOT_BYTES - oldBytes);
  banPtr_ = p;
  banCap_ = cap;
  return cap;
}
