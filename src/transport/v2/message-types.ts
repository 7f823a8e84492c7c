/**
 * BIP324 message types: a 1-byte id (the BIP's table, ids 1–28, plus the ids assigned later in
 * its message_type_ids.md, 29–37), or 0 followed by the 12-byte v1 command (NUL padded).
 */

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

const typeCache = new Map<string, Uint8Array>();

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
    if (!/^[\x20-\x7e]{1,12}$/.test(command)) throw new TypeError(`command must be 1–12 printable ASCII characters, got ${JSON.stringify(command)}`);
    type = new Uint8Array(LONG_TYPE_BYTES);
    for (let i = 0; i < command.length; i++) type[1 + i] = command.charCodeAt(i);
  }
  if (typeCache.size < 256) typeCache.set(command, type);
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
