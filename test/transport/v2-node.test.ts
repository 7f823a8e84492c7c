/**
 * BIP324 between real nodes on loopback TCP: v2 relay, fallback to a v1-only node, v1 and v2 on
 * one port, decoys, rekeying over 1,000 messages each way, and a tampered packet.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { V2Session, type V2Message } from '../../src/transport/v2/session.js';
import { decodePayload, encodePayload, type Message } from '../../src/wire/codec.js';
import { NODE_P2P_V2, PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { RawPeer, REGTEST, eventually, frameOf, versionMessage } from '../helpers/raw-peer.js';
import type { InvMessage } from '../../src/wire/messages/inv.js';
import { parseExposition, value } from '../helpers/prometheus.js';
import { messagesOf } from '../helpers/v2-messages.js';

const nodes: RelayNode[] = [];

async function startNode(opts: RelayOptions = {}): Promise<RelayNode> {
  const node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, trickleIntervalMs: 0, targetOutbound: 0, retryBaseMs: 50, ...opts });
  nodes.push(node);
  await node.start();
  return node;
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

function rawTx(tag: number): Uint8Array {
  const b: number[] = [2, 0, 0, 0, 1];
  for (let i = 0; i < 32; i++) b.push((tag + i) & 0xff);
  b.push(0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0x50, 0xc3, 0, 0, 0, 0, 0, 0, 1, 0x51, 0, 0, 0, 0);
  return new Uint8Array(b);
}

const established = (n: RelayNode, k = 1): boolean => n.peers().filter((p) => p.state === 'established').length >= k;
const portOf = (n: RelayNode): number => Number(n.listenAddress!.split(':')[1]);

/** A v2 initiator over a real socket, driven by the project's V2Session. */
class V2Client {
  readonly received: Message[] = [];
  decoys = 0;
  closed = false;
  readonly session: V2Session;

  private constructor(readonly socket: Socket, decoys: number[]) {
    this.session = new V2Session({ initiating: true, magic: REGTEST, decoys });
    socket.on('data', (chunk: Buffer) => {
      const out = this.session.receive(chunk);
      if (out.send) socket.write(out.send);
      this.decoys += out.decoys;
      for (const m of messagesOf(out)) this.received.push(decodePayload(m.command, m.payload, PROTOCOL_VERSION));
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
    socket.write(this.session.start()!);
  }

  static open(port: number, decoys: number[] = []): Promise<V2Client> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(new V2Client(s, decoys)));
      s.once('error', reject);
    });
  }

  /** Sealed bytes for messages (queued by the session until the keys exist). */
  bytes(msgs: Message[]): Uint8Array | undefined {
    return this.session.send(msgs.map((m): V2Message => ({ command: m.command, payload: encodePayload(m, PROTOCOL_VERSION) })));
  }

  send(...msgs: Message[]): void {
    const b = this.bytes(msgs);
    if (b) this.socket.write(b);
  }

  count(command: string): number {
    return this.received.filter((m) => m.command === command).length;
  }

  async handshake(): Promise<void> {
    this.send(versionMessage(777n, '/v2-client:0.1/'));
    await eventually(() => this.count('version') === 1 && this.count('verack') === 1, 'version and verack over v2');
    this.send({ command: 'verack' });
  }
}

