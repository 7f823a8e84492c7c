/**
 * BIP324 message types: a 1-byte id (the BIP's table, ids 1–28, plus the ids assigned later in
 * its message_type_ids.md, 29–37), or 0 followed by the 12-byte v1 command (NUL padded).
 */
import { COMMAND_SIZE, readCommand } from './constants.js';

/** Index = id; '' for 0 (long form follows). */
const SHORT_IDS: readonly string[] = [
  '', 'addr', 'block', 'blocktxn', 'cmpctblock', 'feefilter', 'filteradd', 'filterclear', 'filterload',
  'getblocks', 'getblocktxn', 'getdata', 'getheaders', 'headers', 'inv', 'mempool', 'merkleblock',
  'notfound', 'ping', 'pong', 'sendcmpct', 'tx', 'getcfilters', 'cfilter', 'getcfheaders', 'cfheaders',
  'getcfcheckpt', 'cfcheckpt', 'addrv2',
  // bip-0324/message_type_ids.md (BIP 183, BIP 434)
  'uproof', 'getuproof', 'uttls', 'getuttls', 'usummary', 'utreexotx', 'uroot', 'geturoot', 'feature',
];

const ID_OF: ReadonlyMap<string, number> = new Map(SHORT_IDS.map((c, i) => [c, i]).filter(([, i]) => i !== 0) as [string, number][]);

export const LONG_TYPE_BYTES = 13;

/** The short id of a command, or 0 when it has none (sent in the 13-byte form). */
export function shortId(command: string): number {
  return ID_OF.get(command) ?? 0;
}

/** Command of a short id 1..255; undefined for ids no BIP assigns. */
export function commandOfId(id: number): string | undefined {
  return id >= 1 && id < SHORT_IDS.length ? SHORT_IDS[id] : undefined;
}

const TYPE_CACHE_MAX = 256;
const typeCache = new Map<string, Uint8Array>();

function badCommand(command: string): TypeError {
  return new TypeError(`command must be 1–12 printable ASCII characters, got ${JSON.stringify(command)}`);
}

/**
 * The message-type bytes that start a packet's contents: the short id when the command has one,
 * else 0 and the 12-byte command (NUL padded). Throws TypeError for a command we could never send.
 */
export function messageType(command: string): Uint8Array {
  let type = typeCache.get(command);
  if (type !== undefined) return type;
  const id = shortId(command);
  if (id !== 0) type = Uint8Array.of(id);
  else {
    if (!/^[\x20-\x7e]{1,12}$/.test(command)) throw badCommand(command);
    type = new Uint8Array(LONG_TYPE_BYTES);
    for (let i = 0; i < command.length; i++) type[1 + i] = command.charCodeAt(i);
  }
  if (typeCache.size < TYPE_CACHE_MAX) typeCache.set(command, type);
  return type;
}

/** A frame command field seen before: its three little-endian words and its message type. */
interface FrameType {
  w0: number;
  w1: number;
  w2: number;
  type: Uint8Array;
}

/**
 * Keyed by the XOR of the command field's three words (distinct for every command BIP324 and
 * src/wire/constants.ts name); two fields sharing a key are told apart by the exact compare, and
 * the one not cached takes the slow path every time.
 */
const frameTypeCache = new Map<number, FrameType>();

function word(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/**
 * messageType for the command field (bytes 4..16) of a v1 frame, without decoding a string once
 * the field was seen. The field must be 1–12 printable ASCII characters, then NULs only;
 * anything else throws messageType's TypeError.
 */
export function frameMessageType(frame: Uint8Array): Uint8Array {
  const w0 = word(frame, 4);
  const w1 = word(frame, 8);
  const w2 = word(frame, 12);
  const key = w0 ^ w1 ^ w2;
  const hit = frameTypeCache.get(key);
  if (hit !== undefined && hit.w0 === w0 && hit.w1 === w1 && hit.w2 === w2) return hit.type;
  // 1–12 printable ASCII characters, then NULs only (what messageType accepts, NUL padded).
  let end = 0;
  while (end < COMMAND_SIZE && frame[4 + end]! >= 0x20 && frame[4 + end]! <= 0x7e) end++;
  let pad = end;
  while (pad < COMMAND_SIZE && frame[4 + pad] === 0) pad++;
  const command = readCommand(frame, 0);
  if (end === 0 || pad !== COMMAND_SIZE) throw badCommand(command);
  const type = messageType(command);
  if (hit === undefined && frameTypeCache.size < TYPE_CACHE_MAX) frameTypeCache.set(key, { w0, w1, w2, type });
  return type;
}

/** Contents for `command` + `payload`: the message type, then the payload. */
export function encodeContents(command: string, payload: Uint8Array): Uint8Array {
  const type = messageType(command);
  const out = new Uint8Array(type.length + payload.length);
  out.set(type);
  out.set(payload, type.length);
  return out;
}
