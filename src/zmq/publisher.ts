/**
 * ZMQ notifications in Bitcoin Core's format (doc/zmq.md, src/zmq/zmqpublishnotifier.cpp): PUB
 * sockets, one per distinct endpoint, each message three parts
 *
 *     topic | body | 4-byte little-endian sequence number (per topic and endpoint, from 0)
 *
 * Bodies: `rawtx` the serialized transaction, `hashtx` its txid, `rawblock` the serialized block,
 * `hashblock` its hash, `sequence` a hash plus a label (`A`/`R` + 8-byte LE sequence for a
 * transaction entering/leaving, `C` for a block). Hashes go out in display order, reversed from
 * the internal order, as Core sends them (the byte order doc/zmq.md states since PR #31862).
 *
 * Meaning for a relay (docs/rpc-zmq.md): `rawtx`/`hashtx` fire when a transaction is first relayed,
 * not on mempool acceptance; `sequence` `A`/`R` mean entering and leaving the relay cache; `C` a
 * block first relayed. The transactions of a block are not published again: a relay does not
 * connect blocks.
 *
 * The relay never waits on a socket. Each endpoint has a bounded queue in front of its socket;
 * past it the oldest message is dropped and counted (`wirerelay_feed_dropped_total{feed="zmq_<topic>"}`).
 * A subscriber that reads slowly is also cut by ZMQ's own high-water mark, which drops silently:
 * the subscriber sees the gap in the sequence numbers, as with Core.
 */
import type { Publisher } from 'zeromq';
import { RelayError } from '../errors.js';
import { ZMQ_TOPIC_OPTIONS } from './topics.js';
import type { RelayConfig } from '../types.js';
import type { BlockItem, TxItem } from '../streams/relay-streams.js';

export type ZmqTopic = (typeof ZMQ_TOPIC_OPTIONS)[number][0];

/** Messages waiting for one socket before the oldest is dropped. */
export const ZMQ_QUEUE_MAX = 8192;

export interface ZmqSource {
  on(event: 'tx', fn: (item: TxItem) => void): unknown;
  on(event: 'block', fn: (item: BlockItem) => void): unknown;
  on(event: 'evict', fn: (item: { kind: 'tx' | 'block'; id: string }) => void): unknown;
  off(event: 'tx', fn: (item: TxItem) => void): unknown;
  off(event: 'block', fn: (item: BlockItem) => void): unknown;
  off(event: 'evict', fn: (item: { kind: 'tx' | 'block'; id: string }) => void): unknown;
}

interface Notifier {
  readonly topic: ZmqTopic;
  readonly topicBytes: Buffer;
  readonly endpoint: Endpoint;
  seq: number;
  dropped: number;
}

interface Queued {
  readonly parts: [Buffer, Uint8Array, Buffer];
  readonly notifier: Notifier;
}

class Endpoint {
  private readonly queue: Queued[] = [];
  private head = 0;
  private sending = false;
  private closed = false;

  constructor(
    readonly address: string,
    readonly socket: Publisher,
  ) {}

  enqueue(q: Queued): void {
    if (this.closed) return;
    if (this.queue.length - this.head >= ZMQ_QUEUE_MAX) {
      const old = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Queued;
      old.notifier.dropped++;
    }
    this.queue.push(q);
    if (!this.sending) void this.pump();
  }

  /** Sends in order, one send in flight (zeromq.js allows only one per socket). */
  private async pump(): Promise<void> {
    this.sending = true;
    try {
      while (this.head < this.queue.length && !this.closed) {
        const q = this.queue[this.head]!;
        this.queue[this.head++] = undefined as unknown as Queued;
        try {
          await this.socket.send(q.parts);
        } catch {
          q.notifier.dropped++;
        }
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
      }
      this.queue.length = 0;
      this.head = 0;
    } finally {
      this.sending = false;
    }
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}

export class ZmqPublisher {
  private readonly notifiers: Notifier[] = [];
  private readonly endpoints: Endpoint[] = [];
  private readonly byTopic = new Map<ZmqTopic, Notifier[]>();
  /** Core's mempool sequence (txmempool.h m_sequence_number): starts at 1, one per A or R. */
  private mempoolSeq = 1n;
  private source: ZmqSource | null = null;

  /** True when the config names at least one ZMQ endpoint. */
  static configured(config: RelayConfig): boolean {
    return ZMQ_TOPIC_OPTIONS.some(([, list]) => config[list].length > 0);
  }

