// Frame scanning and sealing (docs/wasm-abi.md "Framing"). Peer bytes never make this code trap:
// every outcome is a status in a result record.

import {
  HEADER_SIZE,
  HDR_COMMAND,
  HDR_LENGTH,
  MAX_PROTOCOL_MESSAGE_LENGTH,
  RECORD_SIZE,
} from './constants';
import { commandCap, lookupCommand } from './commands';
import { inputPtr, inputCapacity, resultsPtr, resultsCapacity } from './arena';
import {
  BAD_COMMAND,
  BAD_MAGIC,
  CHECKSUM_DEFERRED,
  COMMAND_OVERSIZE,
  OVERSIZE,
  PENDING_CHECKSUM,
  OK,
  UNKNOWN_COMMAND,
} from './status';
import { runFill, runScan, runSeal } from './sha256x4';

let consumed: u32 = 0;
let need: u32 = 0;

/** Bytes of the last scan that belong to reported records. */
export function scanConsumed(): u32 {
  return consumed;
}

/** Total size of the incomplete frame in the tail of the last scan, 0 if unknown. */
export function scanNeed(): u32 {
  return need;
}

/** Marker for a malformed command, distinct from every id. */
const BAD_ID: u32 = 0xffffffff;

/**
 * True when the 12 command bytes at `p` are printable ASCII (0x20..0x7e) or NUL, with the NULs a
 * suffix. btcd requires UTF-8 and strips NULs; we are stricter because no real command uses
 * anything else and a non-ASCII command is a desynced stream or a probe. Reads 16 bytes at `p`.
 */
// @ts-ignore: decorator
@inline export function commandFieldOk(p: usize): bool {
  const v = v128.load(p); // lanes 12..15 are past the field: masked off below
  const nul = i8x16.eq(v, i8x16.splat(0));
  const printable = i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x20)), i8x16.splat(0x5f));
  if ((i8x16.bitmask(v128.or(nul, printable)) & 0xfff) != 0xfff) return false;
  // NULs must form a suffix: with bits 12..31 set as well, the NUL mask is 1…10…0 exactly when
  // adding its lowest set bit carries out of 32 bits.
  const m = <u32>(i8x16.bitmask(nul) & 0xfff) | 0xfffff000;
  return m + (m & (0 - m)) == 0;
}

/** Command id of the command field of header `h`, 0 if well formed but unknown, BAD_ID if malformed. */
// @ts-ignore: decorator
@inline function classifyCommand(h: usize): u32 {
  if (!commandFieldOk(h + HDR_COMMAND)) return BAD_ID;
  return lookupCommand(load<u64>(h, HDR_COMMAND), load<u32>(h, HDR_COMMAND + 8));
}

// @ts-ignore: decorator
@inline function emit(n: u32, offset: u32, length: u32, id: u32, status: u32): void {
  const r = resultsPtr() + <usize>n * RECORD_SIZE;
  store<u32>(r, offset, 0);
  store<u32>(r, length, 4);
  store<u32>(r, id, 8);
  store<u32>(r, status, 12);
}

/** `maxResults` capped at the number of records the results arena holds. */
// @ts-ignore: decorator
@inline function maxRecords(maxResults: u32): u32 {
  const cap = resultsCapacity();
  return maxResults < cap ? maxResults : cap;
}

/** What checkHeader returns after writing a fatal record; distinct from every id and BAD_ID. */
const FATAL: u32 = 0xfffffffe;

/**
 * Header checks shared by scanFrames and fillFrames, cheapest first as in btcd ReadMessage:
 * global length cap, magic (only if `checkMagic`), command bytes, per-command cap. A failed cap or
 * magic writes record `n` (OVERSIZE, BAD_MAGIC or COMMAND_OVERSIZE) and returns FATAL: the caller
 * counts it, skips the header and stops. Otherwise returns the command id (BAD_ID, 0 or known).
 */
// @ts-ignore: decorator
@inline function checkHeader(h: usize, n: u32, pos: u32, length: u32, checkMagic: bool, magic: u32): u32 {
  if (length > MAX_PROTOCOL_MESSAGE_LENGTH) {
    emit(n, pos, length, 0, OVERSIZE);
    return FATAL;
  }
  if (checkMagic && load<u32>(h) != magic) {
    emit(n, pos, length, 0, BAD_MAGIC);
    return FATAL;
  }
  const id = classifyCommand(h);
  if (id != BAD_ID && length > commandCap(id)) {
    emit(n, pos, length, id, COMMAND_OVERSIZE);
    return FATAL;
  }
  return id;
}

/**
 * Scans `len` bytes at inputPtr() for frames with network `magic`. Checks each header in the
 * order of btcd ReadMessage, cheapest first: global length cap (before waiting for a payload that
 * could be 4 GiB), magic, command bytes, per-command cap (a well-formed header must not make us
 * buffer more than its command can legitimately carry), then the checksum of complete frames.
 * Checksums of payloads < `nativeHashMin` are verified here, all of them in one multi-buffer pass
 * after the headers; larger ones are left to the caller as CHECKSUM_DEFERRED.
 * Returns the number of records written (at most `maxResults` and resultsCapacity()).
 */
