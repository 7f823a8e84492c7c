// BIP324 packet layer: FSChaCha20 for the 3-byte lengths, FSChaCha20Poly1305 for the contents,
// over every complete packet of one socket read in one call (docs/wasm-abi.md "BIP324").
// The caller copies one direction's cipher state (STATE_BYTES) in before the call and out after
// it, so any number of connections share this module. Peer bytes never trap: a bad tag or an
// oversize length is a status in a result record, and the call stops there.

import { RECORD_SIZE } from './constants';
import { chacha2, chacha4, chachaLanes, chachaXor, xorKeystream } from './chacha20';
import { polyInit, polyPadded, polyCiphertext, polyFinish } from './poly1305';
import { inputPtr, inputCapacity, resultsPtr, resultsCapacity } from './arena';
import { V2_OK, V2_DEFERRED, V2_BAD_TAG, V2_OVERSIZE } from './v2status';

/** BIP324 REKEY_INTERVAL: both ciphers move to a new key after this many messages. */
const REKEY_INTERVAL: u32 = 224;
/** Largest contents length accepted: 1 + 12 (long message type) + 4,000,000 (Core MAX_CONTENTS_LEN). */
const MAX_CONTENTS: u32 = 4_000_013;
/** Bytes per v2 result record (offset, length, header byte, status); the arena is sized in frame records. */
const V2_RECORD: u32 = 16;
/** 3 length bytes + 1 header byte + 16 tag bytes around the contents. */
const OVERHEAD: u32 = 20;

// Cipher state of one direction, 768 bytes:
//   0  AEAD key (32)            32 u32 packets under this key   40 u64 AEAD rekeys
//   48 u32 length chunks used   56 u64 length rekeys            64 length keystream (704)
// The length keystream holds the whole interval: 224 * 3 = 672 bytes, then the next key in
// bytes 672..704 (BIP324 chose 224 for exactly that), i.e. 11 ChaCha20 blocks.
const STATE_BYTES: u32 = 768;
const S_KEY: usize = 0;
const S_MSGS: usize = 32;
const S_REKEYS: usize = 40;
const S_CHUNKS: usize = 48;
const S_LREKEYS: usize = 56;
const S_KS: usize = 64;
const KS_BYTES: u32 = 704;

const STATE: usize = memory.data(STATE_BYTES, 16);
/** Key (32) and nonce (12) of the last deferred packet, for the caller's native AEAD. */
const DEFER: usize = memory.data(48, 16);
const NONCE: usize = memory.data(16, 16);
const BLOCKS: usize = memory.data(768, 16); // length keystream scratch and AEAD first blocks
const TAG: usize = memory.data(16, 16);
const NEWKEY: usize = memory.data(32, 16);

let consumed: u32 = 0;
let need: u32 = 0;

export function v2StatePtr(): usize {
  return STATE;
}
export function v2DeferPtr(): usize {
  return DEFER;
}
/** Bytes of the input, from its start, that the last v2Open/v2Seal finished with. */
export function v2Consumed(): u32 {
  return consumed;
}
/** After v2Open: total size of the incomplete packet at v2Consumed(), 0 if its length is not in yet. */
export function v2Need(): u32 {
  return need;
}

/** Fills the length keystream from the key at `key` for the current length rekey count. */
function fillLengthKeystream(key: usize): void {
  store<u32>(NONCE, 0);
  store<u64>(NONCE, load<u64>(STATE, S_LREKEYS), 4);
  chacha4(key, NONCE, 0, BLOCKS);
  chacha4(key, NONCE, 4, BLOCKS + 256);
  chacha4(key, NONCE, 8, BLOCKS + 512);
  memory.copy(STATE + S_KS, BLOCKS, KS_BYTES);
}

/**
 * Starts the state: the caller has written the AEAD key at offset 0 and the length key at
 * offset 64 (where the keystream goes); counters start at zero.
 */
export function v2StateInit(): void {
  memory.copy(NEWKEY, STATE + S_KS, 32);
  store<u32>(STATE, 0, S_MSGS);
  store<u64>(STATE, 0, S_REKEYS);
  store<u32>(STATE, 0, S_CHUNKS);
  store<u64>(STATE, 0, S_LREKEYS);
  fillLengthKeystream(NEWKEY);
}

