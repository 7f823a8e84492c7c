// BIP324 messages to v1 frames (docs/wasm-abi.md "BIP324"). After v2Open has decrypted the
// packets of a read in place, one call lays their messages out as v1 frames in the scratch arena
// and gives them frame records (fillFramesAt: command ids, per-command caps, one hash per payload
// that is both the frame's checksum and the record's digest). No message crosses into JS on its
// own: JS gets one buffer of frames and its records, exactly as from a v1 scan.

import { HEADER_SIZE, HDR_COMMAND, HDR_LENGTH, HDR_CHECKSUM, COMMAND_SIZE } from './constants';
import { inputPtr, resultsPtr, ensureScratch } from './arena';
import { commandFieldOk, fillFramesAt } from './frame';
import { V2_OK } from './v2status';

/** Bytes per v2 result record of v2Open: offset of the header byte, contents length, header byte, status. */
const V2_RECORD: usize = 16;
/** Bit 7 of the header byte: a decoy, authenticated and dropped (BIP324). */
const IGNORE_BIT: u32 = 0x80;
/** 0 then the 12-byte command: the long message-type form (BIP324). */
const LONG_TYPE_BYTES: u32 = 1 + COMMAND_SIZE;

// Command field (12 bytes, NUL padded) of each 1-byte message type id, 16 bytes per entry; an
// all-zero entry is an id no BIP assigns. Mirrors SHORT_IDS in src/transport/v2/message-types.ts
// (a test parses the typeName lines below and compares).
const MAX_SHORT_ID: u32 = 37;
const TYPES: usize = memory.data(<i32>(MAX_SHORT_ID + 1) * 16, 16);

function typeName(id: u32, name: string): void {
  const p = TYPES + (<usize>id << 4);
  for (let i = 0; i < name.length; i++) store<u8>(p + <usize>i, <u8>name.charCodeAt(i));
}

// BIP324 "v2 Bitcoin P2P message type ids", ids 1–28.
typeName(1, 'addr');
typeName(2, 'block');
typeName(3, 'blocktxn');
typeName(4, 'cmpctblock');
typeName(5, 'feefilter');
typeName(6, 'filteradd');
typeName(7, 'filterclear');
typeName(8, 'filterload');
typeName(9, 'getblocks');
typeName(10, 'getblocktxn');
typeName(11, 'getdata');
typeName(12, 'getheaders');
typeName(13, 'headers');
typeName(14, 'inv');
typeName(15, 'mempool');
typeName(16, 'merkleblock');
typeName(17, 'notfound');
typeName(18, 'ping');
typeName(19, 'pong');
typeName(20, 'sendcmpct');
typeName(21, 'tx');
typeName(22, 'getcfilters');
typeName(23, 'cfilter');
typeName(24, 'getcfheaders');
typeName(25, 'cfheaders');
typeName(26, 'getcfcheckpt');
typeName(27, 'cfcheckpt');
typeName(28, 'addrv2');
// bip-0324/message_type_ids.md: ids assigned later (BIP 183, BIP 434).
typeName(29, 'uproof');
typeName(30, 'getuproof');
typeName(31, 'uttls');
typeName(32, 'getuttls');
typeName(33, 'usummary');
typeName(34, 'utreexotx');
typeName(35, 'uroot');
typeName(36, 'geturoot');
typeName(37, 'feature');

/** [frame bytes, decoys, skipped, dropped, absent payload offset] of the last v2Frames call. */
const INFO: usize = memory.data(32, 16);
/** INFO[4] when there is no absent payload to fill in (none asked for, or its packet was dropped). */
const NO_OFFSET: u32 = 0xffffffff;

export function v2FramesInfo(): usize {
  return INFO;
}

