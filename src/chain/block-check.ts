/**
 * The block checks that need no UTXO set: Core's CheckBlock and ContextualCheckBlock
 * (src/validation.cpp) minus scripts, sigop counts and CheckTransaction's per-output value
 * ranges. This is the "relay now" bar of NewPoWValidBlock: a block that passes (and whose header
 * is valid and extends our best chain) may be forwarded before full validation.
 *
 * Mutation ('mutated: true') is kept apart from other invalidity, as Core's BLOCK_MUTATED is: a
 * mutated block's bytes do not match its header (merkle root, the CVE-2012-2459 duplicate tail,
 * witness commitment), so the *header* may still be valid and the block worth fetching whole.
 * A full `block` that is mutated scores its sender ("mutated block"); a rebuilt compact block
 * that is mutated is a possible short-id collision and scores no one (BIP152).
 *
 * The checks run on a block's parts (BlockParts): a `block` payload's come from one walk of its
 * bytes (in WASM: src/wasm/tx-walk.ts) and one 4-lane WASM batch of txids; a rebuilt compact
 * block's from its rebuild (src/chain/compact/partial-block.ts), ids included, before its bytes are
 * laid out.
 */
import { WireError } from '../errors.js';
import { hash256, hash256Spans } from '../wasm/hasher.js';
import { merkleRoot } from '../wasm/merkle.js';
import { postChunked, type ChunkedRoots, type TreeToPost } from '../wasm/merkle-chunks.js';
import type { MerkleJobs } from '../wasm/merkle-offload.js';
import { WireReader } from '../wire/reader.js';
import { compactSizeLen } from '../wire/writer.js';
import { MAX_TXS } from '../wire/tx-id.js';
import { walkBlock } from '../wasm/tx-walk.js';
import type { ChainParams } from './params.js';

/** Core MAX_BLOCK_WEIGHT (BIP141). */
export const MAX_BLOCK_WEIGHT = 4_000_000;
/** BIP141 WITNESS_SCALE_FACTOR. */
const WITNESS_SCALE = 4;
/** Core LOCKTIME_THRESHOLD: lock times below are heights, at or above are Unix times. */
const LOCKTIME_THRESHOLD = 500_000_000;
const SEQUENCE_FINAL = 0xffffffff;

export type BlockCheckCode =
  /** Does not parse, no transactions, or too many/too large before weight is even computed. */
  | 'bad-blk-length'
  /** Merkle root of the txids differs from the header's (mutated). */
  | 'bad-txnmrklroot'
  /** CVE-2012-2459 duplicate tail (mutated), or the same txid twice elsewhere (invalid). */
  | 'bad-txns-duplicate'
  /** Witness commitment present but the coinbase witness is not one 32-byte item (mutated). */
  | 'bad-witness-nonce-size'
  /** Witness commitment does not match the wtxids (mutated). */
  | 'bad-witness-merkle-match'
  /** Witness data in a block without a commitment (mutated). */
  | 'unexpected-witness'
  | 'bad-cb-missing'
  | 'bad-cb-multiple'
  /** Coinbase scriptSig not 2..100 bytes. */
  | 'bad-cb-length'
  | 'bad-txns-vin-empty'
  | 'bad-blk-weight'
  /** BIP34 height missing from the coinbase. */
  | 'bad-cb-height'
  /** A transaction not final at the block's height and time (BIP113). */
  | 'bad-txns-nonfinal';

export type BlockCheckResult =
  | { readonly ok: true; readonly txCount: number; readonly weight: number }
  | { readonly ok: false; readonly code: BlockCheckCode; readonly mutated: boolean; readonly index?: number };

/** Where the block sits: the height it would have and its parent's median time past. */
export interface BlockContext {
  readonly params: ChainParams;
  readonly height: number;
  readonly prevMedianTimePast: number;
}

/**
 * What the checks read of a block: where each transaction's bytes are and its ids. checkBlock
 * gets them from a walk of a `block` payload; a rebuilt compact block (PartialBlock) from its
 * parts, before it is laid out, so that it can be relayed first and laid out after.
 */
