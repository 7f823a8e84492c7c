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
 * Cost: one walk of every transaction (in WASM: src/wasm/tx-walk.ts), the stripped txids in one
 * 4-lane WASM hash batch (wtxids too when the caller does not know them), the merkle tree in one
 * WASM call.
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

/** What the caller may already know about the transactions, to skip hashing them again. */
export interface KnownIds {
  /** wtxid of tx i at wtxids[32 i ..] (the relay cache's, from the frame digest). */
  readonly wtxids: Uint8Array;
  /** txid of tx i at txids[32 i ..] where txidKnown[i] is 1 (the relay cache computed them on arrival). */
  readonly txids?: Uint8Array;
  readonly txidKnown?: Uint8Array;
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
let witness = new Uint8Array(4096);

/**
 * A block's merkle trees posted to a helper thread (src/wasm/merkle-chunks.ts) before its bytes
 * are even laid out: they need only ids the rebuild already holds. checkBlock takes the roots;
 * the poster cancels them once the check is over (a job not joined frees its slot).
 */
export interface PostedTrees {
  /** Transactions the trees were posted for: a block of another count uses neither. */
  readonly n: number;
  /** Tree 0: the txids (chunks with a txid not yet known are hashed in checkBlock); tree 1, if `witness`: the wtxids, the coinbase's as zero. */
  readonly roots: ChunkedRoots;
  readonly witness: boolean;
  cancel(): void;
}

/**
 * Posts the trees of a block of `n` = known.wtxids.length / 32 transactions at `ctx` to `jobs`:
 * the txid tree (its chunks whose txids are all known), then the witness tree if the block may
 * commit to one (used only if its coinbase does, BIP141).
 */
export function postTrees(known: KnownIds, ctx: BlockContext, jobs: MerkleJobs): PostedTrees {
  const n = known.wtxids.length >>> 5;
  const txidKnown = known.txids !== undefined && known.txidKnown !== undefined && known.txids.length >= 32 * n ? known.txidKnown : undefined;
  const trees: TreeToPost[] = [
    {
      leaves: txidKnown !== undefined ? known.txids! : known.wtxids,
      n,
      ready: (from, to) => {
        if (txidKnown === undefined) return false;
        for (let i = from; i < to; i++) if (txidKnown[i] !== 1) return false;
        return true;
      },
    },
  ];
  const witness = n > 1 && ctx.height >= ctx.params.segwitHeight;
  if (witness) trees.push({ leaves: known.wtxids, n, firstLeafZero: true });
  const roots = postChunked(jobs, trees);
  return { n, roots, witness, cancel: () => roots.cancel() };
}

/**
 * Checks a serialized block (the `block` payload). Never throws on its bytes. `known` ids skip
 * hashing them again; `trees` (postTrees, for the same ids) are joined instead of computed here:
 * the helper hashes while this thread walks the block, then this thread computes the chunks the
 * helper has not reached.
 */
export function checkBlock(raw: Uint8Array, ctx: BlockContext, known?: KnownIds, trees?: PostedTrees): BlockCheckResult {
  const p = ctx.params;
  // --- parse: every tx walked once, in WASM; no objects per tx ---
  const walk = walkBlock(raw, MAX_TXS);
  if (walk === undefined || walk.n === 0) return fail('bad-blk-length', false);
  const n = walk.n;
  const offs = walk.offsets;
  if (witness.length < n) {
    const c = Math.max(n, witness.length * 2);
    witness = new Uint8Array(c);
    spans = new Int32Array(6 * c);
    txidBuf = new Uint8Array(32 * c);
  }
  if (wtxidBuf.length < 32 * n) wtxidBuf = new Uint8Array(32 * Math.max(n, witness.length));
  let stripped = 80 + compactSizeLen(n);
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    const start = offs[o]!;
    const end = offs[o + 1]!;
    const segwit = walk.witness[i]!;
    witness[i] = segwit;
    // The stripped serialization (BIP144): version ‖ inputs and outputs ‖ lock time.
    spans[6 * i] = start;
    spans[6 * i + 1] = 4;
    spans[6 * i + 2] = offs[o + 2]!;
    spans[6 * i + 3] = offs[o + 3]! - offs[o + 2]!;
    spans[6 * i + 4] = end - 4;
    spans[6 * i + 5] = 4;
    stripped += segwit === 1 ? 8 + offs[o + 3]! - offs[o + 2]! : end - start;
  }

