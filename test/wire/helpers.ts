/**
 * Test-side builders and fast-check arbitraries for the wire tests. The transaction and CompactSize
 * serializers here are written independently of src/wire so that the tests compare two
 * implementations rather than one with itself.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import { WireError } from '../../src/errors.js';
import { InvType } from '../../src/wire/constants.js';
import type { Message } from '../../src/wire/codec.js';
import type { BlockHeader } from '../../src/wire/block-header.js';
import type { AddrV2Entry } from '../../src/wire/addrv2.js';
import type { NetAddress, TimedNetAddress } from '../../src/wire/net-address.js';
import type { InvVect } from '../../src/wire/inv-vect.js';

export const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

export function dsha(b: Uint8Array): Uint8Array {
  const once = createHash('sha256').update(b).digest();
  return new Uint8Array(createHash('sha256').update(once).digest());
}

/** CompactSize, minimal form, written from the spec (btcd wire/common.go WriteVarInt). */
export function cs(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  const b = Buffer.alloc(n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9);
  if (n <= 0xffff) {
    b[0] = 0xfd;
    b.writeUInt16LE(n, 1);
  } else if (n <= 0xffffffff) {
    b[0] = 0xfe;
    b.writeUInt32LE(n, 1);
  } else {
    b[0] = 0xff;
    b.writeBigUInt64LE(BigInt(n), 1);
  }
  return new Uint8Array(b);
}

export const le32 = (v: number): Uint8Array => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return new Uint8Array(b);
};
export const le64 = (v: bigint): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return new Uint8Array(b);
};

export interface TxSpec {
  version: number;
  inputs: { prevout: Uint8Array; script: Uint8Array; sequence: number }[];
  outputs: { value: bigint; script: Uint8Array }[];
  /** One stack per input, or undefined for a legacy tx. */
  witnesses?: Uint8Array[][];
  lockTime: number;
}

/** BIP144 serialization; withWitness=false gives the stripped (txid) form. */
export function buildTx(t: TxSpec, withWitness = true): Uint8Array {
  const parts: Uint8Array[] = [le32(t.version)];
  const wit = withWitness && t.witnesses !== undefined;
  if (wit) parts.push(Uint8Array.of(0, 1));
  parts.push(cs(t.inputs.length));
  for (const i of t.inputs) parts.push(i.prevout, cs(i.script.length), i.script, le32(i.sequence));
  parts.push(cs(t.outputs.length));
  for (const o of t.outputs) parts.push(le64(o.value), cs(o.script.length), o.script);
  if (wit) {
    for (const stack of t.witnesses!) {
      parts.push(cs(stack.length));
      for (const item of stack) parts.push(cs(item.length), item);
    }
  }
  parts.push(le32(t.lockTime));
  return concat(...parts);
}

// ---- arbitraries -------------------------------------------------------------------------------

export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
export const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
export const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: min, maxLength: max });
export const hash32 = bytes(32, 32);

const ipv4Mapped = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map(([a, b, c, d]) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d));
export const ip16 = fc.oneof(ipv4Mapped, bytes(16, 16));

export const netAddress: fc.Arbitrary<NetAddress> = fc.record({ services: u64, ip: ip16, port: u16 });
export const timedNetAddress: fc.Arbitrary<TimedNetAddress> = fc.record({
  timestamp: u32,
  services: u64,
  ip: ip16,
  port: u16,
});

const KNOWN_SIZES: Record<number, number> = { 1: 4, 2: 16, 3: 10, 4: 32, 5: 32, 6: 16 };
export const addrV2Entry: fc.Arbitrary<AddrV2Entry> = fc.oneof(
  fc
    .integer({ min: 1, max: 6 })
    .chain((id) =>
      fc.record({ timestamp: u32, services: u64, networkId: fc.constant(id), addr: bytes(KNOWN_SIZES[id]!, KNOWN_SIZES[id]!), port: u16 }),
    ),
  fc.record({ timestamp: u32, services: u64, networkId: fc.integer({ min: 7, max: 255 }), addr: bytes(0, 40), port: u16 }),
  fc.record({ timestamp: u32, services: u64, networkId: fc.constant(0), addr: bytes(0, 600).map((b) => b.subarray(0, 512)), port: u16 }),
);