/** Contents length of the packet whose 3 encrypted length bytes are at `p`, read with chunk `chunk` (< 224). */
// @ts-ignore: decorator
@inline function peekLength(p: usize, chunk: u32): u32 {
  const ks = STATE + S_KS + <usize>chunk * 3;
  return (
    (<u32>(load<u8>(p) ^ load<u8>(ks))) |
    (<u32>(load<u8>(p, 1) ^ load<u8>(ks, 1)) << 8) |
    (<u32>(load<u8>(p, 2) ^ load<u8>(ks, 2)) << 16)
  );
}

/** Encrypts (or decrypts) 3 length bytes at `p` in place with chunk `chunk` (< 224). */
// @ts-ignore: decorator
@inline function cryptLength(p: usize, chunk: u32): void {
  const ks = STATE + S_KS + <usize>chunk * 3;
  store<u8>(p, load<u8>(p) ^ load<u8>(ks));
  store<u8>(p, load<u8>(p, 1) ^ load<u8>(ks, 1), 1);
  store<u8>(p, load<u8>(p, 2) ^ load<u8>(ks, 2), 2);
}

/** FSChaCha20: one chunk used; after 224, the next 32 keystream bytes become the key. */
function nextLengthChunk(): void {
  const chunks = load<u32>(STATE, S_CHUNKS) + 1;
  if (chunks < REKEY_INTERVAL) {
    store<u32>(STATE, chunks, S_CHUNKS);
    return;
  }
  memory.copy(NEWKEY, STATE + S_KS + REKEY_INTERVAL * 3, 32);
  store<u32>(STATE, 0, S_CHUNKS);
  store<u64>(STATE, load<u64>(STATE, S_LREKEYS) + 1, S_LREKEYS);
  fillLengthKeystream(NEWKEY);
}

/** Writes the AEAD nonce of the current packet to NONCE: u32 packets-under-key, u64 rekeys. */
// @ts-ignore: decorator
@inline function packetNonce(): void {
  store<u32>(NONCE, load<u32>(STATE, S_MSGS));
  store<u64>(NONCE, load<u64>(STATE, S_REKEYS), 4);
}

/**
 * FSChaCha20Poly1305: one packet used; after 224 the key becomes keystream bytes 64..96 of the
 * nonce (0xffffffff, rekeys), i.e. the first 32 bytes of encrypting 32 zero bytes (BIP324).
 */
function nextPacket(): void {
  const msgs = load<u32>(STATE, S_MSGS) + 1;
  if (msgs < REKEY_INTERVAL) {
    store<u32>(STATE, msgs, S_MSGS);
    return;
  }
  const rekeys = load<u64>(STATE, S_REKEYS);
  store<u32>(NONCE, 0xffffffff);
  store<u64>(NONCE, rekeys, 4);
  chacha4(STATE + S_KEY, NONCE, 0, BLOCKS);
  memory.copy(STATE + S_KEY, BLOCKS + 64, 32);
  store<u32>(STATE, 0, S_MSGS);
  store<u64>(STATE, rekeys + 1, S_REKEYS);
}

/** Tag over aad and ciphertext into TAG, with the Poly1305 key at `ks` (keystream block 0). */
function computeTag(ks: usize, aad: usize, aadLen: u32, ct: usize, ctLen: u32): void {
  polyInit(ks);
  if (aadLen > 0) polyPadded(aad, aadLen);
  polyCiphertext(ct, ctLen, aadLen);
  polyFinish(TAG);
}

/**
 * The first keystream blocks of the current packet (nonce in NONCE) into BLOCKS: block 0 (the
 * Poly1305 key) and the contents' first blocks, two when `len` fits one block, else four.
 * Returns the contents keystream bytes it made (64 or 192).
 */
// @ts-ignore: decorator
@inline function firstBlocks(len: u32): u32 {
  if (len <= 64) {
    chacha2(STATE + S_KEY, NONCE, 0, BLOCKS);
    return 64;
  }
  chacha4(STATE + S_KEY, NONCE, 0, BLOCKS);
  return 192;
}

/**
 * XORs the `len` bytes at `p` with the keystream from block 1 on: `have` bytes of it are at
 * ks + 64, the rest is made here from the key in STATE and the nonce in NONCE.
 */
function cryptContents(ks: usize, have: u32, p: usize, len: u32): void {
  const first: u32 = len < have ? len : have;
  xorKeystream(p, p, ks + 64, first);
  if (len > have) chachaXor(STATE + S_KEY, NONCE, 1 + (have >>> 6), p + have, p + have, len - have);
}

/**
 * ChaCha20-Poly1305 open in place (RFC 8439) with block 0 and `have` bytes of contents keystream
 * at `ks`: false, and nothing decrypted, if the tag is wrong.
 */