  /** Binds every configured endpoint (throws RelayError ERR_ZMQ naming the option), then listens on `source`. */
  static async start(config: RelayConfig, source: ZmqSource): Promise<ZmqPublisher> {
    const pub = new ZmqPublisher();
    // Loaded here, not at import: a node without ZMQ endpoints never loads the native addon.
    const { Publisher } = await import('zeromq');
    try {
      const byAddress = new Map<string, Endpoint>();
      for (const [topic, list, hwmKey] of ZMQ_TOPIC_OPTIONS) {
        for (const address of config[list]) {
          let ep = byAddress.get(address);
          if (ep === undefined) {
            // As Core: the first notifier on an address sets its socket's options.
            const socket = new Publisher({ sendHighWaterMark: config[hwmKey], tcpKeepalive: 1, ipv6: true, linger: 0 });
            ep = new Endpoint(address, socket);
            byAddress.set(address, ep);
            pub.endpoints.push(ep);
            try {
              await socket.bind(address);
            } catch (err) {
              throw new RelayError('ERR_ZMQ', `${list}: cannot bind ${address}: ${(err as Error).message}`, { option: list, address }, { cause: err });
            }
          }
          const n: Notifier = { topic, topicBytes: Buffer.from(topic, 'ascii'), endpoint: ep, seq: 0, dropped: 0 };
          pub.notifiers.push(n);
          const l = pub.byTopic.get(topic) ?? [];
          l.push(n);
          pub.byTopic.set(topic, l);
        }
      }
    } catch (err) {
      pub.close();
      throw err;
    }
    pub.attach(source);
    return pub;
  }

  private readonly onTx = (item: TxItem): void => {
    const raw = this.byTopic.get('rawtx');
    if (raw !== undefined) this.publish(raw, item.raw);
    const hash = this.byTopic.get('hashtx');
    const seq = this.byTopic.get('sequence');
    if (hash === undefined && seq === undefined) return;
    const id = Buffer.from(item.txid, 'hex');
    if (hash !== undefined) this.publish(hash, id);
    if (seq !== undefined) this.publish(seq, this.sequenceBody(id, 0x41 /* A */, true));
  };

  private readonly onBlock = (item: BlockItem): void => {
    const raw = this.byTopic.get('rawblock');
    if (raw !== undefined) this.publish(raw, item.raw);
    const hash = this.byTopic.get('hashblock');
    const seq = this.byTopic.get('sequence');
    if (hash === undefined && seq === undefined) return;
    const id = Buffer.from(item.hash, 'hex');
    if (hash !== undefined) this.publish(hash, id);
    if (seq !== undefined) this.publish(seq, this.sequenceBody(id, 0x43 /* C */, false));
  };

  private readonly onEvict = (item: { kind: 'tx' | 'block'; id: string }): void => {
    if (item.kind !== 'tx') return;
    const seq = this.byTopic.get('sequence');
    if (seq !== undefined) this.publish(seq, this.sequenceBody(Buffer.from(item.id, 'hex'), 0x52 /* R */, true));
  };

  /** hash (32, display order) | label | (A/R only) 8-byte LE mempool sequence. */
  private sequenceBody(hash: Buffer, label: number, withSeq: boolean): Buffer {
    const body = Buffer.allocUnsafe(withSeq ? 41 : 33);
    hash.copy(body, 0, 0, 32);
    body[32] = label;
    if (withSeq) body.writeBigUInt64LE(this.mempoolSeq++, 33);
    return body;
  }

  private publish(notifiers: readonly Notifier[], body: Uint8Array): void {
    for (const n of notifiers) {
      const seq = Buffer.allocUnsafe(4);
      seq.writeUInt32LE(n.seq, 0);
      n.seq = (n.seq + 1) >>> 0;
      n.endpoint.enqueue({ parts: [n.topicBytes, body, seq], notifier: n });
    }
  }

  private attach(source: ZmqSource): void {
    this.source = source;
    if (this.byTopic.has('rawtx') || this.byTopic.has('hashtx') || this.byTopic.has('sequence')) source.on('tx', this.onTx);
    if (this.byTopic.has('rawblock') || this.byTopic.has('hashblock') || this.byTopic.has('sequence')) source.on('block', this.onBlock);
    if (this.byTopic.has('sequence')) source.on('evict', this.onEvict);
  }

  /** The bound endpoints (as configured). */
  get addresses(): string[] {
    return this.endpoints.map((e) => e.address);
  }

  /** Messages dropped before reaching ZMQ (queue full or send failed), per topic. */
  drops(): Array<{ readonly feed: string; readonly dropped: number }> {
    const per = new Map<string, number>();
    for (const n of this.notifiers) per.set(n.topic, (per.get(n.topic) ?? 0) + n.dropped);
    return [...per].map(([t, d]) => ({ feed: `zmq_${t}`, dropped: d }));
  }

  close(): void {
    const s = this.source;
    this.source = null;
    if (s !== null) {
      s.off('tx', this.onTx);
      s.off('block', this.onBlock);
      s.off('evict', this.onEvict);
    }
    for (const e of this.endpoints) e.close();
  }
}
