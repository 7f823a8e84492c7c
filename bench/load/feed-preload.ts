/**
 * Preloaded (`--import`) into the load harness's node by feeds.ts: once the node has started, one
 * async-iterator subscriber reads `relay.transactions()` in the node's own process, as an embedder
 * would. `LOAD_FEED_SUBSCRIBER=fast` reads as fast as items come; `slow` takes a timer turn per
 * item, far slower than the relay, so its buffer overflows and drops (counted). The figures are
 * answered over the IPC channel on `{ cmd: 'feeds' }`. The node itself is the unmodified CLI.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { RelayNode } from '../../src/node/relay-node.js';
import type { RelayStream, TxItem } from '../../src/streams/relay-streams.js';

export const FEED_ENV = 'LOAD_FEED_SUBSCRIBER';

export interface FeedReport {
  readonly evt: 'feeds';
  readonly received: number;
  readonly bytes: number;
  readonly dropped: number;
}

const mode = process.env[FEED_ENV];
if (mode === 'fast' || mode === 'slow') {
  const start = RelayNode.prototype.start;
  RelayNode.prototype.start = async function (this: RelayNode): Promise<void> {
    await start.call(this);
    const stream = this.transactions();
    let received = 0;
    let bytes = 0;
    process.on('message', (m: { cmd?: string }) => {
      if (m?.cmd === 'feeds') process.send?.({ evt: 'feeds', received, bytes, dropped: stream.dropped } satisfies FeedReport);
    });
    void consume(stream, mode === 'slow', (n) => {
      received++;
      bytes += n;
    });
  };
}

async function consume(stream: RelayStream<TxItem>, slow: boolean, count: (bytes: number) => void): Promise<void> {
  for await (const tx of stream) {
    count(tx.raw.byteLength);
    if (slow) await delay(5);
  }
}