function aeadOpen(ks: usize, have: u32, aad: usize, aadLen: u32, ct: usize, ctLen: u32): bool {
  computeTag(ks, aad, aadLen, ct, ctLen);
  const tag = ct + <usize>ctLen;
  const diff = v128.xor(v128.load(TAG), v128.load(tag));
  if (v128.any_true(diff)) return false;
  cryptContents(ks, have, ct, ctLen);
  return true;
}

/** ChaCha20-Poly1305 seal in place: encrypts `len` bytes at `p` and writes the tag after them. */
function aeadSeal(ks: usize, have: u32, aad: usize, aadLen: u32, p: usize, len: u32): void {
  cryptContents(ks, have, p, len);
  computeTag(ks, aad, aadLen, p, len);
  v128.store(p + <usize>len, v128.load(TAG));
}

/** Opens the packet (header + contents `ctLen` bytes at `ct`) with the current nonce on its own. */
function openOne(aad: usize, aadLen: u32, ct: usize, ctLen: u32): bool {
  packetNonce();
  const have = firstBlocks(ctLen);
  return aeadOpen(BLOCKS, have, aad, aadLen, ct, ctLen);
}

/** Seals the packet (header + contents `ctLen` bytes at `p`) with the current nonce on its own. */
function sealOne(aad: usize, aadLen: u32, p: usize, ctLen: u32): void {
  packetNonce();
  const have = firstBlocks(ctLen);
  aeadSeal(BLOCKS, have, aad, aadLen, p, ctLen);
}

// Keystream windows. Packet i of one direction uses blocks 0..k of nonce (i, rekeys), k = ceil
// ((1 + contents) / 64): 6 blocks for a 260-byte transaction, which one packet at a time costs a
// 4-block and a 2-block kernel call. A window lays the blocks of consecutive packets side by side in
// chachaLanes' four lanes, so only the window's last call runs short. A window never spans a
// rekey (all its packets share key and rekey count) and takes packets of up to
// WINDOW_PACKET_BLOCKS blocks; larger ones, and those left to the caller, go one at a time.

/** Keystream blocks per window (KSW holds them). */
const WINDOW_BLOCKS: u32 = 128;
/** Largest packet keyed in a window, in blocks (4,032 bytes of header + contents); a larger one fills whole calls anyway. */
const WINDOW_PACKET_BLOCKS: u32 = 64;
/** Packets per window (WLEN holds their contents lengths). */
const WINDOW_PACKETS: u32 = 64;
/** Keystream of the window, packet after packet; 4 blocks of slack for a last call's unused lanes. */
const KSW: usize = memory.data((WINDOW_BLOCKS + 4) * 64, 16);
/** Per block of the window: block counter and first nonce word (packet number), as u32. */
const LANE_CTR: usize = memory.data((WINDOW_BLOCKS + 8) * 4, 16);
const LANE_MSG: usize = memory.data((WINDOW_BLOCKS + 8) * 4, 16);
const WLEN: usize = memory.data(WINDOW_PACKETS * 4, 16);

/** Keystream blocks of a packet with `ctLen` bytes of header + contents: block 0 and the data blocks. */
// @ts-ignore: decorator
@inline function packetBlocks(ctLen: u32): u32 {
  return 1 + ((ctLen + 63) >>> 6);
}

/**
 * Blocks a packet of `ctLen` bytes (header + contents) adds to a window already holding `lanes`
 * blocks, or 0 when it goes on its own: left to the caller, too large, or the window is full.
 */
// @ts-ignore: decorator
@inline function windowBlocks(ctLen: u32, lanes: u32, nativeMin: u32): u32 {
  const blocks = packetBlocks(ctLen);
  return ctLen >= nativeMin || blocks > WINDOW_PACKET_BLOCKS || lanes + blocks > WINDOW_BLOCKS ? 0 : blocks;
}

/** Packets that fit before the next rekey of either cipher (at least 1). */
// @ts-ignore: decorator
@inline function windowRoom(): u32 {
  const msgs = load<u32>(STATE, S_MSGS);
  const chunks = load<u32>(STATE, S_CHUNKS);
  const used = msgs > chunks ? msgs : chunks;
  const room = REKEY_INTERVAL - used;
  return room < WINDOW_PACKETS ? room : WINDOW_PACKETS;
}

/**
 * Fills KSW with the blocks of the window's `count` packets (contents lengths in WLEN, `lanes`
 * blocks in all). Lane entries are written four at a time (a packet's stores may run past its
 * blocks; the next packet's overwrite them, the slack takes the rest). A last group of one or two
 * lanes belongs to one packet (every packet has at least two blocks), so chacha2 makes it.
 */