describe('BIP324 v2 between nodes on loopback', () => {
  it('two wirerelay nodes speak v2, show the same session id, and relay a transaction', async () => {
    const a = await startNode();
    const b = await startNode({ connect: [a.listenAddress!] });
    await eventually(() => established(a) && established(b), 'handshake');
    const pa = a.peers()[0]!;
    const pb = b.peers()[0]!;
    expect(pa.transport).toBe('v2');
    expect(pb.transport).toBe('v2');
    expect(pa.sessionId).toMatch(/^[0-9a-f]{64}$/);
    expect(pa.sessionId).toBe(pb.sessionId);
    // Both advertise NODE_P2P_V2 in their version message.
    expect(BigInt(pa.services) & NODE_P2P_V2).toBe(NODE_P2P_V2);
    expect(BigInt(pb.services) & NODE_P2P_V2).toBe(NODE_P2P_V2);
    const seen = new Promise<string>((resolve) => b.once('tx', (t) => resolve(t.txid)));
    const { txid } = a.relayTransaction(rawTx(1));
    expect(await seen).toBe(txid);
    // As on v1, a relayed item counts its v1 frame once the socket took it; the key exchange and
    // the sealing overhead are no relayed bytes.
    const frameBytes = 24 + rawTx(1).length;
    await eventually(() => a.status().relayed.messages >= 1, 'relayed counted');
    expect(a.status().relayed).toEqual({ messages: 1, bytes: frameBytes });
    expect(a.peers()[0]!.bytesSentPerMsg['tx']).toBe(frameBytes);
    const families = parseExposition(await a.metricsText());
    expect(value(families, 'wirerelay_peers_by_transport', { transport: 'v2' })).toBe(1);
    // The flow table names the transport of both ends.
    const c = await startNode({ transport: 'v1only', connect: [b.listenAddress!] });
    await eventually(() => established(b, 2) && established(c), 'c up');
    const seenAtC = new Promise<string>((resolve) => c.once('tx', (t) => resolve(t.txid)));
    const second = a.relayTransaction(rawTx(9));
    expect(await seenAtC).toBe(second.txid);
    const flow = b.flows(10, 'bytes').find((f) => f.src === a.listenAddress)!;
    expect(flow.srcTransport).toBe('v2');
    expect(flow.dstTransport).toBe('v1');
  });

  it('a v2 node dialling a v1-only node falls back to v1, remembers it, and relays', async () => {
    const old = await startNode({ transport: 'v1only' });
    const b = await startNode({ connect: [old.listenAddress!] });
    await eventually(() => established(old) && established(b), 'fallback handshake', 20_000);
    expect(b.peers()[0]!.transport).toBe('v1');
    expect(b.peers()[0]!.sessionId).toBeNull();
    expect(BigInt(old.peers()[0]!.services) & NODE_P2P_V2).toBe(NODE_P2P_V2);
    expect(BigInt(b.peers()[0]!.services) & NODE_P2P_V2).toBe(0n);
    const seen = new Promise<string>((resolve) => old.once('tx', (t) => resolve(t.txid)));
    const { txid } = b.relayTransaction(rawTx(2));
    expect(await seen).toBe(txid);
    // And the other way: a v1-only node dialling a v2 node is served v1 on the same port.
    const c = await startNode({ transport: 'v1only', connect: [b.listenAddress!] });
    await eventually(() => established(c) && established(b, 2), 'v1 inbound at a v2 node');
    expect(b.peers().find((p) => p.direction === 'inbound')!.transport).toBe('v1');
  });

  it('one listening port serves a v1 peer and a v2 peer at once', async () => {
    const a = await startNode();
    const v1 = await RawPeer.open(portOf(a), '127.0.0.21');
    await v1.handshake();
    const v2 = await V2Client.open(portOf(a));
    await v2.handshake();
    await eventually(() => established(a, 2), 'both established');
    expect(a.peers().map((p) => p.transport).sort()).toEqual(['v1', 'v2']);
    expect(a.peers().find((p) => p.transport === 'v2')!.sessionId).toBe(Buffer.from(v2.session.sessionId!).toString('hex'));
    // A transaction from the v1 peer reaches the v2 peer (announced by inv).
    v1.send({ command: 'tx', raw: rawTx(3) } as Message);
    await eventually(() => v2.count('inv') >= 1, 'inv over v2');
    v1.close();
    v2.socket.destroy();
  });

  it('a tx relayed from a v2 peer reaches a v1 peer byte-identical to the frame a v1 peer relays', async () => {
    const a = await startNode();
    const v1 = await RawPeer.open(portOf(a), '127.0.0.23');
    const wire: Buffer[] = [];
    v1.socket.on('data', (c: Buffer) => wire.push(c));
    await v1.handshake();
    const v2 = await V2Client.open(portOf(a));
    await v2.handshake();
    await eventually(() => established(a, 2), 'both established');
    // The v1 peer asks for whatever it is offered.
    let asked = 0;
    const fetch = (): void => {
      const invs = v1.received.filter((m) => m.command === 'inv') as InvMessage[];
      for (; asked < invs.length; asked++) v1.send({ command: 'getdata', inventory: invs[asked]!.inventory } as Message);
    };
    const fromV2 = rawTx(21);
    const fromV1 = rawTx(22);
    v2.send({ command: 'tx', raw: fromV2 } as Message);
    const v1Peer = await RawPeer.open(portOf(a), '127.0.0.24');
    await v1Peer.handshake();
    v1Peer.send({ command: 'tx', raw: fromV1 } as Message);
    const expected = [fromV2, fromV1].map((raw) => Buffer.from(frameOf({ command: 'tx', raw } as Message)));
    await eventually(() => {
      fetch();
      return expected.every((f) => Buffer.concat(wire).includes(f));
    }, 'both txs, byte for byte');
    v1.close();
    v1Peer.close();
    v2.socket.destroy();
  });

  it('a v2only node refuses a v1 peer, counted, and still serves v2', async () => {
    const a = await startNode({ transport: 'v2only' });
    const v1 = await RawPeer.open(portOf(a), '127.0.0.22');
    v1.send(versionMessage());
    await v1.until(() => v1.closed, 'v1 refused');
    expect(v1.has('version')).toBe(false);
    const families = parseExposition(await a.metricsText());
    expect(value(families, 'wirerelay_v2_failures_total', { reason: 'v1-refused' })).toBe(1);
    const v2 = await V2Client.open(portOf(a));
    await v2.handshake();
    v2.socket.destroy();
  });

  it('counts a handshake that never finishes (no-version) and endless garbage (garbage-too-long), without bans', async () => {
    const a = await startNode({ handshakeTimeoutMs: 400 });
    const silent = await RawPeer.open(portOf(a), '127.0.0.23');
    silent.write(new Uint8Array(64).fill(7)); // a key, then nothing
    const noisy = await RawPeer.open(portOf(a), '127.0.0.24');
    noisy.write(new Uint8Array(64 + 4095 + 16).fill(9)); // a key and garbage without a terminator
    const idle = await RawPeer.open(portOf(a), '127.0.0.25'); // sends nothing: not known to be v2
    await silent.until(() => silent.closed, 'timeout');
    await noisy.until(() => noisy.closed, 'garbage');
    await idle.until(() => idle.closed, 'idle timeout');
    const families = parseExposition(await a.metricsText());
    expect(value(families, 'wirerelay_v2_failures_total', { reason: 'no-version' })).toBe(1);
    expect(value(families, 'wirerelay_v2_failures_total', { reason: 'truncated' })).toBe(0);
    expect(value(families, 'wirerelay_v2_failures_total', { reason: 'garbage-too-long' })).toBe(1);
    expect(a.bans()).toEqual([]);
  });

  it('a handshake the peer cuts short counts as truncated; one the node closes itself counts nothing', async () => {
    const a = await startNode();
    const truncated = async (): Promise<number | undefined> => value(parseExposition(await a.metricsText()), 'wirerelay_v2_failures_total', { reason: 'truncated' });
    const cut = await RawPeer.open(portOf(a), '127.0.0.26');
    cut.write(new Uint8Array(64).fill(5)); // a key, then the peer goes
    await eventually(() => (a.peers()[0]?.bytesIn ?? 0) >= 64, 'key received');
    cut.close();
    await eventually(() => a.peers().length === 0, 'peer gone');
    expect(await truncated()).toBe(1);
    const dropped = await RawPeer.open(portOf(a), '127.0.0.27');
    dropped.write(new Uint8Array(64).fill(6));
    await eventually(() => (a.peers()[0]?.bytesIn ?? 0) >= 64, 'key received');
    expect(a.disconnect(a.peers()[0]!.addr)).toBe(true);
    await dropped.until(() => dropped.closed, 'node closes it');
    expect(await truncated()).toBe(1);
  });

  it('ignores decoy packets before the version packet and between messages', async () => {
    const a = await startNode();
    const v2 = await V2Client.open(portOf(a), [0, 17, 3000]);
    v2.socket.write(v2.session.sendDecoy(5) ?? new Uint8Array(0));
    await v2.handshake();
    await eventually(() => established(a), 'established after decoys');
    v2.socket.write(v2.session.sendDecoy(100)!);
    v2.send({ command: 'ping', nonce: 42n } as Message);
    v2.socket.write(v2.session.sendDecoy(0)!);
    await eventually(() => v2.count('pong') === 1, 'pong after decoys');
    expect(a.peers()[0]!.state).toBe('established');
    v2.socket.destroy();
  });

  it('holds across 1,000 messages each way (both ciphers rekey four times per direction)', async () => {
    const a = await startNode();
    const v2 = await V2Client.open(portOf(a));
    await v2.handshake();
    for (let i = 1; i <= 1000; i++) v2.send({ command: 'ping', nonce: BigInt(i) } as Message);
    await eventually(() => v2.count('pong') === 1000, '1,000 pongs', 30_000);
    const nonces = v2.received.filter((m) => m.command === 'pong').map((m) => (m as { nonce: bigint }).nonce);
    expect(nonces).toEqual(Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)));
    expect(a.peers()[0]!.state).toBe('established');
    v2.socket.destroy();
  });

  it('a tampered packet disconnects the peer with the reason counted and no ban score', async () => {
    const a = await startNode();
    const v2 = await V2Client.open(portOf(a));
    await v2.handshake();
    await eventually(() => established(a), 'established');
    const bad = v2.bytes([{ command: 'ping', nonce: 9n } as Message])!;
    bad[bad.length - 20]! ^= 0x01;
    v2.socket.write(bad);
    await eventually(() => v2.closed, 'node drops the connection');
    const families = parseExposition(await a.metricsText());
    expect(value(families, 'wirerelay_v2_failures_total', { reason: 'bad-tag' })).toBe(1);
    expect(a.bans()).toEqual([]);
    // The same address may connect again at once.
    const again = await V2Client.open(portOf(a));
    await again.handshake();
    again.socket.destroy();
  });
});