/**
 * Lays out the messages of the `count` records v2Open wrote (all V2_OK: JS opened any deferred
 * packet in place and marked it) as v1 frames with network `magic` in the scratch arena, then
 * writes their frame records over the results arena (offsets relative to scratchPtr()). Decoys
 * are dropped; so are the first `skip` non-decoy packets (the version packet) and messages whose
 * type cannot be mapped (an id no BIP assigns, an empty or malformed long form: Core drops those
 * and keeps the peer). Payloads < `nativeHashMin` are hashed here; larger ones get
 * CHECKSUM_DEFERRED. With `lastAbsent` set, only the header byte and message type of the last
 * packet are in the input (node:crypto opened it and JS holds its contents): its frame is laid out
 * without the payload, gets CHECKSUM_DEFERRED whatever its size, and v2FramesInfo()[4] says where
 * in the scratch arena JS is to copy the payload (one copy of a block instead of two). Returns the
 * number of frame records, or 0xffffffff when the scratch arena cannot grow; v2FramesInfo() says
 * how many bytes of frames and what was dropped. With `records` 0 the frames are only laid out:
 * no records, no caps, no hashing, checksum fields 0 (a consumer that only walks the frames).
 */
export function v2Frames(count: u32, magic: u32, skip: u32, nativeHashMin: u32, lastAbsent: u32, records: u32): u32 {
  const base = inputPtr();
  const recs = resultsPtr();
  let bound: u64 = 0;
  for (let i: u32 = 0; i < count; i++) bound += <u64>load<u32>(recs + <usize>i * V2_RECORD, 4) + HEADER_SIZE;
  if (bound > 0xffffffff) return 0xffffffff;
  const out = ensureScratch(<u32>bound);
  if (out == 0) return 0xffffffff;
  let pos: u32 = 0;
  let decoys: u32 = 0;
  let skipped: u32 = 0;
  let dropped: u32 = 0;
  let skipLeft = skip;
  let absentAt = NO_OFFSET;
  for (let i: u32 = 0; i < count; i++) {
    const r = recs + <usize>i * V2_RECORD;
    if (load<u32>(r, 12) != V2_OK) continue;
    const h = base + <usize>load<u32>(r);
    const len = load<u32>(r, 4);
    if ((load<u32>(r, 8) & IGNORE_BIT) != 0) {
      decoys++;
      continue;
    }
    if (skipLeft > 0) {
      skipLeft--;
      skipped++;
      continue;
    }
    if (len == 0) {
      dropped++;
      continue;
    }
    const id = <u32>load<u8>(h, 1);
    let command: usize;
    let payload: usize;
    let payloadLen: u32;
    if (id != 0) {
      command = TYPES + (<usize>id << 4);
      if (id > MAX_SHORT_ID || load<u8>(command) == 0) {
        dropped++;
        continue;
      }
      payload = h + 2;
      payloadLen = len - 1;
    } else {
      command = h + 2;
      // 1..12 printable characters, then NULs (as a v1 command field); Core drops anything else.
      if (len < LONG_TYPE_BYTES || load<u8>(command) == 0 || !commandFieldOk(command)) {
        dropped++;
        continue;
      }
      payload = h + 1 + <usize>LONG_TYPE_BYTES;
      payloadLen = len - LONG_TYPE_BYTES;
    }
    const f = out + <usize>pos;
    store<u32>(f, magic);
    memory.copy(f + HDR_COMMAND, command, COMMAND_SIZE);
    store<u32>(f, payloadLen, HDR_LENGTH);
    store<u32>(f, 0, HDR_CHECKSUM);
    if (lastAbsent != 0 && i == count - 1) absentAt = pos + HEADER_SIZE;
    else memory.copy(f + HEADER_SIZE, payload, payloadLen);
    pos += HEADER_SIZE + payloadLen;
  }
  store<u32>(INFO, pos);
  store<u32>(INFO, decoys, 4);
  store<u32>(INFO, skipped, 8);
  store<u32>(INFO, dropped, 12);
  store<u32>(INFO, absentAt, 16);
  return records != 0 ? fillFramesAt(out, pos, nativeHashMin, absentAt) : 0;
}