function keyWindow(count: u32, lanes: u32): void {
  let msg = load<u32>(STATE, S_MSGS);
  let at: usize = 0;
  for (let i: u32 = 0; i < count; i++) {
    const blocks = packetBlocks(load<u32>(WLEN + (<usize>i << 2)) + 1);
    const m = i32x4.splat(msg);
    let c = i32x4(0, 1, 2, 3);
    for (let j: u32 = 0; j < blocks; j += 4) {
      v128.store(LANE_CTR + at + (<usize>j << 2), c);
      v128.store(LANE_MSG + at + (<usize>j << 2), m);
      c = i32x4.add(c, i32x4.splat(4));
    }
    at += <usize>blocks << 2;
    msg++;
  }
  const key = STATE + S_KEY;
  store<u64>(NONCE, load<u64>(STATE, S_REKEYS), 4);
  let g: u32 = 0;
  for (; g + 2 < lanes; g += 4) {
    const at = <usize>g << 2;
    chachaLanes(key, NONCE, LANE_CTR + at, LANE_MSG + at, KSW + (<usize>g << 6));
  }
  if (g < lanes) {
    const at = <usize>g << 2;
    store<u32>(NONCE, load<u32>(LANE_MSG + at));
    chacha2(key, NONCE, load<u32>(LANE_CTR + at), KSW + (<usize>g << 6));
  }
}

/** Saves key and nonce of the current packet for the caller, then moves past it. */
function deferPacket(): void {
  packetNonce();
  memory.copy(DEFER, STATE + S_KEY, 32);
  memory.copy(DEFER + 32, NONCE, 12);
  nextPacket();
}

// @ts-ignore: decorator
@inline function emit(n: u32, offset: u32, length: u32, header: u32, status: u32): void {
  const r = resultsPtr() + <usize>n * V2_RECORD;
  store<u32>(r, offset, 0);
  store<u32>(r, length, 4);
  store<u32>(r, header, 8);
  store<u32>(r, status, 12);
}

/**
 * Decrypts and authenticates the complete packets in input bytes [start, len), in order, with
 * the receive state in STATE. `aad` (the peer's garbage) authenticates the first packet of this
 * call only. A packet whose header + contents are >= `nativeMin` bytes is not opened: its record
 * says V2_DEFERRED, its key and nonce are at v2DeferPtr(), and the call stops after it. The call
 * also stops after a V2_BAD_TAG or V2_OVERSIZE record (fatal), or after `maxResults` records.
 * Record: offset of the header byte, contents length, header byte, status. Returns the count.
 */
export function v2Open(start: u32, len: u32, aad: usize, aadLen: u32, nativeMin: u32, maxResults: u32): u32 {
  if (len > inputCapacity()) len = inputCapacity();
  const base = inputPtr();
  const cap = resultsCapacity() * (RECORD_SIZE / V2_RECORD);
  const max = maxResults < cap ? maxResults : cap;
  let pos = start < len ? start : len;
  let n: u32 = 0;
  need = 0;
  while (n < max && len - pos >= 3) {
    // A window: the ordinary packets from pos on (their lengths read ahead with the chunks
    // they will use), keyed together, then opened in order.
    const room = windowRoom();
    const chunk = load<u32>(STATE, S_CHUNKS);
    let count: u32 = 0;
    let lanes: u32 = 0;
    let at = pos;
    while (count < room && n + count < max && len - at >= 3) {
      const contents = peekLength(base + <usize>at, chunk + count);
      if (contents > MAX_CONTENTS || len - at < contents + OVERHEAD) break;
      const blocks = windowBlocks(contents + 1, lanes, nativeMin);
      if (blocks == 0) break;
      store<u32>(WLEN + (<usize>count << 2), contents);
      lanes += blocks;
      count++;
      at += contents + OVERHEAD;
    }
    if (count > 0) {
      // A window of one packet goes on its own: the same kernel calls without the lane set-up.
      if (count > 1) keyWindow(count, lanes);
      let ks = KSW;
      for (let i: u32 = 0; i < count; i++) {
        const contents = load<u32>(WLEN + (<usize>i << 2));
        const ct = base + <usize>pos + 3;
        const ctLen = contents + 1;
        nextLengthChunk();
        const ok = count > 1 ? aeadOpen(ks, ctLen, aad, n == 0 ? aadLen : 0, ct, ctLen) : openOne(aad, n == 0 ? aadLen : 0, ct, ctLen);
        if (!ok) {
          emit(n++, pos + 3, contents, 0, V2_BAD_TAG);
          pos += contents + OVERHEAD;
          consumed = pos;
          return n;
        }
        nextPacket();
        emit(n++, pos + 3, contents, <u32>load<u8>(ct), V2_OK);
        pos += contents + OVERHEAD;
        ks += <usize>packetBlocks(ctLen) << 6;
      }
      continue;
    }
    // One packet on its own: oversize, incomplete, left to the caller, or large.
    const p = base + <usize>pos;
    const contents = peekLength(p, chunk);
    if (contents > MAX_CONTENTS) {
      emit(n++, pos + 3, contents, 0, V2_OVERSIZE);
      break;
    }
    const total = contents + OVERHEAD;
    if (len - pos < total) {
      need = total;
      break;
    }
    nextLengthChunk();
    const ct = p + 3;
    const ctLen = contents + 1;
    if (ctLen >= nativeMin) {
      deferPacket();
      emit(n++, pos + 3, contents, 0, V2_DEFERRED);
      pos += total;
      break;
    }
    if (!openOne(aad, n == 0 ? aadLen : 0, ct, ctLen)) {
      emit(n++, pos + 3, contents, 0, V2_BAD_TAG);
      pos += total;
      break;
    }
    nextPacket();
    emit(n++, pos + 3, contents, <u32>load<u8>(ct), V2_OK);
    pos += total;
  }
  consumed = pos;
  return n;
}

