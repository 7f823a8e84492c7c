/**
 * Wire constants shared by the TypeScript side and mirrored in assembly/commands.ts.
 * Sources: btcd wire/protocol.go, wire/message.go, wire/msg*.go (see docs/protocol.md).
 */

/** 4 magic + 12 command + 4 length + 4 checksum. */
export const HEADER_SIZE = 24;
export const COMMAND_SIZE = 12;

/**
 * Global cap on a header's payload length, checked before anything is allocated or waited for.
 * btcd MaxProtocolMessageLength (2026-03); a header claiming more is a desynced stream or an attack.
 */
export const MAX_PROTOCOL_MESSAGE_LENGTH = 4_000_000;

/** Protocol versions (btcd wire/protocol.go, Bitcoin Core protocol_version.h). */
export const PROTOCOL_VERSION = 70016;

/** Service bit of peers that serve witness data (BIP144). */
export const NODE_WITNESS = 1n << 3n;
/** Service bit of peers that speak the BIP324 v2 transport (BIP324 "Signaling v2 support"). */
export const NODE_P2P_V2 = 1n << 11n;
export const MIN_PEER_PROTOCOL_VERSION = 209;
export const MULTIPLE_ADDRESS_VERSION = 209;
export const NET_ADDRESS_TIME_VERSION = 31402;
export const BIP0031_VERSION = 60000;
export const BIP0037_VERSION = 70001;
export const REJECT_VERSION = 70002;
export const SENDHEADERS_VERSION = 70012;
export const FEEFILTER_VERSION = 70013;
export const ADDRV2_VERSION = 70016;

export type NetworkName = 'mainnet' | 'testnet3' | 'testnet4' | 'regtest' | 'signet' | 'simnet';

export interface NetworkParams {
  readonly name: NetworkName;
  /** The magic as a u32 value; on the wire it is written little-endian. */
  readonly magic: number;
  readonly defaultPort: number;
}

/** Network magics, btcd wire/protocol.go (regtest is btcd's "TestNet"). */
export const NETWORKS: Readonly<Record<NetworkName, NetworkParams>> = Object.freeze({
  mainnet: { name: 'mainnet', magic: 0xd9b4bef9, defaultPort: 8333 },
  testnet3: { name: 'testnet3', magic: 0x0709110b, defaultPort: 18333 },
  testnet4: { name: 'testnet4', magic: 0x283f161c, defaultPort: 48333 },
  regtest: { name: 'regtest', magic: 0xdab5bffa, defaultPort: 18444 },
  signet: { name: 'signet', magic: 0x40cf030a, defaultPort: 38333 },
  simnet: { name: 'simnet', magic: 0x12141c16, defaultPort: 18555 },
});

export function networkByName(name: string): NetworkParams {
  const params = (NETWORKS as Record<string, NetworkParams | undefined>)[name];
  if (params === undefined) {
    throw new TypeError(`unknown network "${name}" (expected one of ${Object.keys(NETWORKS).join(', ')})`);
  }
  return params;
}

/**
 * Known commands. The numeric id is the one the WASM scanner reports; the order is part of
 * the WASM ABI (docs/wasm-abi.md) and must match assembly/commands.ts. Id 0 = unknown command.
 */
export const COMMANDS = [
  'version',
  'verack',
  'ping',
  'pong',
  'getaddr',
  'addr',
  'addrv2',
  'sendaddrv2',
  'inv',
  'getdata',
  'notfound',
  'tx',
  'block',
  'headers',
  'getheaders',
  'getblocks',
  'sendheaders',
  'feefilter',
  'reject',
  'wtxidrelay',
  'mempool',
  'sendcmpct',
  'cmpctblock',
  'getblocktxn',
  'blocktxn',
] as const;

export type Command = (typeof COMMANDS)[number];

export const UNKNOWN_COMMAND_ID = 0;

const COMMAND_IDS: ReadonlyMap<string, number> = new Map(COMMANDS.map((c, i) => [c, i + 1]));

