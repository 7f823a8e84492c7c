/**
 * Peers over in-memory sockets with a manual clock, made by the node's own PeerSet and wired to
 * the real parts a node gives them (verifier, scanner, batch dispatcher, inventory relay, write
 * scheduler); the parts that only keep books are stand-ins. No listening, no timers: tests drive
 * bytes in, turn the event loop, advance the clock and call the ticks.
 */
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../src/clock.js';
import type { OffenceId } from '../../src/ban/ban-policy.js';
import type { RelayError } from '../../src/errors.js';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import { Logger } from '../../src/log.js';
import { resolveConfig } from '../../src/node/config.js';
import type { RelayOptions } from '../../src/node/config.js';
import type { DisconnectReason, RelayEvents } from '../../src/types.js';
import { PeerRegistry } from '../../src/node/peer-registry.js';
import { PeerSet } from '../../src/node/peer-set.js';
import type { PeerLifecycle } from '../../src/node/peer-set.js';
import type { ConnKind } from '../../src/conn/conn-manager.js';
import { IdAllocator } from '../../src/util/id-allocator.js';
import { BatchDispatcher } from '../../src/peer/dispatch.js';
import type { Peer } from '../../src/peer/peer.js';
import { WriteScheduler } from '../../src/peer/writer.js';
import { Turns } from '../../src/peer/turns.js';
import type { FlowSink } from '../../src/peer/writer.js';
import { InventoryRelay } from '../../src/relay/inventory-relay.js';
import { v1Transport } from '../../src/transport/v1.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { decodePayload } from '../../src/wire/codec.js';
import type { Message } from '../../src/wire/codec.js';
import { commandId, NETWORKS, PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { MemSocket } from '../../bench/support/mem-socket.js';
import { frameOf, versionMessage } from './raw-peer.js';

export const MAGIC = NETWORKS.regtest.magic;
const scanner = new FrameScanner();

export interface Offence {
  peer: number;
  id: OffenceId | null;
  code: string | null;
  /** How many occurrences one punish call scored (1 for transport and decode errors). */
  count: number;
}

/** Splits bytes the node wrote into decoded messages (known commands only). */
export function messagesOf(bytes: Uint8Array): Message[] {
  const out: Message[] = [];
  let pos = 0;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (b.length - pos >= 24) {
    const len = b.readUInt32LE(pos + 16);
    let end = pos + 4;
    while (end < pos + 16 && b[end] !== 0) end++;
    const command = b.toString('latin1', pos + 4, end);
    if (commandId(command) > 0) out.push(decodePayload(command as never, b.subarray(pos + 24, pos + 24 + len), PROTOCOL_VERSION));
    pos += 24 + len;
  }
  return out;
}

export class PeerLab {
  readonly clock = new ManualClock();
  readonly config;
  readonly relay: InventoryRelay<Peer>;
  readonly peers = new PeerRegistry();
  readonly offences: Offence[] = [];
  readonly closed: { peer: number; reason: DisconnectReason }[] = [];
  readonly flows = { delivered: 0, deliveredBytes: 0, dropped: [] as { src: number; dst: number; reason: string; bytes: number }[] };
  private readonly peerSet: PeerSet;
  private nextPort = 1;

  /**
   * `verifier`: e.g. one with a worker pool, to put batches through the pool path; `onHeaders`:
   * where `headers` payloads go (e.g. a HeaderSync), dropped without it.
   */
  constructor(options: RelayOptions = {}, parts: { verifier?: FrameVerifier; onHeaders?: (peer: Peer, payload: Uint8Array) => void } = {}) {
    this.config = resolveConfig({ listen: null, http: null, logLevel: 'silent', network: 'regtest', ...options });
    this.relay = new InventoryRelay<Peer>(
      {
        clock: this.clock,
        peers: () => this.peers.values(),
        peerById: (id) => this.peers.get(id),
        onNewItem: () => {},
        onDuplicate: () => {},
        onOverflow: () => {},
      },
      this.config.relayCacheMaxBytes,
      { fallbackAfterMs: this.config.getdataTimeoutMs, stallAfterMs: this.config.stallTimeoutMs },
    );
    const flows: FlowSink = {
      delivered: (_src, _dst, bytes) => {
        this.flows.delivered++;
        this.flows.deliveredBytes += bytes;
      },
      dropped: (src, dst, reason, bytes) => this.flows.dropped.push({ src, dst, reason, bytes }),
    };
    const dispatcher = new BatchDispatcher<Peer>({
      relay: this.relay,
      onMessage: () => {},
      onBlock: (peer, bytes, off, len, hash) => this.relay.onBlock(peer, bytes, off, len, hash, 0, peer.mesh),
      onHeaders: (peer, payload) => parts.onHeaders?.(peer, payload),
      punish: (peer, id, count) => this.offences.push({ peer: peer.id, id, code: null, count }),
      wantsMessageEvents: () => false,
      emitMessage: () => {},
      countIn: () => {},
      addrBudget: () => Infinity,
      onAddrSkipped: () => {},
      onUndecodable: () => {},
    });
    // The node's own PeerSet, with stand-ins for the parts that only keep books.
    this.peerSet = new PeerSet({
      config: this.config,
      magic: MAGIC,
      clock: this.clock,
      log: new Logger('silent'),
      registry: this.peers,
      ids: new IdAllocator(this.clock, 1 << 20, 0),
      verifier: parts.verifier ?? new FrameVerifier(undefined, {}, scanner),
      scanner,
      transports: { transportFor: v1Transport },
      scheduler: new WriteScheduler(),
      turns: new Turns(),
      flows,
      dispatcher,
      relay: this.relay,
      flowTable: { registerPeer: () => {} },
      metrics: { messageOut: () => {}, setPeers: () => {}, setTransportPeers: () => {} },
      banMgr: { score: () => 0, isWhitelisted: () => false, release: () => {} },
      discipline: { onOffence: (peer: Peer, id: OffenceId | null, err: RelayError | null) => this.offences.push({ peer: peer.id, id, code: err?.code ?? null, count: 1 }) },
      gossip: { onEstablished: () => {}, onClosed: () => {} },
      events: new EventEmitter<RelayEvents>(),
      listenAddress: () => null,
      mesh: new Set<string>(),
    });
    this.peerSet.listen({ closed: (peer, reason) => this.closed.push({ peer: peer.id, reason }) });
  }

  /** Tells `l` of every peer established and closed, as the node's parts hear of them. */
  listen(l: PeerLifecycle): void {
    this.peerSet.listen(l);
  }

  /** A new peer on an in-memory socket; `kind`: what an outbound connection is for. */
  connect(direction: 'inbound' | 'outbound' = 'inbound', kind: ConnKind | null = null): { peer: Peer; socket: MemSocket } {
    const n = this.nextPort++;
    const socket = new MemSocket(`127.0.0.${n + 1}`, 40000 + n);
    const peer = this.peerSet.add(socket as never, `${socket.remoteAddress}:${socket.remotePort}`, direction, false, kind);
    return { peer, socket };
  }

  /**
   * A peer that completed the handshake and (unless `answerPing: false`) answered the ping the node
   * sends right after it; its bytes so far are taken.
   */
  async established(opts: { relay?: boolean; answerPing?: boolean; direction?: 'inbound' | 'outbound'; kind?: ConnKind } = {}): Promise<{ peer: Peer; socket: MemSocket }> {
    const c = this.connect(opts.direction ?? 'inbound', opts.kind ?? null);
    const v = versionMessage(BigInt(1000 + c.peer.id));
    c.socket.emit('data', Buffer.concat([frameOf(opts.relay === false ? { ...v, relay: false } as Message : v), frameOf({ command: 'verack' })]));
    await turn();
    if (!c.peer.established) throw new Error('handshake did not complete');
    const ping = messagesOf(c.socket.take()).find((m) => m.command === 'ping') as Extract<Message, { command: 'ping' }> | undefined;
    if (ping !== undefined && opts.answerPing !== false) {
      c.socket.emit('data', Buffer.from(frameOf({ command: 'pong', nonce: ping.nonce! })));
      await turn();
      c.socket.take();
    }
    return c;
  }

  tick(): void {
    const now = this.clock.now();
    for (const p of this.peers.list()) p.tick(now);
    this.relay.tick(now);
  }
}

/** One event-loop turn (the writers flush in setImmediate). */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export function send(socket: MemSocket, ...msgs: Message[]): void {
  socket.emit('data', Buffer.concat(msgs.map((m) => frameOf(m))));
}