export interface BlockParts {
  readonly n: number;
  /** The 80-byte header. */
  readonly header: Uint8Array;
  /** Transaction i's bytes are in mem[i], at the offsets below. */
  readonly mem: ArrayLike<Uint8Array>;
  /** Per transaction i at 4 i: start, end (past the lock time), inputs start (the input count); 4 i + 3 is not read. */
  readonly offsets: Int32Array;
  /** 1 where transaction i has the segwit marker and witnesses. */
  readonly witness: Uint8Array;
  /** txid of transaction i at 32 i. */
  readonly txids: Uint8Array;
  /** wtxid of every transaction, 32 bytes each (the coinbase's is taken as zero); asked for only when the coinbase commits to them. */
  wtxids(): Uint8Array;
  /** The block's serialized size, and its size without witnesses (header and count included). */
  readonly size: number;
  readonly strippedSize: number;
}

const fail = (code: BlockCheckCode, mutated: boolean, index?: number): BlockCheckResult =>
  index === undefined ? { ok: false, code, mutated } : { ok: false, code, mutated, index };

/**
 * Reusable per-call arrays (the checks run one block at a time on the main thread): fresh ones
 * per block cost their page faults in the relay hop, several ms under load.
 */
let spans = new Int32Array(6 * 4096);
let txidBuf = new Uint8Array(32 * 4096);
let wtxidBuf = new Uint8Array(32 * 4096);
let dupTable = new Int32Array(8192);
/** The walked block, once per transaction (BlockParts.mem); emptied after each check. */
const sameRaw: Uint8Array[] = [];

/**
 * A block's merkle trees posted to a helper thread (src/wasm/merkle-chunks.ts) before the checks
 * run: they need only the ids a rebuild already holds. checkParts takes the roots; the poster
 * cancels them once the check is over (a job not joined frees its slot).
 */
export interface PostedTrees {
  /** Transactions the trees were posted for: a block of another count uses neither. */
  readonly n: number;
  /** Tree 0: the txids; tree 1, if `witness`: the wtxids, the coinbase's as zero. */
  readonly roots: ChunkedRoots;
  readonly witness: boolean;
  cancel(): void;
}

/**
 * Posts the trees of a block of `n` transactions at `ctx` to `jobs`: the txid tree, then the
 * witness tree if the block may commit to one (used only if its coinbase does, BIP141).
 */
export function postTrees(txids: Uint8Array, wtxids: Uint8Array, n: number, ctx: BlockContext, jobs: MerkleJobs): PostedTrees {
  const trees: TreeToPost[] = [{ leaves: txids, n }];
  const witness = n > 1 && ctx.height >= ctx.params.segwitHeight;
  if (witness) trees.push({ leaves: wtxids, n, firstLeafZero: true });
  const roots = postChunked(jobs, trees);
  return { n, roots, witness, cancel: () => roots.cancel() };
}

/**
 * Checks a serialized block (the `block` payload). Never throws on its bytes. Every transaction is
 * walked once in WASM (no object per transaction) and every txid hashed in one 4-lane batch.
 */
