import { hash256 } from '../../wasm/hasher.js';
import type { ShortIdScan } from '../../wasm/short-ids.js';
import { txIds } from '../../wire/tx-id.js';

/**
 * Where a compact block's transactions are looked up: the relay cache (and any extra pool of
 * recently seen transactions, as Core's extra-txn pool, bitcoin/bitcoin#9499).
 *
 * Designed so the relay cache (src/relay/relay-cache.ts) serves it without building anything per
 * transaction: its wtxids already sit back to back in one Uint8Array indexed by ring slot
 * (`widBytes`), and a slot's frame is kept as it arrived. The rebuild hashes the whole wtxid
 * array into short ids in one WASM call (Core scans its mempool the same way,
 * src/blockencodings.cpp InitData) and reads only the slots whose short id is in the block.
 *
 * The id chunks (ShortIdScan, src/wasm/short-ids.ts): slots 0 .. slotCount-1 are scanned, in chunks
 * of chunkSlots (the relay cache's slot chunks, whose slot numbers never move; a flat source is one
 * chunk). Its txids (the relay cache computed them once on arrival) save hashing every witness tx's
 * stripped form again for the merkle root; a wrong txid cannot make a bad block pass (the merkle
 * root would not match and the rebuild falls back to the full block). The
 * skip bytes leave out slots not worth hashing (free, not a transaction, or already in a block:
 * Core's mempool scan never sees confirmed transactions either).
 */
export interface TxSource extends ShortIdScan {
  /**
   * The memory slot s's serialized transaction (with witness) is in, at txOffset(s) for
   * txLength(s) bytes: no view per transaction. Undefined for a free slot or a non-tx item. Once
   * the source lets the bytes go, the memory reads as empty (length 0: src/relay/frame-slabs.ts).
   */
  txMemory(slot: number): Uint8Array | undefined;
  txOffset(slot: number): number;
  txLength(slot: number): number;
  /** The transaction's size without witness (BIP141), 0 if the source does not know it. */
  strippedSize(slot: number): number;
  /** Every slot's txid (the rebuilt block's txid tree needs no hashing of transactions). */
  txidChunk(c: number): Uint8Array;
}

/** A TxSource over a plain list (tests, benchmarks, small extra pools): one chunk. */
export class ListTxSource implements TxSource {
  readonly slotCount: number;
  readonly chunkSlots: number;
  private readonly wtxids: Uint8Array;
  private readonly txids: Uint8Array;
  private readonly stripped: Int32Array;
  private readonly txs: readonly Uint8Array[];

  /** `wtxids` (and `txids`, computed here if not given) hold the 32-byte ids of txs[i] at 32 i. */
  constructor(txs: readonly Uint8Array[], wtxids: Uint8Array, txids?: Uint8Array) {
    if (wtxids.length < 32 * txs.length || (txids !== undefined && txids.length < 32 * txs.length)) {
      throw new RangeError(`ListTxSource: ${txs.length} txs need ${32 * txs.length} id bytes`);
    }
    this.txs = txs;
    this.wtxids = wtxids;
    this.stripped = new Int32Array(txs.length);
    const ids = txids ?? new Uint8Array(32 * txs.length);
    txs.forEach((t, i) => {
      const got = txIds(t, hash256);
      this.stripped[i] = got.strippedSize;
      if (txids === undefined) ids.set(got.txid, 32 * i);
    });
    this.txids = ids;
    this.slotCount = txs.length;
    this.chunkSlots = Math.max(1, txs.length);
  }

  wtxidChunk(): Uint8Array {
    return this.wtxids;
  }
  txidChunk(): Uint8Array {
    return this.txids;
  }
  txMemory(slot: number): Uint8Array | undefined {
    return this.txs[slot];
  }
  txOffset(): number {
    return 0;
  }
  txLength(slot: number): number {
    return this.txs[slot]?.length ?? 0;
  }
  strippedSize(slot: number): number {
    return this.stripped[slot] ?? 0;
  }
}
