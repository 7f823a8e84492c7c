/**
 * The stored address table: a versioned JSON object, kept in the node's state log (an `addrTable`
 * change) and validated field by field on load because the log is as untrusted as the disk under
 * it. A table that cannot be used is refused with a typed error; the node then starts with an
 * empty table (src/node/address-gossip.ts), since a bad table must not become a restart loop
 * (Core#26599).
 */
import { StoreError } from '../errors.js';
import { canonicalHostPort } from '../util/host-port.js';
import { overlayKey, parseOverlay } from '../util/overlay.js';

/** A Tor v3, I2P or CJDNS key in its canonical form. */
function isOverlayKey(text: string): boolean {
  const o = parseOverlay(text);
  return o !== null && overlayKey(o.networkId, o.addr, o.port) === text;
}
import { BUCKET_KEY_LENGTH, NEW_BUCKET_COUNT, TRIED_BUCKET_COUNT } from './buckets.js';

/**
 * Version 1. A change to the bucket constants or the bucket hash must bump this: loading old
 * buckets under new rules mis-places every entry (dcrd#1131).
 */
export const ADDR_FILE_VERSION = 1;

/** One address in the file. Times are Unix ms (0 = never); services is a decimal u64. */
export interface AddrFileEntry {
  addr: string;
  src: string;
  services: string;
  timestampMs: number;
  attempts: number;
  lastAttemptMs: number;
  lastSuccessMs: number;
}

/** The whole file. Buckets list address keys; an address's refs count is rebuilt from them. */
export interface AddrFileV1 {
  version: 1;
  /** The 32-byte bucket key, hex. */
  key: string;
  addresses: AddrFileEntry[];
  /** 1,024 arrays of `HOST:PORT`. */
  newBuckets: string[][];
  /** 64 arrays of `HOST:PORT`, in bucket order. */
  triedBuckets: string[][];
}

const U64_MAX = (1n << 64n) - 1n;

function corrupt(message: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError('ERR_STORE_CORRUPT', `address file: ${message}`, details);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function time(v: unknown, field: string, i: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw corrupt(`addresses[${i}].${field} is not a time`);
  return v;
}

function bucketList(v: unknown, count: number, name: string): string[][] {
  if (!Array.isArray(v) || v.length !== count) throw corrupt(`${name} must be an array of ${count} buckets`);
  return v.map((b: unknown, i) => {
    if (!Array.isArray(b) || !b.every((k) => typeof k === 'string')) throw corrupt(`${name}[${i}] is not a list of addresses`);
    return b as string[];
  });
}

/**
 * Checks the shape of a parsed file: types, ranges, canonical addresses, bucket counts.
 * Cross-references (refs, duplicates across tables) are checked by the manager on rebuild.
 * Throws StoreError ERR_STORE_VERSION or ERR_STORE_CORRUPT.
 */
export function parseAddrFile(obj: unknown): AddrFileV1 {
  if (!isRecord(obj)) throw corrupt('not a JSON object');
  if (typeof obj.version !== 'number') throw corrupt('missing version');
  if (obj.version !== ADDR_FILE_VERSION) {
    throw new StoreError('ERR_STORE_VERSION', `address file: unknown version ${obj.version}`, {
      version: obj.version,
      expected: ADDR_FILE_VERSION,
    });
  }
  if (typeof obj.key !== 'string' || !new RegExp(`^[0-9a-f]{${2 * BUCKET_KEY_LENGTH}}$`).test(obj.key)) {
    throw corrupt('key must be 64 lower-case hex digits');
  }
  if (!Array.isArray(obj.addresses)) throw corrupt('addresses must be an array');
  const addresses = obj.addresses.map((a: unknown, i): AddrFileEntry => {
    if (!isRecord(a)) throw corrupt(`addresses[${i}] is not an object`);
    if (typeof a.addr !== 'string' || (canonicalHostPort(a.addr) !== a.addr && !isOverlayKey(a.addr))) {
      throw corrupt(`addresses[${i}].addr is not a canonical HOST:PORT or overlay address`);
    }
    if (typeof a.src !== 'string' || a.src.length === 0 || a.src.length > 300) throw corrupt(`addresses[${i}].src is not an address`);
    if (typeof a.services !== 'string' || !/^[0-9]{1,20}$/.test(a.services) || BigInt(a.services) > U64_MAX) {
      throw corrupt(`addresses[${i}].services is not a u64`);
    }
    if (typeof a.attempts !== 'number' || !Number.isSafeInteger(a.attempts) || a.attempts < 0) {
      throw corrupt(`addresses[${i}].attempts is not a count`);
    }
    return {
      addr: a.addr,
      src: a.src,
      services: a.services,
      timestampMs: time(a.timestampMs, 'timestampMs', i),
      attempts: a.attempts,
      lastAttemptMs: time(a.lastAttemptMs, 'lastAttemptMs', i),
      lastSuccessMs: time(a.lastSuccessMs, 'lastSuccessMs', i),
    };
  });
  return {
    version: ADDR_FILE_VERSION,
    key: obj.key,
    addresses,
    newBuckets: bucketList(obj.newBuckets, NEW_BUCKET_COUNT, 'newBuckets'),
    triedBuckets: bucketList(obj.triedBuckets, TRIED_BUCKET_COUNT, 'triedBuckets'),
  };
}
