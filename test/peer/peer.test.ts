/**
 * Peer unit tests over in-memory sockets and the manual clock: handshake, keep-alive, deadlines,
 * batch dispatch of several frames per read, and who gets blamed for what.
 */
import { describe, expect, it } from 'vitest';
import { RelayError } from '../../src/errors.js';
import { txIds } from '../../src/wire/tx-id.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import type { Message } from '../../src/wire/codec.js';
import { frameOf, versionMessage } from '../helpers/raw-peer.js';
import { messagesOf, PeerLab, send, turn } from '../helpers/peer-lab.js';
import { buildTx, type TxSpec } from '../wire/helpers.js';
import { TURN_BUDGET_BYTES } from '../../src/peer/turns.js';

const legacy = (tag: number): Uint8Array =>
  buildTx({ version: 2, inputs: [{ prevout: new Uint8Array(36).fill(tag), script: Uint8Array.of(0x51), sequence: 0 }], outputs: [{ value: 1000n, script: Uint8Array.of(0x51) }], lockTime: 0 });
const segwit = (tag: number): Uint8Array => {
  const spec: TxSpec = {
    version: 2,
    inputs: [{ prevout: new Uint8Array(36).fill(tag), script: new Uint8Array(0), sequence: 0xffffffff }],
    outputs: [{ value: 5000n, script: new Uint8Array(22).fill(tag) }],
    witnesses: [[new Uint8Array(71).fill(tag), new Uint8Array(33).fill(tag + 1)]],
    lockTime: 0,
  };
  return buildTx(spec);
};

describe('Peer handshake', () => {
  it('answers a peer of protocol version 60002 (python-bitcoinlib) with our own full version message', async () => {
    const lab = new PeerLab();
    const { peer, socket } = lab.connect();
    send(socket, { ...versionMessage(78n), protocolVersion: 60002, relay: undefined } as Message);
    await turn();
    const replies = messagesOf(socket.take());
    expect(replies.map((m) => m.command)).toEqual(['version', 'verack']);
    expect(replies[0]).toMatchObject({ protocolVersion: 70016, relay: true });
    expect(lab.closed).toEqual([]);
    send(socket, { command: 'verack' });
    await turn();
    expect(peer.established).toBe(true);
  });

  it('answers version with version, wtxidrelay, sendaddrv2, verack, and is established after verack', async () => {
    const lab = new PeerLab();
    const { peer, socket } = lab.connect();
    send(socket, versionMessage(77n));
    await turn();
    expect(messagesOf(socket.take()).map((m) => m.command)).toEqual(['version', 'wtxidrelay', 'sendaddrv2', 'verack']);
    expect(peer.established).toBe(false);
    send(socket, { command: 'verack' });
    await turn();
    expect(peer.established).toBe(true);
  });

  it('an outbound peer sends its version first', async () => {
    const lab = new PeerLab();
    const { socket } = lab.connect('outbound');
    await turn();
    expect(messagesOf(socket.take()).map((m) => m.command)).toEqual(['version']);
  });

  it('a first message other than version is rejected and the connection closed without score', async () => {
    const lab = new PeerLab();
    const { peer, socket } = lab.connect();
    send(socket, { command: 'ping', nonce: 1n });
    await turn();
    expect(peer.isClosed).toBe(true);
    expect(lab.closed).toEqual([{ peer: peer.id, reason: 'protocol' }]);
    expect(lab.offences).toEqual([{ peer: peer.id, id: null, code: null, count: 1 }]);
  });

  it('closes at the handshake deadline on the manual clock, not before', async () => {
    const lab = new PeerLab({ handshakeTimeoutMs: 5000 });
    const { peer } = lab.connect();
    lab.clock.advance(4999);
    lab.tick();
    expect(peer.isClosed).toBe(false);
    lab.clock.advance(1);
    lab.tick();
    expect(lab.closed).toEqual([{ peer: peer.id, reason: 'handshake_timeout' }]);
  });

  it('a second version after the handshake is a duplicate: reject, offence, disconnect', async () => {
    const lab = new PeerLab();
    const { peer, socket } = await lab.established();
    send(socket, versionMessage(5n));
    await turn();
    expect(messagesOf(socket.take()).map((m) => m.command)).toContain('reject');
    expect(lab.offences.map((o) => o.id)).toEqual(['DUPLICATE_VERSION']);
    expect(lab.closed[0]).toEqual({ peer: peer.id, reason: 'duplicate' });
  });
});