export function checkBlock(raw: Uint8Array, ctx: BlockContext): BlockCheckResult {
  const walk = walkBlock(raw, MAX_TXS);
  if (walk === undefined || walk.n === 0) return fail('bad-blk-length', false);
  const n = walk.n;
  const offs = walk.offsets;
  if (txidBuf.length < 32 * n) {
    const c = Math.max(n, 2 * (txidBuf.length >>> 5));
    spans = new Int32Array(6 * c);
    txidBuf = new Uint8Array(32 * c);
  }
  let stripped = 80 + compactSizeLen(n);
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    // The stripped serialization (BIP144): version ‖ inputs and outputs ‖ lock time.
    spans[6 * i] = offs[o]!;
    spans[6 * i + 1] = 4;
    spans[6 * i + 2] = offs[o + 2]!;
    spans[6 * i + 3] = offs[o + 3]! - offs[o + 2]!;
    spans[6 * i + 4] = offs[o + 1]! - 4;
    spans[6 * i + 5] = 4;
    stripped += walk.witness[i] === 1 ? 8 + offs[o + 3]! - offs[o + 2]! : offs[o + 1]! - offs[o]!;
  }
  const txids = txidBuf.subarray(0, 32 * n);
  hash256Spans(raw, spans, n, 3, txids, 0);
  for (let i = 0; i < n; i++) sameRaw.push(raw);
  try {
    return checkParts(
      {
        n,
        header: raw.subarray(0, 80),
        mem: sameRaw,
        offsets: offs,
        witness: walk.witness,
        txids,
        wtxids: () => walkedWtxids(raw, walk.offsets, walk.witness, txids, n),
        size: raw.length,
        strippedSize: stripped,
      },
      ctx,
    );
  } finally {
    sameRaw.length = 0;
  }
}

/** The wtxids of a walked block: its witness txs hashed in one batch, the others' equal to their txids. */
function walkedWtxids(raw: Uint8Array, offs: Int32Array, witness: Uint8Array, txids: Uint8Array, n: number): Uint8Array {
  if (wtxidBuf.length < 32 * n) wtxidBuf = new Uint8Array(32 * Math.max(n, 2 * (wtxidBuf.length >>> 5)));
  const wtxids = wtxidBuf.subarray(0, 32 * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (witness[i] === 0) {
      wtxids.set(txids.subarray(32 * i, 32 * i + 32), 32 * i);
    } else {
      spans[2 * k] = offs[4 * i]!;
      spans[2 * k + 1] = offs[4 * i + 1]! - offs[4 * i]!;
      k++;
    }
  }
  const out = new Uint8Array(32 * k);
  hash256Spans(raw, spans, k, 1, out, 0);
  for (let i = 0, j = 0; i < n; i++) if (witness[i] === 1) wtxids.set(out.subarray(32 * j, 32 * j++ + 32), 32 * i);
  return wtxids;
}

/**
 * The checks, in Core's order, on a block's parts. `trees` (postTrees, for the same ids) are
 * joined instead of hashed here: the helper thread hashes while this one goes on, then this
 * thread computes the chunks the helper has not reached.
 */