/** Id of a command name, or 0 when wirerelay does not know it. */
export function commandId(name: string): number {
  return COMMAND_IDS.get(name) ?? UNKNOWN_COMMAND_ID;
}

/** Name of a known command id; undefined for 0 or out of range. */
export function commandName(id: number): Command | undefined {
  return id >= 1 && id <= COMMANDS.length ? COMMANDS[id - 1] : undefined;
}

/** The command field of the header at `offset`, trailing NULs stripped, non-ASCII escaped. */
export function readCommand(bytes: Uint8Array, offset: number): string {
  let s = '';
  for (let i = 0; i < COMMAND_SIZE; i++) {
    const b = bytes[offset + 4 + i];
    if (b === undefined || b === 0) break;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/**
 * Per-command payload caps at protocol version 70016 (btcd wire MaxPayloadLength).
 * A header over its command's cap is rejected before the payload is waited for.
 */
export const MAX_PAYLOAD: Readonly<Record<Command, number>> = Object.freeze({
  version: 358, // btcd: 33 + 2 × 30 + 9 + MaxUserAgentLen 256
  verack: 0,
  ping: 8, // nonce only for pver > 60000 (BIP31); 0 bytes before
  pong: 8,
  getaddr: 0,
  addr: 30_009, // 9 + 1000 × 30
  addrv2: 531_003, // 3 + 1000 × 531
  sendaddrv2: 0,
  inv: 1_800_009, // 9 + 50 000 × 36
  getdata: 1_800_009,
  notfound: 1_800_009,
  tx: 4_000_000, // MaxBlockPayload
  block: 4_000_000,
  headers: 162_009, // 9 + 2000 × (80 + 1)
  getheaders: 16_045, // 4 + 9 + 500 × 32 + 32
  getblocks: 16_045,
  sendheaders: 0,
  feefilter: 8,
  reject: 4_000_000,
  wtxidrelay: 0,
  mempool: 0,
  sendcmpct: 9, // BIP152: announce flag + version
  cmpctblock: 4_000_000, // MaxBlockPayload
  getblocktxn: 196_645, // 32 + 5 + 65,536 × 3: at most 65,536 distinct 16-bit indexes (BIP152)
  blocktxn: 4_000_000,
});

/** Inventory vector types (btcd wire/invvect.go). */
export const InvType = Object.freeze({
  Error: 0,
  Tx: 1,
  Block: 2,
  FilteredBlock: 3,
  /** MSG_WTX (BIP339): a transaction announced or requested by wtxid. */
  WitnessTxId: 5,
  WitnessTx: 0x40000001,
  WitnessBlock: 0x40000002,
  FilteredWitnessBlock: 0x40000003,
});
export const INV_WITNESS_FLAG = 1 << 30;

/** Service bits (btcd wire/protocol.go). */
export const Services = Object.freeze({
  Network: 1n,
  GetUtxo: 2n,
  Bloom: 4n,
  Witness: 8n,
  CompactFilters: 64n,
  NetworkLimited: 1024n,
  P2PV2: 2048n,
});

/** Reject codes (btcd wire/msgreject.go). */
export const RejectCode = Object.freeze({
  Malformed: 0x01,
  Invalid: 0x10,
  Obsolete: 0x11,
  Duplicate: 0x12,
  Nonstandard: 0x40,
  Dust: 0x41,
  InsufficientFee: 0x42,
  Checkpoint: 0x43,
});

/** Item limits per message (btcd). */
export const MAX_INV_PER_MSG = 50_000;
export const MAX_ADDR_PER_MSG = 1_000;
export const MAX_BLOCK_HEADERS_PER_MSG = 2_000;
export const MAX_BLOCK_LOCATORS_PER_MSG = 500;
export const MAX_USER_AGENT_LEN = 256;
export const MAX_VAR_STR_LEN = 33_554_432; // MaxMessagePayload, a serialization bound
export const MAX_ADDRV2_ADDR_LEN = 512;