describe('Peer keep-alive and deadlines', () => {
  it('answers ping with pong; pings on the ping interval and records the RTT', async () => {
    const lab = new PeerLab({ pingIntervalMs: 60_000 });
    const { peer, socket } = await lab.established();
    send(socket, { command: 'ping', nonce: 42n });
    await turn();
    expect(messagesOf(socket.take())).toEqual([{ command: 'pong', nonce: 42n }]);
    lab.clock.advance(60_000);
    lab.tick();
    await turn();
    const ping = messagesOf(socket.take()).find((m) => m.command === 'ping') as Extract<Message, { command: 'ping' }>;
    expect(ping).toBeDefined();
    lab.clock.advance(15);
    send(socket, { command: 'pong', nonce: ping.nonce! });
    await turn();
    expect(peer.stats.pingMs).toBe(15);
  });

  it('closes an idle peer at the idle timeout', async () => {
    const lab = new PeerLab({ idleTimeoutMs: 10_000, pingIntervalMs: 1_000_000 });
    const { peer } = await lab.established();
    lab.clock.advance(9_999);
    lab.tick();
    expect(peer.isClosed).toBe(false);
    lab.clock.advance(1);
    lab.tick();
    expect(lab.closed).toEqual([{ peer: peer.id, reason: 'idle_timeout' }]);
  });
});

describe('Peer announcements', () => {
  it('trickles transaction announcements at the trickle deadline on the manual clock, not before', async () => {
    const lab = new PeerLab({ trickleIntervalMs: 4000, pingIntervalMs: 1_000_000 });
    const src = await lab.established();
    const sink = await lab.established();
    src.socket.emit('data', frameOf({ command: 'tx', raw: legacy(1) }));
    await turn();
    lab.clock.advance(3999);
    lab.tick();
    await turn();
    expect(messagesOf(sink.socket.take()).filter((m) => m.command === 'inv')).toEqual([]);
    lab.clock.advance(1);
    lab.tick();
    await turn();
    const invs = messagesOf(sink.socket.take()).filter((m) => m.command === 'inv') as Extract<Message, { command: 'inv' }>[];
    expect(invs.map((m) => m.inventory.length)).toEqual([1]);
  });
});

describe('Peer batch dispatch', () => {
  it('takes many frames of one read in one pass, in order, with txids hashed once per batch', async () => {
    const lab = new PeerLab({ trickleIntervalMs: 0 });
    const src = await lab.established();
    const sink = await lab.established();
    const txs = [legacy(1), segwit(2), legacy(3), segwit(4), segwit(5)];
    src.socket.emit('data', Buffer.concat(txs.map((raw) => frameOf({ command: 'tx', raw }))));
    await turn();
    // Every tx is cached under its txid and its wtxid, as computed independently here, with its
    // size without witness (what a rebuilt block's weight is summed from).
    for (const raw of txs) {
      const { txid, wtxid, strippedSize } = txIds(raw, nodeHash256);
      expect(lab.relay.cache.has(txid), 'txid').toBe(true);
      expect(lab.relay.cache.has(wtxid), 'wtxid').toBe(true);
      expect(lab.relay.cache.strippedSize(lab.relay.cache.find(txid, 0)), 'stripped size').toBe(strippedSize);
    }
    // Witness txs are smaller without it, legacy ones are not.
    expect(txs.map((raw) => txIds(raw, nodeHash256).strippedSize < raw.length)).toEqual([false, true, false, true, true]);
    // The sink got one inv for all of them, by txid (it did not ask for wtxid relay).
    const invs = messagesOf(sink.socket.take()).filter((m) => m.command === 'inv') as Extract<Message, { command: 'inv' }>[];
    expect(invs).toHaveLength(1);
    expect(invs[0]!.inventory.map((it) => Buffer.from(it.hash).toString('hex'))).toEqual(txs.map((raw) => Buffer.from(txIds(raw, nodeHash256).txid).toString('hex')));
  });

  it('a malformed tx costs its sender MALFORMED_PAYLOAD; the good frames around it are still handled', async () => {
    const lab = new PeerLab();
    const src = await lab.established();
    const bad = legacy(9).subarray(0, 20);
    src.socket.emit('data', Buffer.concat([frameOf({ command: 'tx', raw: legacy(8) }), frameOf({ command: 'tx', raw: bad }), frameOf({ command: 'ping', nonce: 3n })]));
    await turn();
    expect(lab.relay.cache.has(txIds(legacy(8), nodeHash256).txid)).toBe(true);
    expect(lab.offences.map((o) => [o.id, o.code])).toEqual([['MALFORMED_PAYLOAD', 'ERR_PAYLOAD_TRUNCATED']]);
    expect(messagesOf(src.socket.take())).toEqual([{ command: 'pong', nonce: 3n }]);
  });

  it('a bad checksum is the peer\'s fault; a pool failure is ours and costs no score', async () => {
    const lab = new PeerLab();
    const a = await lab.established();
    const f = frameOf({ command: 'ping', nonce: 1n });
    f[20] ^= 0xff;
    a.socket.emit('data', f);
    await turn();
    expect(lab.offences.map((o) => o.id)).toEqual(['BAD_CHECKSUM']);

    const b = await lab.established();
    const before = lab.offences.length;
    // What the stream decoder reports when a pool task fails: an ERR_POOL_* error, fatal.
    (b.peer as unknown as { onTransportError(e: RelayError, fatal: boolean): void }).onTransportError(new RelayError('ERR_POOL_WORKER_CRASHED', 'worker died'), true);
    expect(lab.offences.length).toBe(before);
    expect(lab.closed.at(-1)).toEqual({ peer: b.peer.id, reason: 'local' });
  });
});