export const invVect: fc.Arbitrary<InvVect> = fc.record({
  type: fc.oneof(fc.constantFrom(...Object.values(InvType)), u32),
  hash: hash32,
});

export const blockHeader: fc.Arbitrary<BlockHeader> = fc.record({
  version: i32,
  prevBlock: hash32,
  merkleRoot: hash32,
  timestamp: u32,
  bits: u32,
  nonce: u32,
});

export const txSpec: fc.Arbitrary<TxSpec> = fc
  .record({
    version: i32,
    inputs: fc.array(fc.record({ prevout: bytes(36, 36), script: bytes(0, 40), sequence: u32 }), { minLength: 1, maxLength: 3 }),
    outputs: fc.array(fc.record({ value: u64, script: bytes(0, 40) }), { maxLength: 3 }),
    segwit: fc.boolean(),
    stacks: fc.array(fc.array(bytes(0, 30), { maxLength: 3 }), { minLength: 3, maxLength: 3 }),
    lockTime: u32,
  })
  .map(({ segwit, stacks, ...t }) => {
    if (!segwit) return t;
    const witnesses = t.inputs.map((_, i) => stacks[i]!);
    // BIP144 / Core: a witness section where every stack is empty is not a valid encoding.
    if (witnesses.every((s) => s.length === 0)) witnesses[0] = [new Uint8Array(0)];
    return { ...t, witnesses };
  });

export const rawTx = txSpec.map((t) => buildTx(t));

export const rawBlock = fc
  .tuple(blockHeader, fc.array(rawTx, { maxLength: 3 }))
  .map(([h, txs]) => ({ header: h, txs }));

export function headerBytes(h: BlockHeader): Uint8Array {
  return concat(le32(h.version), h.prevBlock, h.merkleRoot, le32(h.timestamp), le32(h.bits), le32(h.nonce));
}

export function blockBytes(h: BlockHeader, txs: Uint8Array[]): Uint8Array {
  return concat(headerBytes(h), cs(txs.length), ...txs);
}

/** Protocol versions on each side of every layout gate. */
export const PVERS = [106, 208, 209, 31401, 31402, 60000, 60001, 70000, 70001, 70016] as const;

const userAgent = fc.string({ unit: 'binary', maxLength: 60 });

function versionArb(pver: number): fc.Arbitrary<Message> {
  const maxOptional = pver >= 70001 ? 5 : 4;
  return fc
    .record({
      protocolVersion: i32,
      services: u64,
      timestamp: i64,
      addrRecv: netAddress,
      addrFrom: netAddress,
      nonce: u64,
      userAgent,
      startHeight: i32,
      relay: fc.boolean(),
      present: fc.integer({ min: 0, max: maxOptional }),
    })
    .map(({ present, addrFrom, nonce, userAgent: ua, startHeight, relay, ...base }) => {
      const m: Record<string, unknown> = { command: 'version', ...base };
      const optional = { addrFrom, nonce, userAgent: ua, startHeight, relay };
      Object.keys(optional)
        .slice(0, present)
        .forEach((k) => {
          m[k] = optional[k as keyof typeof optional];
        });
      return m as unknown as Message;
    });
}

