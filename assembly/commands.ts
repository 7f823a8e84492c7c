// Command table: ids are 1-based in the order of COMMANDS in src/wire/constants.ts, and the caps
// are MAX_PAYLOAD from the same file (docs/wasm-abi.md). 0 = unknown command.

/** Number of known commands; ids run 1..COMMAND_COUNT. */
export const COMMAND_COUNT: u32 = 25;

// Per-command payload caps indexed by id (index 0 = unknown: only the global cap applies).
// btcd wire MaxPayloadLength at pver 70016.
const CAPS: usize = memory.data<u32>([
  4_000_000, // 0 unknown: global cap
  358, // 1 version: 33 + 2 × 30 + 9 + MaxUserAgentLen 256
  0, // 2 verack
  8, // 3 ping: nonce (BIP31)
  8, // 4 pong
  0, // 5 getaddr
  30_009, // 6 addr: 9 + 1000 × 30
  531_003, // 7 addrv2: 3 + 1000 × 531
  0, // 8 sendaddrv2
  1_800_009, // 9 inv: 9 + 50 000 × 36
  1_800_009, // 10 getdata
  1_800_009, // 11 notfound
  4_000_000, // 12 tx: MaxBlockPayload
  4_000_000, // 13 block
  162_009, // 14 headers: 9 + 2000 × 81
  16_045, // 15 getheaders: 4 + 9 + 500 × 32 + 32
  16_045, // 16 getblocks
  0, // 17 sendheaders
  8, // 18 feefilter
  4_000_000, // 19 reject
  0, // 20 wtxidrelay
  0, // 21 mempool
  9, // 22 sendcmpct (BIP152)
  4_000_000, // 23 cmpctblock
  196_645, // 24 getblocktxn: 32 + 5 + 65,536 × 3
  4_000_000, // 25 blocktxn
]);

/** Payload cap of a command id (0 → the global cap). */
// @ts-ignore: decorator
@inline export function commandCap(id: u32): u32 {
  return load<u32>(CAPS + (<usize>id << 2));
}

// Open-addressing hash table keyed by the 12 command bytes (as a u64 and a u32), 64 slots of
// 16 bytes (lo u64, hi u32, id u32). 21 keys in 64 slots keeps probes near 1 per lookup, which
// beats a linear scan of the names on every frame.
const TABLE_SLOTS: u32 = 64;
const TABLE: usize = memory.data(<i32>TABLE_SLOTS * 16, 16);

// @ts-ignore: decorator
@inline function slotOf(lo: u64, hi: u32): u32 {
  const mixed = (lo ^ (<u64>hi * 0x9e3779b97f4a7c15)) * 0xff51afd7ed558ccd;
  return <u32>(mixed >>> 58);
}

function register(id: u32, name: string): void {
  let lo: u64 = 0;
  let hi: u32 = 0;
  for (let i = 0; i < name.length; i++) {
    const c = <u64>name.charCodeAt(i);
    if (i < 8) lo |= c << (<u64>i << 3);
    else hi |= <u32>c << (<u32>(i - 8) << 3);
  }
  let slot = slotOf(lo, hi);
  while (load<u32>(TABLE + (<usize>slot << 4), 12) != 0) slot = (slot + 1) & (TABLE_SLOTS - 1);
  const p = TABLE + (<usize>slot << 4);
  store<u64>(p, lo);
  store<u32>(p, hi, 8);
  store<u32>(p, id, 12);
}

/**
 * Id of the command whose 12 header bytes are `lo` (bytes 0..7, little-endian) and `hi`
 * (bytes 8..11); 0 when unknown. The caller has already checked the bytes are well formed.
 */
export function lookupCommand(lo: u64, hi: u32): u32 {
  let slot = slotOf(lo, hi);
  while (true) {
    const p = TABLE + (<usize>slot << 4);
    const id = load<u32>(p, 12);
    if (id == 0) return 0;
    if (load<u64>(p) == lo && load<u32>(p, 8) == hi) return id;
    slot = (slot + 1) & (TABLE_SLOTS - 1);
  }
  return 0;
}

// Order is the ABI: it must match COMMANDS in src/wire/constants.ts.
register(1, 'version');
register(2, 'verack');
register(3, 'ping');
register(4, 'pong');
register(5, 'getaddr');
register(6, 'addr');
register(7, 'addrv2');
register(8, 'sendaddrv2');
register(9, 'inv');
register(10, 'getdata');
register(11, 'notfound');
register(12, 'tx');
register(13, 'block');
register(14, 'headers');
register(15, 'getheaders');
register(16, 'getblocks');
register(17, 'sendheaders');
register(18, 'feefilter');
register(19, 'reject');
register(20, 'wtxidrelay');
register(21, 'mempool');
register(22, 'sendcmpct');
register(23, 'cmpctblock');
register(24, 'getblocktxn');
register(25, 'blocktxn');