describe('Peer fair service', () => {
  it('stops reading a peer past its per-turn input budget and resumes it next turn', async () => {
    const lab = new PeerLab({ receiveRateBytesPerSec: 0 });
    const { peer, socket } = await lab.established();
    const ping = frameOf({ command: 'ping', nonce: 1n });
    const flood = Buffer.concat(Array.from({ length: Math.ceil(TURN_BUDGET_BYTES / ping.length) + 1 }, () => ping));
    socket.emit('data', flood);
    expect(socket.paused).toBe(true);
    expect(peer.readingInput).toBe(false);
    await turn();
    expect(socket.paused).toBe(false);
    // The input it had was handled in full: one pong per ping.
    expect(messagesOf(socket.take()).filter((m) => m.command === 'pong').length).toBe(flood.length / ping.length);
  });
});

describe('unsolicited notfound', () => {
  it('scores each entry we never asked for by its inventory type, as btcd OnNotFound does', async () => {
    const lab = new PeerLab();
    const { peer, socket } = await lab.established();
    const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b);
    send(socket, {
      command: 'notfound',
      inventory: [
        { type: 1, hash: hash(1) },
        { type: 0x40000001, hash: hash(2) },
        { type: 5, hash: hash(3) },
        { type: 2, hash: hash(4) },
        { type: 0x40000002, hash: hash(5) },
      ],
    });
    await turn();
    expect(lab.offences.filter((o) => o.peer === peer.id)).toEqual([
      { peer: peer.id, id: 'NOTFOUND_BLOCK', code: null, count: 2 },
      { peer: peer.id, id: 'NOTFOUND_TX', code: null, count: 3 },
    ]);
    send(socket, { command: 'notfound', inventory: [{ type: 77, hash: hash(6) }] });
    await turn();
    expect(lab.offences.at(-1)).toEqual({ peer: peer.id, id: 'NOTFOUND_UNKNOWN_TYPE', code: null, count: 1 });
  });
});

describe('ping timeout', () => {
  it('closes a peer that leaves our ping unanswered for 20 minutes, and sends no new ping meanwhile (Core TIMEOUT_INTERVAL)', async () => {
    const lab = new PeerLab({ idleTimeoutMs: 3_600_000, pingIntervalMs: 120_000 });
    const { peer, socket } = await lab.established({ answerPing: false });
    // The handshake sent the first ping; the peer keeps talking but never answers it.
    for (let minute = 1; minute < 20; minute++) {
      lab.clock.advance(60_000);
      send(socket, { command: 'pong', nonce: 1n });
      await turn();
      lab.tick();
    }
    expect(messagesOf(socket.take()).filter((m) => m.command === 'ping')).toEqual([]);
    expect(peer.isClosed).toBe(false);
    lab.clock.advance(60_000);
    lab.tick();
    expect(lab.closed).toEqual([{ peer: peer.id, reason: 'ping_timeout' }]);
  });

  it('a peer that answers keeps being pinged on the interval', async () => {
    const lab = new PeerLab({ idleTimeoutMs: 3_600_000, pingIntervalMs: 120_000 });
    const { peer, socket } = await lab.established();
    for (let round = 0; round < 15; round++) {
      lab.clock.advance(120_000);
      lab.tick();
      await turn();
      const pings = messagesOf(socket.take()).filter((m) => m.command === 'ping') as Array<{ command: 'ping'; nonce: bigint }>;
      expect(pings).toHaveLength(1);
      send(socket, { command: 'pong', nonce: pings[0]!.nonce });
      await turn();
    }
    expect(peer.isClosed).toBe(false);
  });
});
