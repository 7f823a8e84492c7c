import { addrV2NetworkName, addrV2ToText } from './addrv2.js';
import { encodeBlockHeader, type BlockHeader } from './block-header.js';
import type { AnyMessage } from './codec.js';
import { RejectCode } from './constants.js';
import type { Hash256 } from './hash.js';
import { bytesToHex, hashToHex } from './hex.js';
import { invTypeName } from './inv-vect.js';
import { formatHostPort } from '../util/host-port.js';
import { ipToText, type NetAddress } from './net-address.js';
import { blockHash, txIds } from './tx-id.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/*
 * JSON view of a message for `wirerelay inspect` and logs. Conventions (docs/messages.md):
 * hashes in display order (reversed hex), other bytes as wire-order hex, 64-bit integers as
 * decimal strings (JSON numbers lose precision above 2^53), addresses as HOST:PORT.
 * Not for the hot path: it hashes and builds strings.
 */

const REJECT_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RejectCode).map(([name, code]) => [code, name.toLowerCase()]),
);

function netAddressJson(a: NetAddress): JsonObject {
  return { services: a.services.toString(), address: formatHostPort({ host: ipToText(a.ip), port: a.port }) };
}

function headerJson(h: BlockHeader, hash256: Hash256): JsonObject {
  return {
    hash: hashToHex(blockHash(encodeBlockHeader(h), hash256)),
    version: h.version,
    prevBlock: hashToHex(h.prevBlock),
    merkleRoot: hashToHex(h.merkleRoot),
    timestamp: h.timestamp,
    bits: h.bits.toString(16).padStart(8, '0'),
    nonce: h.nonce,
  };
}

export function messageToJson(msg: AnyMessage, hash256: Hash256): JsonObject {
  switch (msg.command) {
    case 'version': {
      const out: JsonObject = {
        command: msg.command,
        protocolVersion: msg.protocolVersion,
        services: msg.services.toString(),
        timestamp: msg.timestamp.toString(),
        addrRecv: netAddressJson(msg.addrRecv),
      };
      if (msg.addrFrom !== undefined) out.addrFrom = netAddressJson(msg.addrFrom);
      if (msg.nonce !== undefined) out.nonce = msg.nonce.toString();
      if (msg.userAgent !== undefined) out.userAgent = msg.userAgent;
      if (msg.startHeight !== undefined) out.startHeight = msg.startHeight;
      if (msg.relay !== undefined) out.relay = msg.relay;
      return out;
    }
    case 'ping':
    case 'pong':
      return { command: msg.command, nonce: msg.nonce.toString() };
    case 'addr':
      return {
        command: msg.command,
        addresses: msg.addresses.map((a) => ({ timestamp: a.timestamp, ...netAddressJson(a) })),
      };
    case 'addrv2':
      return {
        command: msg.command,
        addresses: msg.addresses.map((e) => ({
          timestamp: e.timestamp,
          services: e.services.toString(),
          network: addrV2NetworkName(e.networkId),
          networkId: e.networkId,
          address: addrV2ToText(e),
        })),
      };
    case 'inv':
    case 'getdata':
    case 'notfound':
      return {
        command: msg.command,
        inventory: msg.inventory.map((iv) => ({ type: iv.type, typeName: invTypeName(iv.type), hash: hashToHex(iv.hash) })),
      };
    case 'tx': {
      const ids = txIds(msg.raw, hash256);
      return {
        command: msg.command,
        txid: hashToHex(ids.txid),
        wtxid: hashToHex(ids.wtxid),
        size: msg.raw.length,
        hasWitness: ids.hasWitness,
      };
    }
    case 'block':
      return {
        command: msg.command,
        ...headerJson(msg.header, hash256),
        txCount: msg.txCount,
        size: msg.raw.length,
      };
    case 'headers':
      return { command: msg.command, headers: msg.headers.map((h) => headerJson(h, hash256)) };
    case 'getheaders':
    case 'getblocks':
      return {
        command: msg.command,
        protocolVersion: msg.protocolVersion,
        locator: msg.locator.map(hashToHex),
        hashStop: hashToHex(msg.hashStop),
      };
    case 'feefilter':
      return { command: msg.command, minFee: msg.minFee.toString() };
    case 'reject': {
      const out: JsonObject = {
        command: msg.command,
        message: msg.message,
        code: msg.code,
        codeName: REJECT_NAMES.get(msg.code) ?? 'unknown',
        reason: msg.reason,
      };
      if (msg.hash !== undefined) out.hash = hashToHex(msg.hash);
      return out;
    }
    case 'sendcmpct':
      return { command: msg.command, announce: msg.announce, version: msg.version.toString() };
    case 'cmpctblock':
      return {
        command: msg.command,
        hash: hashToHex(hash256(msg.header)),
        nonce: msg.nonce.toString(),
        shortIds: msg.shortIds.length / 6,
        prefilled: msg.prefilled.map((p) => ({ index: p.index, size: p.tx.length })),
      };
    case 'getblocktxn':
      return { command: msg.command, blockHash: hashToHex(msg.blockHash), indexes: [...msg.indexes] };
    case 'blocktxn':
      return { command: msg.command, blockHash: hashToHex(msg.blockHash), txs: msg.txs.length, size: msg.txs.reduce((a, t) => a + t.length, 0) };
    case 'unknown':
      return { command: msg.command, name: msg.name, size: msg.payload.length, payload: bytesToHex(msg.payload) };
    case 'verack':
    case 'getaddr':
    case 'sendaddrv2':
    case 'sendheaders':
    case 'wtxidrelay':
    case 'mempool':
      return { command: msg.command };
  }
}
