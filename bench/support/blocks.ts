/**
 * Synthetic but well-formed blocks for tests and benchmarks: mixed transaction sizes, mostly
 * segwit (P2WPKH-shaped witnesses), a coinbase with the BIP34 height and the BIP141 witness
 * commitment, mined at regtest difficulty. Hashing here uses node:crypto only, so tests that check
 * our WASM code against these blocks compare two independent computations.
 */
import { seededRandom } from '../../src/util/random.js';
import { hash } from 'node:crypto';

/**
 * Double SHA-256 by one-shot crypto.hash: a createHash object per call is a native object with a
 * weak handle, and the hundreds of thousands a run of blocks makes showed up as 15-30 ms of V8's
 * external weak-handle time in the scavenges during the node-hop measurement.
 */
export function dsha(b: Uint8Array): Buffer {
  return hash('sha256', hash('sha256', b, 'buffer'), 'buffer');
}

/** Plain merkle root (Core's rule: an odd level repeats its last hash). */
export function merkleRootNode(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return Buffer.alloc(32);
  let level = leaves;
  while (level.length > 1) {
    if (level.length & 1) level = [...level, level[level.length - 1]!];
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(dsha(Buffer.concat([level[i]!, level[i + 1]!])));
    level = next;
  }
  return level[0]!;
}

/** A seeded source of numbers in [0, 1) (src/util/random.ts), so a failing run can be replayed. */
export function rng(seed: number): () => number {
  const r = seededRandom(seed);
  return () => r.float();
}

