import { WireError } from '../errors.js';
import { commandId, MAX_PAYLOAD, type Command } from './constants.js';
import { decodeAddr, encodeAddr, type AddrMessage } from './messages/addr.js';
import { decodeAddrV2, encodeAddrV2, type AddrV2Message } from './messages/addrv2.js';
import { decodeBlock, encodeBlock, type BlockMessage } from './messages/block.js';
import { decodeFeeFilter, encodeFeeFilter, type FeeFilterMessage } from './messages/feefilter.js';
import { decodeGetAddr, encodeGetAddr, type GetAddrMessage } from './messages/getaddr.js';
import { decodeGetBlocks, encodeGetBlocks, type GetBlocksMessage } from './messages/getblocks.js';
import { decodeGetData, encodeGetData, type GetDataMessage } from './messages/getdata.js';
import { decodeGetHeaders, encodeGetHeaders, type GetHeadersMessage } from './messages/getheaders.js';
import { decodeHeaders, encodeHeaders, type HeadersMessage } from './messages/headers.js';
import { decodeInv, encodeInv, type InvMessage } from './messages/inv.js';
import { decodeMempool, encodeMempool, type MempoolMessage } from './messages/mempool.js';
import { decodeNotFound, encodeNotFound, type NotFoundMessage } from './messages/notfound.js';
import { decodePing, encodePing, type PingMessage } from './messages/ping.js';
import { decodePong, encodePong, type PongMessage } from './messages/pong.js';
import { decodeReject, encodeReject, type RejectMessage } from './messages/reject.js';
import { decodeSendAddrV2, encodeSendAddrV2, type SendAddrV2Message } from './messages/sendaddrv2.js';
import { decodeSendHeaders, encodeSendHeaders, type SendHeadersMessage } from './messages/sendheaders.js';
import { decodeTx, encodeTx, type TxMessage } from './messages/tx.js';
import { decodeVerack, encodeVerack, type VerackMessage } from './messages/verack.js';
import { decodeVersion, encodeVersion, type VersionMessage } from './messages/version.js';
import { decodeSendCmpct, encodeSendCmpct, type SendCmpctMessage } from './messages/sendcmpct.js';
import { decodeCmpctBlock, encodeCmpctBlock, type CmpctBlockMessage } from './messages/cmpctblock.js';
import { decodeGetBlockTxn, encodeGetBlockTxn, type GetBlockTxnMessage } from './messages/getblocktxn.js';
import { decodeBlockTxn, encodeBlockTxn, type BlockTxnMessage } from './messages/blocktxn.js';
import { decodeWtxidRelay, encodeWtxidRelay, type WtxidRelayMessage } from './messages/wtxidrelay.js';

/** Every message wirerelay understands, discriminated on `command` (the wire command name). */
export type Message =
  | VersionMessage
  | VerackMessage
  | PingMessage
  | PongMessage
  | GetAddrMessage
  | AddrMessage
  | AddrV2Message
  | SendAddrV2Message
  | InvMessage
  | GetDataMessage
  | NotFoundMessage
  | TxMessage
  | BlockMessage
  | HeadersMessage
  | GetHeadersMessage
  | GetBlocksMessage
  | SendHeadersMessage
  | FeeFilterMessage
  | RejectMessage
  | WtxidRelayMessage
  | MempoolMessage
  | SendCmpctMessage
  | CmpctBlockMessage
  | GetBlockTxnMessage
  | BlockTxnMessage;

/** The message type of one command. */
export type MessageOf<C extends Command> = Extract<Message, { command: C }>;

/** A command we do not know: kept whole so it can be logged or forwarded untouched. */
export interface UnknownMessage {
  readonly command: 'unknown';
  /** The command name as it was on the wire (NULs stripped). */
  readonly name: string;
  readonly payload: Uint8Array;
}

export type AnyMessage = Message | UnknownMessage;

/**
 * Decodes the payload of a known command at protocol version pver. Throws WireError only (codes
 * ERR_PAYLOAD_*); any other exception is a bug. The result may share memory with payload.
 */