export function scanFrames(len: u32, magic: u32, nativeHashMin: u32, maxResults: u32): u32 {
  if (len > inputCapacity()) len = inputCapacity();
  const base = inputPtr();
  const max = maxRecords(maxResults);
  let pos: u32 = 0;
  let n: u32 = 0;
  let pending = false;
  need = 0;
  while (n < max && len - pos >= HEADER_SIZE) {
    const h = base + <usize>pos;
    const length = load<u32>(h, HDR_LENGTH);
    const id = checkHeader(h, n, pos, length, true, magic);
    if (id == FATAL) {
      n++;
      pos += HEADER_SIZE;
      break;
    }
    const total = HEADER_SIZE + length; // ≤ 4,000,024: no overflow
    if (len - pos < total) {
      need = total;
      break;
    }
    let status: u32;
    if (id == BAD_ID) status = BAD_COMMAND;
    else if (id == 0) status = UNKNOWN_COMMAND;
    else if (length >= nativeHashMin) status = CHECKSUM_DEFERRED;
    else {
      status = PENDING_CHECKSUM;
      pending = true;
    }
    emit(n++, pos, length, id == BAD_ID ? 0 : id, status);
    pos += total;
  }
  consumed = pos;
  if (pending) runScan(resultsPtr(), n, base);
  return n;
}

/**
 * Writes the checksum of each complete frame in the `len` bytes at inputPtr() whose payload is
 * < `nativeHashMin`; frames at or above it get a CHECKSUM_DEFERRED record (offset, length,
 * command id, status) for the caller to fill natively. Returns the number of such records; frames
 * after the `maxResults`-th deferred one are left alone.
 */
export function sealFrames(len: u32, nativeHashMin: u32, maxResults: u32): u32 {
  if (len > inputCapacity()) len = inputCapacity();
  const base = inputPtr();
  const max = maxRecords(maxResults);
  let pos: u64 = 0;
  let n: u32 = 0;
  let limit: u64 = <u64>len;
  while (pos + HEADER_SIZE <= <u64>len) {
    const h = base + <usize>pos;
    const length = load<u32>(h, HDR_LENGTH);
    const end = pos + HEADER_SIZE + length;
    if (end > <u64>len) break;
    if (length >= nativeHashMin) {
      if (n == max) {
        limit = pos;
        break;
      }
      const id = lookupCommand(load<u64>(h, HDR_COMMAND), load<u32>(h, HDR_COMMAND + 8));
      emit(n++, <u32>pos, length, id, CHECKSUM_DEFERRED);
    }
    pos = end;
  }
  runSeal(base, <u32>limit, nativeHashMin);
  return n;
}

/**
 * Records for `len` bytes of frames at `base` that the caller laid out from messages an
 * authenticated transport delivered (BIP324: the AEAD already vouches for them, so there is no
 * checksum to verify; assembly/v2frames.ts). Magic, command and length are written, the checksum
 * field is not. One pass: each frame gets its record (offset from `base`, length, command id,
 * status) with the same caps as scanFrames — a length over the global cap is OVERSIZE, over its
 * command's cap COMMAND_OVERSIZE, both fatal and last — and then every payload < `nativeHashMin`
 * is hashed once, in one multi-buffer pass, filling both the record's digest and the frame's
 * checksum. Larger payloads, and any payload at or after offset `deferFrom` (one the caller has
 * yet to copy in), get CHECKSUM_DEFERRED for the caller to fill natively. Unknown
 * commands get id 0 and status UNKNOWN_COMMAND (their checksum is filled as well: the bytes are
 * well-formed v1 frames); a malformed command field gets BAD_COMMAND, as in scanFrames.
 * Returns the number of records written (at most resultsCapacity()).
 */
export function fillFramesAt(base: usize, len: u32, nativeHashMin: u32, deferFrom: u32): u32 {
  const max = resultsCapacity();
  let pos: u32 = 0;
  let n: u32 = 0;
  let unknown = false;
  while (n < max && len - pos >= HEADER_SIZE) {
    const h = base + <usize>pos;
    const length = load<u32>(h, HDR_LENGTH);
    // No magic check: the caller wrote these headers itself from AEAD-authenticated messages.
    const id = checkHeader(h, n, pos, length, false, 0);
    if (id == FATAL) {
      n++;
      pos += HEADER_SIZE;
      break;
    }
    const total = HEADER_SIZE + length;
    if (len - pos < total) break;
    if (id == BAD_ID) emit(n++, pos, length, 0, BAD_COMMAND);
    else {
      if (id == 0) unknown = true;
      emit(n++, pos, length, id, length >= nativeHashMin || pos + HEADER_SIZE >= deferFrom ? CHECKSUM_DEFERRED : PENDING_CHECKSUM);
    }
    pos += total;
  }
  runFill(resultsPtr(), n, base);
  if (unknown) {
    for (let i: u32 = 0; i < n; i++) {
      const r = resultsPtr() + <usize>i * RECORD_SIZE;
      if (load<u32>(r, 8) == 0 && load<u32>(r, 12) == OK) store<u32>(r, UNKNOWN_COMMAND, 12);
    }
  }
  return n;
}