export function checkParts(b: BlockParts, ctx: BlockContext, trees?: PostedTrees): BlockCheckResult {
  const p = ctx.params;
  const n = b.n;
  const { mem, offsets: offs, witness, header } = b;

  // What needs no merkle root is worked out first, while a helper thread may still be hashing the
  // trees; the verdicts are given below in Core's order.
  const cbMem = mem[0]!;
  const extraCoinbase = otherCoinbase(b);
  const dup = firstDuplicate(b.txids, n);
  const nonFinal = firstNonFinal(b, ctx);

  // --- merkle root and CVE-2012-2459 ---
  const posted = trees !== undefined && trees.n === n ? trees : undefined;
  const m = posted !== undefined ? posted.roots.root(0) : merkleRoot(b.txids, n);
  if (m.mutated) return fail('bad-txns-duplicate', true);
  if (!equal(m.root, 0, header, 36)) return fail('bad-txnmrklroot', true);

  // CheckBlock's size limits come after the merkle check in Core, so a block that is both too big
  // and mutated is reported as mutated, as there (the message cap bounds the hashing before this).
  if (n * WITNESS_SCALE > MAX_BLOCK_WEIGHT || b.strippedSize * WITNESS_SCALE > MAX_BLOCK_WEIGHT) return fail('bad-blk-length', false);

  // --- coinbase: exactly one, first ---
  if (!isCoinbase(cbMem, offs[2]!)) return fail('bad-cb-missing', false, 0);
  if (extraCoinbase !== undefined) return extraCoinbase;
  const cb = coinbaseParts(cbMem, offs[2]!, offs[1]!, witness[0] === 1);
  if (cb === undefined) return fail('bad-blk-length', false, 0);
  if (cb.scriptSigLen < 2 || cb.scriptSigLen > 100) return fail('bad-cb-length', false, 0);

  // --- witness commitment (Core CheckWitnessMalleation) ---
  const segwit = ctx.height >= p.segwitHeight;
  if (segwit && cb.commitment >= 0) {
    if (cb.witnessNonce < 0) return fail('bad-witness-nonce-size', true, 0);
    let root: Uint8Array;
    if (posted?.witness === true) {
      root = posted.roots.root(1).root;
    } else {
      const wtxids = b.wtxids();
      const first = wtxids.slice(0, 32);
      wtxids.fill(0, 0, 32); // the coinbase's wtxid is taken as zero (BIP141)
      root = merkleRoot(wtxids, n).root;
      wtxids.set(first, 0);
    }
    const pre = new Uint8Array(64);
    pre.set(root, 0);
    pre.set(cbMem.subarray(cb.witnessNonce, cb.witnessNonce + 32), 32);
    if (!equal(hash256(pre), 0, cbMem, cb.commitment)) return fail('bad-witness-merkle-match', true, 0);
  } else {
    for (let i = 0; i < n; i++) if (witness[i] === 1) return fail('unexpected-witness', true, i);
  }

  // --- duplicate txids anywhere (the merkle check only catches the duplicated tail) ---
  if (dup >= 0) return fail('bad-txns-duplicate', false, dup);

  // --- weight (BIP141): 3 × stripped + total ---
  const weight = b.strippedSize * (WITNESS_SCALE - 1) + b.size;
  if (weight > MAX_BLOCK_WEIGHT) return fail('bad-blk-weight', false);

  // --- BIP34: the coinbase's scriptSig starts with CScript() << height ---
  if (ctx.height >= p.bip34Height && !startsWithHeight(cbMem, cb.scriptSigStart, cb.scriptSigLen, ctx.height)) return fail('bad-cb-height', false, 0);

  // --- finality (IsFinalTx) ---
  if (nonFinal >= 0) return fail('bad-txns-nonfinal', false, nonFinal);
  return { ok: true, txCount: n, weight };
}

/** A transaction after the first without inputs, or a second coinbase: its failure; else undefined. */
function otherCoinbase(b: BlockParts): BlockCheckResult | undefined {
  const { mem, offsets: offs } = b;
  for (let i = 1; i < b.n; i++) {
    const at = offs[4 * i + 2]!;
    if (mem[i]![at] === 0) return fail('bad-txns-vin-empty', false, i);
    if (isCoinbase(mem[i]!, at)) return fail('bad-cb-multiple', false, i);
  }
  return undefined;
}

/** Index of the first transaction not final at the block's height and time (BIP113 cutoff once CSV is active), or -1. */
function firstNonFinal(b: BlockParts, ctx: BlockContext): number {
  const { mem, offsets: offs } = b;
  const cutoff = ctx.height >= ctx.params.csvHeight ? ctx.prevMedianTimePast : readU32(b.header, 68);
  for (let i = 0; i < b.n; i++) {
    const lock = readU32(mem[i]!, offs[4 * i + 1]! - 4);
    if (lock === 0 || lock < (lock < LOCKTIME_THRESHOLD ? ctx.height : cutoff)) continue;
    if (!allInputsFinal(mem[i]!, offs[4 * i + 2]!)) return i;
  }
  return -1;
}

