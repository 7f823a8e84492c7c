/**
 * The relay cache as a TxSource: its wtxid, txid and scan-skip chunks are used as they are (slot
 * numbers never move, src/relay/relay-cache.ts), and a slot's transaction is its cached frame
 * minus the 24-byte header, read where it lies. Nothing is built per transaction.
 */
import { CACHE_CHUNK_SLOTS } from '../../relay/relay-cache.js';
import type { RelayCache } from '../../relay/relay-cache.js';
import { HEADER_SIZE } from '../../wire/constants.js';
import type { TxSource } from './tx-source.js';

export class RelayCacheTxSource implements TxSource {
  readonly chunkSlots = CACHE_CHUNK_SLOTS;

  constructor(private readonly cache: RelayCache) {}

  get slotCount(): number {
    return this.cache.capacity;
  }
  wtxidChunk(c: number): Uint8Array {
    return this.cache.widChunk(c * CACHE_CHUNK_SLOTS);
  }
  txidChunk(c: number): Uint8Array {
    return this.cache.idChunk(c * CACHE_CHUNK_SLOTS);
  }
  skipChunk(c: number): Uint8Array | null {
    const first = c * CACHE_CHUNK_SLOTS;
    return this.cache.scanCount(first) === 0 ? null : this.cache.scanSkipChunk(first);
  }
  txMemory(slot: number): Uint8Array | undefined {
    // A free slot (or a block) has no transaction; its stale ids are ignored here.
    if (!this.cache.isLive(slot) || !this.cache.isTx(slot)) return undefined;
    return this.cache.frameMemory(slot);
  }
  txOffset(slot: number): number {
    return this.cache.frameOffset(slot) + HEADER_SIZE;
  }
  txLength(slot: number): number {
    return this.cache.frameLength(slot) - HEADER_SIZE;
  }
  strippedSize(slot: number): number {
    return this.cache.strippedSize(slot);
  }
}
