/**
 * The relay cache as a TxSource: its wtxid and txid arrays are used as they are (indexed by ring
 * slot), and a slot's transaction is its cached frame minus the 24-byte header. Nothing is built
 * per transaction; the arrays are re-read on every rebuild because the cache replaces them when
 * it grows.
 */
import type { RelayCache } from '../../relay/relay-cache.js';
import { HEADER_SIZE } from '../../wire/constants.js';
import type { TxSource } from './tx-source.js';

export class RelayCacheTxSource implements TxSource {
  constructor(private readonly cache: RelayCache) {}

  get slotCount(): number {
    return this.cache.widBytes.length / 32;
  }
  get wtxids(): Uint8Array {
    return this.cache.widBytes;
  }
  get txids(): Uint8Array {
    return this.cache.idBytes;
  }
  tx(slot: number): Uint8Array | undefined {
    if (!this.cache.isTx(slot)) return undefined;
    // An evicted slot has no frame; its stale ids are ignored here.
    const frame = this.cache.frame(slot) as Uint8Array | undefined;
    return frame === undefined ? undefined : frame.subarray(HEADER_SIZE);
  }
}