function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function equal(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** One input whose prevout is null (zero hash, index 0xffffffff): Core CTransaction::IsCoinBase. `at`: the input count. */
function isCoinbase(raw: Uint8Array, at: number): boolean {
  if (raw[at] !== 1) return false;
  for (let k = 1; k <= 32; k++) if (raw[at + k] !== 0) return false;
  return readU32(raw, at + 33) === 0xffffffff;
}

interface CoinbaseParts {
  readonly scriptSigStart: number;
  readonly scriptSigLen: number;
  /** Offset of the 32-byte commitment in the last matching output, -1 if none. */
  readonly commitment: number;
  /** Offset of the witness reserved value when the witness is exactly one 32-byte item, else -1. */
  readonly witnessNonce: number;
}

/** The coinbase's scriptSig, its witness commitment (BIP141 GetWitnessCommitmentIndex) and witness. */
function coinbaseParts(raw: Uint8Array, inputsStart: number, end: number, segwit: boolean): CoinbaseParts | undefined {
  try {
    const r = new WireReader(raw, inputsStart, end);
    r.compactSize('cb.inputs');
    r.skip(36, 'cb.prevout');
    const scriptSigLen = r.compactSize('cb.scriptSig');
    const scriptSigStart = r.pos;
    r.skip(scriptSigLen + 4, 'cb.scriptSig');
    const nOut = r.compactSize('cb.outputs');
    let commitment = -1;
    for (let k = 0; k < nOut; k++) {
      r.skip(8, 'cb.value');
      const len = r.compactSize('cb.script');
      const s = r.pos;
      r.skip(len, 'cb.script');
      if (len >= 38 && raw[s] === 0x6a && raw[s + 1] === 0x24 && raw[s + 2] === 0xaa && raw[s + 3] === 0x21 && raw[s + 4] === 0xa9 && raw[s + 5] === 0xed) commitment = s + 6;
    }
    let witnessNonce = -1;
    if (segwit) {
      const items = r.compactSize('cb.witness');
      if (items === 1 && r.compactSize('cb.witness.item') === 32) witnessNonce = r.pos;
    }
    return { scriptSigStart, scriptSigLen, commitment, witnessNonce };
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
}

/** CScript() << height as Core serialises it: OP_0, OP_1..OP_16, or a minimal CScriptNum push. */
export function heightScript(height: number): Uint8Array {
  if (height === 0) return Uint8Array.of(0x00);
  if (height >= 1 && height <= 16) return Uint8Array.of(0x50 + height);
  const bytes: number[] = [];
  for (let v = height; v > 0; v = Math.floor(v / 256)) bytes.push(v & 0xff);
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0);
  return Uint8Array.of(bytes.length, ...bytes);
}

function startsWithHeight(raw: Uint8Array, at: number, len: number, height: number): boolean {
  const want = heightScript(height);
  if (len < want.length) return false;
  for (let k = 0; k < want.length; k++) if (raw[at + k] !== want[k]) return false;
  return true;
}

/** Every input's sequence is final (only read for the rare tx whose lock time is not yet reached). */
function allInputsFinal(raw: Uint8Array, inputsStart: number): boolean {
  const r = new WireReader(raw, inputsStart);
  const nIn = r.compactSize('tx.inputs');
  for (let k = 0; k < nIn; k++) {
    r.skip(36, 'tx.prevout');
    r.skip(r.compactSize('tx.scriptSig'), 'tx.scriptSig');
    if (r.u32le('tx.sequence') !== SEQUENCE_FINAL) return false;
  }
  return true;
}

/** Index of a txid seen earlier in the list, or -1: an open-addressing table of indexes. */
function firstDuplicate(ids: Uint8Array, n: number): number {
  let size = 16;
  while (size < 2 * n) size *= 2;
  if (dupTable.length < size) dupTable = new Int32Array(size);
  const table = dupTable.subarray(0, size).fill(-1);
  const mask = size - 1;
  for (let i = 0; i < n; i++) {
    const o = 32 * i;
    let s = (ids[o]! | (ids[o + 1]! << 8) | (ids[o + 2]! << 16) | (ids[o + 3]! << 24)) & mask;
    for (;;) {
      const j = table[s]!;
      if (j < 0) {
        table[s] = i;
        break;
      }
      if (equal(ids, 32 * j, ids, o)) return i;
      s = (s + 1) & mask;
    }
  }
  return -1;
}
