/**
 * What each kind of misbehaviour costs, in one table, and what a score means. The score itself
 * (persistent + decaying transient, btcd dynamicbanscore) is kept by the WASM ban table; this
 * module only names offences and turns a score into a verdict. Numbers follow btcd server.go
 * where btcd scores the offence (btcd server.go) and are our own choice where it does not;
 * docs/addresses-and-connections.md explains each row.
 *
 * Rules every row obeys: an offence about a list of items scores per item, so an empty message
 * scores 0 (btcd#1886, two LAN peers banned each other for "0 transactions not found"); manual
 * and whitelisted peers are exempt (the caller checks); a wrong network is not a score but an
 * immediate ban (bcash#46: alt-chain peers reconnect forever otherwise).
 */

import type { ErrorCode } from '../errors.js';

/** Default ban threshold (btcd --banthreshold). */
export const DEFAULT_BAN_THRESHOLD = 100;
/** Default ban duration (btcd --banduration). */
export const DEFAULT_BAN_DURATION_MS = 24 * 3_600_000;

export type OffenceId =
  | 'WRONG_MAGIC'
  | 'OVERSIZE'
  | 'BAD_CHECKSUM'
  | 'MALFORMED_PAYLOAD'
  | 'NOTFOUND_BLOCK'
  | 'NOTFOUND_TX'
  | 'NOTFOUND_UNKNOWN_TYPE'
  | 'MEMPOOL_NO_BLOOM'
  | 'ADDR_EMPTY'
  | 'DUPLICATE_VERSION'
  | 'DUPLICATE_VERACK'
  | 'SENDADDRV2_AFTER_HANDSHAKE'
  | 'INVALID_HEADER_POW'
  | 'INVALID_HEADER'
  | 'MUTATED_BLOCK'
  | 'INVALID_COMPACT_BLOCK';

/** Cost of one offence; for per-item rows, of `per` items. */
export interface OffenceRule {
  /** Points that never decay. */
  readonly persistent: number;
  /** Points that decay with a 60 s half-life. */
  readonly transient: number;
  /** Ban at once, whatever the score. */
  readonly instantBan?: boolean;
  /** Close the connection (after scoring). */
  readonly disconnect?: boolean;
  /**
   * Per-item scaling: points × count / per, truncated (btcd's integer math). Absent: the
   * offence is one event and `count` only says whether it happened (0 scores nothing).
   */
  readonly per?: number;
  /** Why the row has these numbers. */
  readonly why: string;
}

/** Points for a scored offence, as handed to the ban table. */
export interface OffenceScore {
  readonly persistent: number;
  readonly transient: number;
  readonly instantBan: boolean;
  readonly disconnect: boolean;
}

export const OFFENCES: Readonly<Record<OffenceId, OffenceRule>> = Object.freeze({
  WRONG_MAGIC: {
    persistent: 0,
    transient: 0,
    instantBan: true,
    disconnect: true,
    why: 'another network or a desynced stream; banning stops reconnect churn (bcash#46)',
  },
  OVERSIZE: {
    persistent: 0,
    transient: 0,
    instantBan: true,
    disconnect: true,
    why:
      'header claims more than the command or global cap: the stream is not Bitcoin framing (an HTTP request, random bytes, a desync; btcd#1721) or an allocation attack; nothing after it can be framed, and a reconnect would repeat it',
  },
  BAD_CHECKSUM: {
    persistent: 0,
    transient: 0,
    instantBan: true,
    disconnect: true,
    why:
      'TCP already checksums every segment, so a frame whose payload does not match its checksum was built that way: a broken or hostile implementation. Core#29575 scores every misbehaviour 100',
  },
  MALFORMED_PAYLOAD: {
    persistent: 0,
    transient: 50,
    disconnect: true,
    why: 'a frame with a good checksum that does not decode was built that way; decays in case of a buggy but honest client',
  },
  NOTFOUND_BLOCK: {
    persistent: 20,
    transient: 0,
    per: 1,
    why: 'btcd OnNotFound: 20 per block we never asked for',
  },
  NOTFOUND_TX: {
    persistent: 0,
    transient: 10,
    per: 1,
    why: 'btcd OnNotFound: 10 per tx, decaying (txs leave mempools legitimately)',
  },
  NOTFOUND_UNKNOWN_TYPE: {
    persistent: 0,
    transient: 0,
    disconnect: true,
    why: 'btcd disconnects on an unknown inventory type in notfound',
  },
  MEMPOOL_NO_BLOOM: {
    persistent: 0,
    transient: 0,
    disconnect: true,
    why: 'btcd: mempool is a BIP35/BLOOM service; without it, disconnect',
  },
  ADDR_EMPTY: {
    persistent: 0,
    transient: 0,
    disconnect: true,
    why: 'btcd disconnects on an addr with 0 entries; an empty message never scores (btcd#1886)',
  },
  DUPLICATE_VERSION: {
    persistent: 0,
    transient: 0,
    disconnect: true,
    why: 'btcd peer.go: reject(duplicate) and disconnect; no score',
  },
  DUPLICATE_VERACK: {
    persistent: 0,
    transient: 0,
    disconnect: true,
    why: 'handled like a second version (btcd peer.go)',
  },
  SENDADDRV2_AFTER_HANDSHAKE: {
    persistent: 0,
    transient: 0,
    disconnect: true,
    why: 'btcd peer.go: silent disconnect',
  },
  INVALID_HEADER_POW: {
    persistent: 100,
    transient: 0,
    instantBan: true,
    disconnect: true,
    why:
      'Core net_processing.cpp CheckHeadersPoW: a header whose hash is above its own target costs nothing to make and nothing honest sends one; Misbehaving() discourages the address and disconnects at once',
  },
  INVALID_HEADER: {
    persistent: 100,
    transient: 0,
    instantBan: true,
    disconnect: true,
    why:
      'Core MaybePunishNodeForBlock, BLOCK_INVALID_HEADER: a header with valid proof of work that breaks a consensus rule (bad-diffbits, time-too-old, timewarp, bad-version, non-continuous); discouraged and disconnected',
  },
  MUTATED_BLOCK: {
    persistent: 100,
    transient: 0,
    instantBan: true,
    disconnect: true,
    why:
      "Core MaybePunishNodeForBlock, BLOCK_MUTATED ('mutated block'): a full block whose transactions do not match its header (merkle root, witness commitment). Never for a block rebuilt from a cmpctblock (BIP152: a short-id collision looks the same)",
  },
  INVALID_COMPACT_BLOCK: {
    persistent: 100,
    transient: 0,
    instantBan: true,
    disconnect: true,
    why:
      "Core net_processing.cpp: a malformed compact block (READ_STATUS_INVALID: 'invalid compact block', a blocktxn that does not match our getblocktxn) or a getblocktxn with out-of-bounds indexes. A rebuild that fails or does not match the merkle root is not this: BIP152 says fetch the full block and score no one",
  },
});