  // --- txids: the stripped form of witness txs hashed in one batch; others are the wtxid ---
  // Every byte of both is written below before it is read.
  const txids = txidBuf.subarray(0, 32 * n);
  if (known !== undefined && known.wtxids.length >= 32 * n) {
    // Hash only what nobody knows: witness txs whose txid the source did not give.
    // One bulk copy, then only the unknown witness txs are overwritten (no view per tx: a rebuild
    // is 3,000 of them and the garbage showed in profiles).
    const given = known.txidKnown !== undefined && known.txids !== undefined && known.txids.length >= 32 * n ? known.txidKnown : undefined;
    txids.set(given !== undefined ? known.txids!.subarray(0, 32 * n) : known.wtxids.subarray(0, 32 * n));
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (given !== undefined && given[i] === 1) continue;
      if (witness[i] === 0) {
        if (given !== undefined) for (let j = 32 * i; j < 32 * i + 32; j++) txids[j] = known.wtxids[j]!;
      } else {
        spans.copyWithin(6 * k++, 6 * i, 6 * i + 6);
        witness[i] = 2; // hashed below
      }
    }
    if (k > 0) {
      const out = new Uint8Array(32 * k);
      hash256Spans(raw, spans, k, 3, out, 0);
      for (let i = 0, j = 0; i < n; i++) {
        if (witness[i] !== 2) continue;
        witness[i] = 1;
        txids.set(out.subarray(32 * j, 32 * j++ + 32), 32 * i);
      }
    }
  } else {
    hash256Spans(raw, spans, n, 3, txids, 0);
  }

  // --- merkle root and CVE-2012-2459 ---
  const posted = trees !== undefined && trees.n === n ? trees : undefined;
  const m = posted !== undefined ? posted.roots.root(0, txids) : merkleRoot(txids, n);
  if (m.mutated) return fail('bad-txns-duplicate', true);
  if (!equal(m.root, 0, raw, 36)) return fail('bad-txnmrklroot', true);

  // CheckBlock's size limits come after the merkle check in Core, so a block that is both too big
  // and mutated is reported as mutated, as there (the message cap bounds the hashing before this).
  if (n * WITNESS_SCALE > MAX_BLOCK_WEIGHT || stripped * WITNESS_SCALE > MAX_BLOCK_WEIGHT) return fail('bad-blk-length', false);

  // --- coinbase: exactly one, first ---
  if (!isCoinbase(raw, offs[2]!)) return fail('bad-cb-missing', false, 0);
  for (let i = 1; i < n; i++) {
    if (raw[offs[4 * i + 2]!] === 0) return fail('bad-txns-vin-empty', false, i);
    if (isCoinbase(raw, offs[4 * i + 2]!)) return fail('bad-cb-multiple', false, i);
  }
  const cb = coinbaseParts(raw, offs[2]!, offs[1]!, witness[0] === 1);
  if (cb === undefined) return fail('bad-blk-length', false, 0);
  if (cb.scriptSigLen < 2 || cb.scriptSigLen > 100) return fail('bad-cb-length', false, 0);

  // --- witness commitment (Core CheckWitnessMalleation) ---
  const segwit = ctx.height >= p.segwitHeight;
  if (segwit && cb.commitment >= 0) {
    if (cb.witnessNonce < 0) return fail('bad-witness-nonce-size', true, 0);
    const wtxids = wtxidBuf.subarray(0, 32 * n);
    let root: Uint8Array;
    if (posted?.witness === true && known !== undefined && known.wtxids.length === 32 * n) {
      root = posted.roots.root(1).root;
    } else {
      if (known !== undefined && known.wtxids.length >= 32 * n) {
        wtxids.set(known.wtxids.subarray(0, 32 * n));
      } else {
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
      }
      wtxids.fill(0, 0, 32); // the coinbase's wtxid is taken as zero (BIP141)
      root = merkleRoot(wtxids, n).root;
    }
    const pre = new Uint8Array(64);
    pre.set(root, 0);
    pre.set(raw.subarray(cb.witnessNonce, cb.witnessNonce + 32), 32);
    if (!equal(hash256(pre), 0, raw, cb.commitment)) return fail('bad-witness-merkle-match', true, 0);
  } else {
    for (let i = 0; i < n; i++) if (witness[i] === 1) return fail('unexpected-witness', true, i);
  }

  // --- duplicate txids anywhere (the merkle check only catches the duplicated tail) ---
  const dup = firstDuplicate(txids, n);
  if (dup >= 0) return fail('bad-txns-duplicate', false, dup);

  // --- weight (BIP141): 3 × stripped + total ---
  const weight = stripped * (WITNESS_SCALE - 1) + raw.length;
  if (weight > MAX_BLOCK_WEIGHT) return fail('bad-blk-weight', false);

  // --- BIP34: the coinbase's scriptSig starts with CScript() << height ---
  if (ctx.height >= p.bip34Height && !startsWithHeight(raw, cb.scriptSigStart, cb.scriptSigLen, ctx.height)) return fail('bad-cb-height', false, 0);

  // --- finality (IsFinalTx), BIP113 cutoff once CSV is active ---
  const time = readU32(raw, 68);
  const cutoff = ctx.height >= p.csvHeight ? ctx.prevMedianTimePast : time;
  for (let i = 0; i < n; i++) {
    const lock = readU32(raw, offs[4 * i + 1]! - 4);
    if (lock === 0 || lock < (lock < LOCKTIME_THRESHOLD ? ctx.height : cutoff)) continue;
    if (!allInputsFinal(raw, offs[4 * i + 2]!)) return fail('bad-txns-nonfinal', false, i);
  }
  return { ok: true, txCount: n, weight };
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
