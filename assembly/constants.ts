// Wire sizes and limits mirrored from src/wire/constants.ts, and ban-score parameters (btcd
// connmgr/dynamicbanscore.go). Units are in the names.

/** 4 magic + 12 command + 4 length + 4 checksum. */
export const HEADER_SIZE: u32 = 24;
export const COMMAND_SIZE: u32 = 12;
/** Header field offsets. */
export const HDR_MAGIC: u32 = 0;
export const HDR_COMMAND: u32 = 4;
export const HDR_LENGTH: u32 = 16;
export const HDR_CHECKSUM: u32 = 20;

/**
 * btcd MaxProtocolMessageLength (2026-03). Checked on the header alone, before anything is waited
 * for: a header claiming more is a desynced stream or an attempt to make us buffer megabytes.
 */
export const MAX_PROTOCOL_MESSAGE_LENGTH: u32 = 4_000_000;

/**
 * Bytes in one result record: offset, length, commandId, status (u32 each), then the payload's
 * 32-byte double SHA-256 (written for every frame whose checksum was verified: the frame's
 * checksum is its first 4 bytes, and for a `tx` it is the wtxid).
 */
export const RECORD_SIZE: u32 = 48;
/** Offset of the digest inside a record. */
export const RECORD_DIGEST: u32 = 16;

/** SHA-256 block and digest sizes. */
export const BLOCK_BYTES: u32 = 64;
export const DIGEST_BYTES: u32 = 32;

/** Ban score: transient part halves every 60 s (btcd Halflife). */
export const HALFLIFE_SEC: f64 = 60;
/** λ = ln 2 / halflife, as btcd computes it. */
export const LAMBDA: f64 = Math.LN2 / HALFLIFE_SEC;
/** After 1800 s without an increase the transient part counts as 0 (btcd Lifetime). */
export const LIFETIME_SEC: f64 = 1800;
/** Decay factors for dt < 64 s come from a table (btcd precomputedLen); exp() beyond. */
export const DECAY_TABLE_LEN: i32 = 64;
/** Bytes per ban slot: transient f64, lastSec f64, persistent u32, 4 bytes padding. */
export const BAN_SLOT_BYTES: u32 = 24;