/** A message that is valid to encode at pver, for every command. */
export function messageArb(pver: number): fc.Arbitrary<Message> {
  const nonce = pver > 60000 ? u64 : fc.constant(0n);
  const maxAddr = pver < 209 ? 1 : 1000;
  const addrEntry = pver >= 31402 ? timedNetAddress : netAddress.map((a) => ({ ...a, timestamp: 0 }));
  const locator = fc.record({ protocolVersion: u32, locator: fc.array(hash32, { maxLength: 20 }), hashStop: hash32 });
  const rejectArb = fc
    .record({ message: fc.oneof(fc.constantFrom('tx', 'block', 'version', ''), fc.string({ maxLength: 12 })), code: fc.nat(255), reason: fc.string({ unit: 'binary', maxLength: 40 }), hash: hash32 })
    .map(({ hash, ...r }) => (r.message === 'tx' || r.message === 'block' ? { command: 'reject' as const, ...r, hash } : { command: 'reject' as const, ...r }));
  return fc.oneof(
    versionArb(pver),
    fc.constantFrom<Message>(
      { command: 'verack' },
      { command: 'getaddr' },
      { command: 'sendaddrv2' },
      { command: 'sendheaders' },
      { command: 'wtxidrelay' },
      { command: 'mempool' },
    ),
    nonce.map((n) => ({ command: 'ping' as const, nonce: n })),
    nonce.map((n) => ({ command: 'pong' as const, nonce: n })),
    fc.array(addrEntry, { maxLength: Math.min(maxAddr, 12) }).map((a) => ({ command: 'addr' as const, addresses: a })),
    fc.array(addrV2Entry, { maxLength: 12 }).map((a) => ({ command: 'addrv2' as const, addresses: a })),
    fc.array(invVect, { maxLength: 12 }).map((i) => ({ command: 'inv' as const, inventory: i })),
    fc.array(invVect, { maxLength: 12 }).map((i) => ({ command: 'getdata' as const, inventory: i })),
    fc.array(invVect, { maxLength: 12 }).map((i) => ({ command: 'notfound' as const, inventory: i })),
    rawTx.map((raw) => ({ command: 'tx' as const, raw })),
    rawBlock.map(({ header, txs }) => ({ command: 'block' as const, raw: blockBytes(header, txs), header, txCount: txs.length })),
    fc.array(blockHeader, { maxLength: 8 }).map((h) => ({ command: 'headers' as const, headers: h })),
    locator.map((l) => ({ command: 'getheaders' as const, ...l })),
    locator.map((l) => ({ command: 'getblocks' as const, ...l })),
    i64.map((f) => ({ command: 'feefilter' as const, minFee: f })),
    rejectArb,
    ...bip152Arbs(),
  );
}

/** Strictly increasing 16-bit indexes from small gaps (the differential encoding's domain). */
const increasing = (max: number): fc.Arbitrary<number[]> =>
  fc.array(fc.oneof(fc.nat(3), fc.nat(300)), { maxLength: max }).map((gaps) => {
    let at = -1;
    return gaps.map((g) => (at += g + 1));
  });

/** BIP152 messages: sendcmpct, cmpctblock, getblocktxn, blocktxn. */
function bip152Arbs(): fc.Arbitrary<Message>[] {
  const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
  return [
    fc.record({ announce: fc.nat(255), version: u64 }).map((r) => ({ command: 'sendcmpct' as const, ...r })),
    fc
      .record({ header: bytes(80), nonce: u64, ids: fc.nat(8).chain((n) => bytes(6 * n)), idx: increasing(3), txs: fc.array(rawTx, { minLength: 3, maxLength: 3 }) })
      .map(({ header, nonce, ids, idx, txs }) => ({
        command: 'cmpctblock' as const,
        header,
        nonce,
        shortIds: ids,
        prefilled: idx.map((index, i) => ({ index, tx: txs[i]! })),
      })),
    fc.record({ blockHash: hash32, indexes: increasing(20) }).map((r) => ({ command: 'getblocktxn' as const, ...r })),
    fc.record({ blockHash: hash32, txs: fc.array(rawTx, { maxLength: 3 }) }).map((r) => ({ command: 'blocktxn' as const, ...r })),
  ];
}

/** The WireError code a call throws, or 'none'; anything but a WireError fails the test. */
export function codeOf(f: () => unknown): string {
  try {
    f();
    return 'none';
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return (e as WireError).code;
  }
}