function varint(n: number): number[] {
  if (n < 0xfd) return [n];
  if (n <= 0xffff) return [0xfd, n & 0xff, n >>> 8];
  return [0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}
function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function bytes(n: number, r: () => number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

export interface TxShape {
  inputs: number;
  outputs: number;
  segwit: boolean;
  lockTime?: number;
  sequence?: number;
}

/** One transaction of the given shape with random prevouts, scripts and signatures. */
export function makeTx(shape: TxShape, r: () => number): Uint8Array {
  const b: number[] = [...u32(2)];
  if (shape.segwit) b.push(0, 1);
  b.push(...varint(shape.inputs));
  for (let i = 0; i < shape.inputs; i++) {
    b.push(...bytes(32, r), ...u32(Math.floor(r() * 4)));
    if (shape.segwit) b.push(0);
    else b.push(106, 0x47, ...bytes(71, r), 0x21, ...bytes(33, r));
    b.push(...u32(shape.sequence ?? 0xfffffffd));
  }
  b.push(...varint(shape.outputs));
  for (let i = 0; i < shape.outputs; i++) b.push(...u32(Math.floor(r() * 1e8)), 0, 0, 0, 0, 22, 0x00, 0x14, ...bytes(20, r));
  if (shape.segwit) for (let i = 0; i < shape.inputs; i++) b.push(2, 0x48, ...bytes(72, r), 0x21, ...bytes(33, r));
  b.push(...u32(shape.lockTime ?? 0));
  return Uint8Array.from(b);
}

/** A realistic mix: mostly 1–2-input segwit payments, some legacy, a few large consolidations. */
export function mixedShape(r: () => number, segwitShare = 0.85): TxShape {
  const x = r();
  const inputs = x < 0.6 ? 1 : x < 0.9 ? 2 : x < 0.98 ? 3 + Math.floor(r() * 5) : 10 + Math.floor(r() * 30);
  return { inputs, outputs: 1 + Math.floor(r() * 3), segwit: r() < segwitShare };
}

/** CScript() << height (BIP34). */
function heightPush(h: number): number[] {
  if (h === 0) return [0];
  if (h <= 16) return [0x50 + h];
  const le: number[] = [];
  for (let v = h; v > 0; v = Math.floor(v / 256)) le.push(v & 0xff);
  if (le[le.length - 1]! & 0x80) le.push(0);
  return [le.length, ...le];
}

export interface BuiltBlock {
  readonly raw: Uint8Array;
  readonly header: Uint8Array;
  /** Serialized transactions with witness, coinbase first. */
  readonly txs: Uint8Array[];
  /** wtxid of tx i at 32 i (the coinbase's real wtxid). */
  readonly wtxids: Uint8Array;
  readonly txids: Buffer[];
  readonly hash: Buffer;
}

export interface BlockOptions {
  prev: Uint8Array;
  height: number;
  time: number;
  bits?: number;
  /** Transactions after the coinbase. */
  txs: Uint8Array[];
  /** Leave the witness commitment out (for unexpected-witness cases). */
  noCommitment?: boolean;
  /** Override the commitment (for mismatch cases). */
  commitment?: Uint8Array;
  /** Use this merkle root instead of the computed one. */
  merkleRoot?: Uint8Array;
  /** Mine (regtest bits: about two tries). Default true. */
  mine?: boolean;
}

/** The txid of a serialized tx (stripped of marker, flag and witnesses). */
export function txidOf(tx: Uint8Array): Buffer {
  if (tx[4] !== 0) return dsha(tx);
  // Walk to the witnesses: inputs and outputs as makeTx / the coinbase lay them out.
  let p = 6;
  const rd = (): number => {
    const f = tx[p]!;
    if (f < 0xfd) {
      p++;
      return f;
    }
    const v = tx[p + 1]! | (tx[p + 2]! << 8);
    p += 3;
    return v;
  };
  const nIn = rd();
  for (let i = 0; i < nIn; i++) {
    p += 36;
    const len = rd();
    p += len + 4;
  }
  const nOut = rd();
  for (let i = 0; i < nOut; i++) {
    p += 8;
    const len = rd();
    p += len;
  }
  return dsha(Buffer.concat([tx.subarray(0, 4), tx.subarray(6, p), tx.subarray(tx.length - 4)]));
}

export function buildBlock(o: BlockOptions): BuiltBlock {
  const txs = o.txs;
  const wtxidsRest = txs.map((t) => dsha(t));
  const witnessRoot = merkleRootNode([Buffer.alloc(32), ...wtxidsRest]);
  const nonce = Buffer.alloc(32);
  const commitment = o.commitment ?? dsha(Buffer.concat([witnessRoot, nonce]));
  const cb: number[] = [...u32(2), 0, 1, 1, ...new Array<number>(32).fill(0), ...u32(0xffffffff)];
  const sig = [...heightPush(o.height), 4, ...u32(0x12345678)];
  cb.push(sig.length, ...sig, ...u32(0xffffffff));
  const outs: number[][] = [[...u32(625_000_000), 0, 0, 0, 0, 22, 0x00, 0x14, ...new Array<number>(20).fill(7)]];
  if (!o.noCommitment) outs.push([0, 0, 0, 0, 0, 0, 0, 0, 38, 0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed, ...commitment]);
  cb.push(outs.length);
  for (const x of outs) cb.push(...x);
  cb.push(1, 32, ...nonce, ...u32(0));
  let coinbase = Uint8Array.from(cb);
  if (o.noCommitment) {
    // Without a commitment the coinbase carries no witness either (a legacy-serialized coinbase).
    const legacy = [...coinbase.subarray(0, 4), ...coinbase.subarray(6, coinbase.length - 4 - 34), ...u32(0)];
    coinbase = Uint8Array.from(legacy);
  }
  const all = [coinbase, ...txs];
  const txids = all.map(txidOf);
  const root = o.merkleRoot ?? merkleRootNode(txids);
  const header = new Uint8Array(80);
  const dv = new DataView(header.buffer);
  dv.setInt32(0, 0x20000000, true);
  header.set(o.prev, 4);
  header.set(root, 36);
  dv.setUint32(68, o.time, true);
  dv.setUint32(72, o.bits ?? 0x207fffff, true);
  if (o.mine !== false) mine(header);
  const body = Buffer.concat([Buffer.from(header), Buffer.from(varint(all.length)), ...all.map((t) => Buffer.from(t))]);
  const wtxids = new Uint8Array(32 * all.length);
  all.forEach((t, i) => wtxids.set(dsha(t), 32 * i));
  return { raw: new Uint8Array(body), header: new Uint8Array(body.subarray(0, 80)), txs: all, wtxids, txids, hash: dsha(header) };
}

/** Grinds the nonce until the hash meets the header's bits (only sensible at regtest difficulty). */
export function mine(header: Uint8Array): void {
  const dv = new DataView(header.buffer, header.byteOffset, 80);
  const bits = dv.getUint32(72, true);
  const target = BigInt(bits & 0x7fffff) << BigInt(8 * ((bits >>> 24) - 3));
  for (let nonce = 0; ; nonce++) {
    dv.setUint32(76, nonce, true);
    const h = dsha(header);
    if (BigInt('0x' + Buffer.from(h).reverse().toString('hex')) <= target) return;
  }
}