export function decodePayload<C extends Command>(command: C, payload: Uint8Array, pver: number): MessageOf<C>;
export function decodePayload(command: Command, payload: Uint8Array, pver: number): Message {
  // The framer checks this already; repeating it keeps direct callers (tests, inspect) honest.
  const cap = MAX_PAYLOAD[command];
  if (payload.length > cap) {
    throw new WireError('ERR_PAYLOAD_FIELD_TOO_LARGE', `${command}: payload of ${payload.length} bytes exceeds ${cap}`, {
      field: command,
      offset: 0,
      length: payload.length,
      max: cap,
    });
  }
  switch (command) {
    case 'version':
      return decodeVersion(payload, pver);
    case 'verack':
      return decodeVerack(payload);
    case 'ping':
      return decodePing(payload, pver);
    case 'pong':
      return decodePong(payload, pver);
    case 'getaddr':
      return decodeGetAddr(payload);
    case 'addr':
      return decodeAddr(payload, pver);
    case 'addrv2':
      return decodeAddrV2(payload);
    case 'sendaddrv2':
      return decodeSendAddrV2(payload);
    case 'inv':
      return decodeInv(payload);
    case 'getdata':
      return decodeGetData(payload);
    case 'notfound':
      return decodeNotFound(payload);
    case 'tx':
      return decodeTx(payload);
    case 'block':
      return decodeBlock(payload);
    case 'headers':
      return decodeHeaders(payload);
    case 'getheaders':
      return decodeGetHeaders(payload);
    case 'getblocks':
      return decodeGetBlocks(payload);
    case 'sendheaders':
      return decodeSendHeaders(payload);
    case 'feefilter':
      return decodeFeeFilter(payload);
    case 'reject':
      return decodeReject(payload);
    case 'wtxidrelay':
      return decodeWtxidRelay(payload);
    case 'mempool':
      return decodeMempool(payload);
    case 'sendcmpct':
      return decodeSendCmpct(payload);
    case 'cmpctblock':
      return decodeCmpctBlock(payload);
    case 'getblocktxn':
      return decodeGetBlockTxn(payload);
    case 'blocktxn':
      return decodeBlockTxn(payload);
    default:
      return unreachable(command);
  }
}

/**
 * Encodes a message's payload at protocol version pver. Values that do not fit their field, or
 * counts over the message's limit, are caller bugs: RangeError. An UnknownMessage is returned as
 * its payload.
 */
export function encodePayload(msg: AnyMessage, pver: number): Uint8Array {
  switch (msg.command) {
    case 'version':
      return encodeVersion(msg, pver);
    case 'verack':
      return encodeVerack(msg);
    case 'ping':
      return encodePing(msg, pver);
    case 'pong':
      return encodePong(msg, pver);
    case 'getaddr':
      return encodeGetAddr(msg);
    case 'addr':
      return encodeAddr(msg, pver);
    case 'addrv2':
      return encodeAddrV2(msg);
    case 'sendaddrv2':
      return encodeSendAddrV2(msg);
    case 'inv':
      return encodeInv(msg);
    case 'getdata':
      return encodeGetData(msg);
    case 'notfound':
      return encodeNotFound(msg);
    case 'tx':
      return encodeTx(msg);
    case 'block':
      return encodeBlock(msg);
    case 'headers':
      return encodeHeaders(msg);
    case 'getheaders':
      return encodeGetHeaders(msg);
    case 'getblocks':
      return encodeGetBlocks(msg);
    case 'sendheaders':
      return encodeSendHeaders(msg);
    case 'feefilter':
      return encodeFeeFilter(msg);
    case 'reject':
      return encodeReject(msg);
    case 'wtxidrelay':
      return encodeWtxidRelay(msg);
    case 'mempool':
      return encodeMempool(msg);
    case 'sendcmpct':
      return encodeSendCmpct(msg);
    case 'cmpctblock':
      return encodeCmpctBlock(msg);
    case 'getblocktxn':
      return encodeGetBlockTxn(msg);
    case 'blocktxn':
      return encodeBlockTxn(msg);
    case 'unknown':
      return msg.payload;
    default:
      return unreachable(msg);
  }
}

/**
 * Decodes by wire command name: a known name goes to decodePayload, anything else becomes an
 * UnknownMessage (btcd ErrUnknownMessage: ignored, never scored).
 */
export function decodeMessage(name: string, payload: Uint8Array, pver: number): AnyMessage {
  if (commandId(name) === 0) return { command: 'unknown', name, payload };
  return decodePayload(name as Command, payload, pver);
}

function unreachable(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}
