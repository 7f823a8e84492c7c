import { BIP0037_VERSION, MAX_USER_AGENT_LEN, PROTOCOL_VERSION } from '../constants.js';
import { NET_ADDRESS_SIZE, readNetAddress, writeNetAddress, type NetAddress } from '../net-address.js';
import { WireReader } from '../reader.js';
import { utf8Bytes, varBytesLen, WireWriter } from '../writer.js';

/**
 * version. Fields after addrRecv are optional on the wire: each is read only if bytes remain (btcd
 * MsgVersion.BtcDecode), so an absent field is `undefined` here and a later field cannot be present
 * without the earlier ones. A partly present field is ERR_PAYLOAD_TRUNCATED.
 */
export interface VersionMessage {
  readonly command: 'version';
  /** The sender's protocol version, i32. */
  readonly protocolVersion: number;
  readonly services: bigint;
  /** Unix seconds, i64. */
  readonly timestamp: bigint;
  readonly addrRecv: NetAddress;
  readonly addrFrom?: NetAddress;
  readonly nonce?: bigint;
  /** ≤ 256 UTF-8 bytes (btcd MaxUserAgentLen). */
  readonly userAgent?: string;
  /** i32. */
  readonly startHeight?: number;
  /**
   * BIP37 relay flag: read only when the pver given to the codec is ≥ 70001 (at lower pver a byte
   * there is trailing). Strictly 0 or 1, see WireReader.bool.
   */
  readonly relay?: boolean;
}

const UNSPECIFIED_ADDRESS: NetAddress = Object.freeze({ services: 0n, ip: new Uint8Array(16), port: 0 });

/**
 * The version message we send: our protocol version, no services but NODE_P2P_V2 (a relay serves no blocks),
 * unspecified addresses (Core ignores them), and every optional field present.
 */
export function newVersionMessage(opts: {
  nonce: bigint;
  userAgent: string;
  timestampSec: number;
  startHeight?: number;
  relay?: boolean;
  /** Service bits (default none; NODE_P2P_V2 when we speak BIP324). */
  services?: bigint;
}): VersionMessage {
  return {
    command: 'version',
    protocolVersion: PROTOCOL_VERSION,
    services: opts.services ?? 0n,
    timestamp: BigInt(opts.timestampSec),
    addrRecv: UNSPECIFIED_ADDRESS,
    addrFrom: UNSPECIFIED_ADDRESS,
    nonce: opts.nonce,
    userAgent: opts.userAgent,
    startHeight: opts.startHeight ?? 0,
    relay: opts.relay ?? true,
  };
}

const FIXED_SIZE = 4 + 8 + 8 + NET_ADDRESS_SIZE;

export function decodeVersion(payload: Uint8Array, pver: number): VersionMessage {
  const r = new WireReader(payload);
  const protocolVersion = r.i32le('version.protocolVersion');
  const services = r.u64le('version.services');
  const timestamp = r.i64le('version.timestamp');
  const addrRecv = readNetAddress(r);
  const msg: { -readonly [K in keyof VersionMessage]: VersionMessage[K] } = {
    command: 'version',
    protocolVersion,
    services,
    timestamp,
    addrRecv,
  };
  // Absent fields stay absent (not present-with-undefined) so a decoded message equals the one
  // that was encoded.
  if (r.remaining > 0) msg.addrFrom = readNetAddress(r);
  if (r.remaining > 0) msg.nonce = r.u64le('version.nonce');
  if (r.remaining > 0) msg.userAgent = r.varStr(MAX_USER_AGENT_LEN, 'version.userAgent');
  if (r.remaining > 0) msg.startHeight = r.i32le('version.startHeight');
  if (r.remaining > 0 && pver >= BIP0037_VERSION) msg.relay = r.bool('version.relay');
  r.finish('version');
  return msg;
}

const OPTIONAL_ORDER = ['addrFrom', 'nonce', 'userAgent', 'startHeight', 'relay'] as const;

export function encodeVersion(msg: VersionMessage, pver: number): Uint8Array {
  // A field after a missing one cannot be expressed on the wire.
  let missing: string | undefined;
  for (const key of OPTIONAL_ORDER) {
    if (msg[key] === undefined) missing ??= key;
    else if (missing !== undefined) throw new RangeError(`version.${key} is set but version.${missing} is not`);
  }
  if (msg.relay !== undefined && pver < BIP0037_VERSION) {
    throw new RangeError(`version.relay cannot be sent at pver ${pver} (< ${BIP0037_VERSION})`);
  }
  const ua = msg.userAgent === undefined ? undefined : utf8Bytes(msg.userAgent);
  if (ua !== undefined && ua.length > MAX_USER_AGENT_LEN) {
    throw new RangeError(`version.userAgent is ${ua.length} bytes, max ${MAX_USER_AGENT_LEN}`);
  }
  const size =
    FIXED_SIZE +
    (msg.addrFrom !== undefined ? NET_ADDRESS_SIZE : 0) +
    (msg.nonce !== undefined ? 8 : 0) +
    (ua !== undefined ? varBytesLen(ua.length) : 0) +
    (msg.startHeight !== undefined ? 4 : 0) +
    (msg.relay !== undefined ? 1 : 0);
  const w = new WireWriter(size);
  w.i32le(msg.protocolVersion, 'version.protocolVersion');
  w.u64le(msg.services, 'version.services');
  w.i64le(msg.timestamp, 'version.timestamp');
  writeNetAddress(w, msg.addrRecv);
  if (msg.addrFrom !== undefined) writeNetAddress(w, msg.addrFrom);
  if (msg.nonce !== undefined) w.u64le(msg.nonce, 'version.nonce');
  if (ua !== undefined) w.varBytes(ua);
  if (msg.startHeight !== undefined) w.i32le(msg.startHeight, 'version.startHeight');
  if (msg.relay !== undefined) w.bool(msg.relay);
  return w.finish();
}