/**
 * Peer faults by error code: the one place where an error becomes an offence. A code that is not
 * here is ours — a pool or worker failure (ERR_POOL_*), WASM (ERR_WASM), an internal error, a full
 * queue — and never costs the peer ban score.
 */
export const ERROR_OFFENCES: Readonly<Partial<Record<ErrorCode, OffenceId>>> = Object.freeze({
  ERR_FRAME_BAD_MAGIC: 'WRONG_MAGIC',
  ERR_FRAME_OVERSIZE: 'OVERSIZE',
  ERR_FRAME_COMMAND_OVERSIZE: 'OVERSIZE',
  ERR_FRAME_BAD_CHECKSUM: 'BAD_CHECKSUM',
  ERR_FRAME_BAD_COMMAND: 'MALFORMED_PAYLOAD',
  ERR_PAYLOAD_TRUNCATED: 'MALFORMED_PAYLOAD',
  ERR_PAYLOAD_TRAILING_BYTES: 'MALFORMED_PAYLOAD',
  ERR_PAYLOAD_NON_MINIMAL_VARINT: 'MALFORMED_PAYLOAD',
  ERR_PAYLOAD_COUNT_TOO_LARGE: 'MALFORMED_PAYLOAD',
  ERR_PAYLOAD_FIELD_TOO_LARGE: 'MALFORMED_PAYLOAD',
  ERR_PAYLOAD_INVALID: 'MALFORMED_PAYLOAD',
});

/** The offence a peer committed by sending what raised `code`, or null when the fault is ours. */
export function offenceForError(code: string): OffenceId | null {
  return (ERROR_OFFENCES as Record<string, OffenceId | undefined>)[code] ?? null;
}

/**
 * The points for `count` occurrences (items, for per-item rows; default 1). Count 0 scores
 * nothing and never disconnects: an empty message is never an offence.
 */
export function scoreOffence(id: OffenceId, count = 1): OffenceScore {
  const rule = OFFENCES[id];
  if (!(count > 0)) return { persistent: 0, transient: 0, instantBan: false, disconnect: false };
  const scale = (points: number): number =>
    rule.per === undefined ? points : Math.floor((points * Math.floor(count)) / rule.per);
  return {
    persistent: scale(rule.persistent),
    transient: scale(rule.transient),
    instantBan: rule.instantBan === true,
    disconnect: rule.disconnect === true || rule.instantBan === true,
  };
}

export type Verdict = 'ok' | 'warn' | 'ban';

/**
 * btcd addBanScore: warn above half the threshold (integer half, as btcd's `>> 1`), ban strictly
 * above the threshold (a score of exactly 100 is not banned at threshold 100).
 */
export function decide(score: number, threshold: number = DEFAULT_BAN_THRESHOLD): Verdict {
  if (score > threshold) return 'ban';
  if (score > Math.floor(threshold / 2)) return 'warn';
  return 'ok';
}

/** The verdict after an offence: an instant-ban offence bans whatever the score. */
export function decideOffence(id: OffenceId, scoreAfter: number, threshold: number = DEFAULT_BAN_THRESHOLD): Verdict {
  return OFFENCES[id].instantBan === true ? 'ban' : decide(scoreAfter, threshold);
}
