/**
 * Bucket geometry and bucket choice of btcd addrmgr (btcd addrmgr/addrmanager.go). The index of an
 * address is a keyed hash of its group and its source's group, so one source group reaches at
 * most 64 of the 1,024 new buckets and one address group at most 8 of the 64 tried buckets:
 * a sybil operator with one /16 fills only its own corner of the table.
 */
import { createHash } from 'node:crypto';

/** New table: buckets × slots. */
export const NEW_BUCKET_COUNT = 1024;
export const NEW_BUCKET_SIZE = 64;
/** Tried table: buckets × slots. */
export const TRIED_BUCKET_COUNT = 64;
export const TRIED_BUCKET_SIZE = 256;
/** How many tried buckets one address group can land in. */
export const TRIED_BUCKETS_PER_GROUP = 8;
/** How many new buckets one source group can place addresses into. */
export const NEW_BUCKETS_PER_GROUP = 64;
/** How many new buckets may reference the same address. */
export const NEW_BUCKETS_PER_ADDRESS = 8;
/** Length of the per-node secret bucket key. */
export const BUCKET_KEY_LENGTH = 32;

/** dSHA256 or a stand-in (tests, or a WASM build); must return at least 8 bytes. */
export type HashFn = (data: Uint8Array) => Uint8Array;

/** SHA256(SHA256(data)), as btcd chainhash.DoubleHashB. */
export const doubleSha256: HashFn = (data) => {
  const first = createHash('sha256').update(data).digest();
  return createHash('sha256').update(first).digest();
};

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function le64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** LE64(h[0:8]) mod m. */
function leMod(h: Uint8Array, m: number): number {
  return Number(Buffer.from(h.buffer, h.byteOffset, 8).readBigUInt64LE(0) % BigInt(m));
}

/**
 * New bucket (§4.2): i = LE64(H(key ‖ group ‖ srcGroup)) mod 64;
 * bucket = LE64(H(key ‖ srcGroup ‖ LE64(i))) mod 1024.
 */
export function newBucketIndex(key: Uint8Array, addrGroup: string, srcGroup: string, hash: HashFn = doubleSha256): number {
  const h1 = hash(Buffer.concat([key, ascii(addrGroup), ascii(srcGroup)]));
  const i = leMod(h1, NEW_BUCKETS_PER_GROUP);
  const h2 = hash(Buffer.concat([key, ascii(srcGroup), le64(i)]));
  return leMod(h2, NEW_BUCKET_COUNT);
}

/**
 * Tried bucket (§4.3): i = LE64(H(key ‖ "ip:port")) mod 8;
 * bucket = LE64(H(key ‖ group ‖ LE64(i))) mod 64.
 */
export function triedBucketIndex(key: Uint8Array, addrKey: string, addrGroup: string, hash: HashFn = doubleSha256): number {
  const h1 = hash(Buffer.concat([key, ascii(addrKey)]));
  const i = leMod(h1, TRIED_BUCKETS_PER_GROUP);
  const h2 = hash(Buffer.concat([key, ascii(addrGroup), le64(i)]));
  return leMod(h2, TRIED_BUCKET_COUNT);
}