/**
 * Encrypts in place the packets laid out in input bytes [start, len): each is a 3-byte plaintext
 * contents length, the header byte, the contents and 16 bytes for the tag. `aad` (our garbage)
 * goes with the first packet of this call. A packet whose header + contents are >= `nativeMin`
 * bytes gets only its length encrypted: one V2_DEFERRED record (offset of the header byte,
 * contents length), its key and nonce at v2DeferPtr(), and the call stops after it.
 * Returns the number of records (0 or 1); v2Consumed() tells where it stopped.
 */
export function v2Seal(start: u32, len: u32, aad: usize, aadLen: u32, nativeMin: u32): u32 {
  if (len > inputCapacity()) len = inputCapacity();
  const base = inputPtr();
  let pos = start < len ? start : len;
  let n: u32 = 0;
  let first = true;
  while (len - pos >= OVERHEAD) {
    // A window, as in v2Open; the lengths are encrypted while it is laid out.
    const room = windowRoom();
    const chunk = load<u32>(STATE, S_CHUNKS);
    let count: u32 = 0;
    let lanes: u32 = 0;
    let at = pos;
    while (count < room && len - at >= OVERHEAD) {
      const p = base + <usize>at;
      const contents = <u32>load<u16>(p) | (<u32>load<u8>(p, 2) << 16);
      if (len - at < contents + OVERHEAD) break;
      const blocks = windowBlocks(contents + 1, lanes, nativeMin);
      if (blocks == 0) break;
      cryptLength(p, chunk + count);
      store<u32>(WLEN + (<usize>count << 2), contents);
      lanes += blocks;
      count++;
      at += contents + OVERHEAD;
    }
    if (count > 0) {
      if (count > 1) keyWindow(count, lanes);
      let ks = KSW;
      for (let i: u32 = 0; i < count; i++) {
        const ctLen = load<u32>(WLEN + (<usize>i << 2)) + 1;
        const ct = base + <usize>pos + 3;
        nextLengthChunk();
        if (count > 1) aeadSeal(ks, ctLen, aad, first ? aadLen : 0, ct, ctLen);
        else sealOne(aad, first ? aadLen : 0, ct, ctLen);
        nextPacket();
        first = false;
        pos += ctLen - 1 + OVERHEAD;
        ks += <usize>packetBlocks(ctLen) << 6;
      }
      continue;
    }
    // One packet on its own: incomplete, left to the caller, or large.
    const p = base + <usize>pos;
    const contents = <u32>load<u16>(p) | (<u32>load<u8>(p, 2) << 16);
    const total = contents + OVERHEAD;
    if (len - pos < total) break;
    cryptLength(p, chunk);
    nextLengthChunk();
    const ctLen = contents + 1;
    if (ctLen >= nativeMin) {
      deferPacket();
      emit(n++, pos + 3, contents, 0, V2_DEFERRED);
      pos += total;
      break;
    }
    sealOne(aad, first ? aadLen : 0, p + 3, ctLen);
    nextPacket();
    first = false;
    pos += total;
  }
  consumed = pos;
  return n;
}
