/**
 * Hostile and broken peers over real sockets: each is disconnected and banned by IP while the node
 * keeps serving others, and cannot come back until unbanned. Loopback has all of 127.0.0.0/8, so
 * each offender gets its own source address and bans do not hit the well-behaved peers.
 * First bytes that are not a v1 frame are a (failed) BIP324 v2 handshake: disconnect, no ban.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { NETWORKS } from '../../src/wire/constants.js';
import { RawPeer, eventually, frameOf, versionMessage } from '../helpers/raw-peer.js';

let node: RelayNode;
let port: number;

beforeAll(async () => {
  node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', targetOutbound: 0, onlynet: ['loopback'], workers: 1, poolMinBytes: 0, maxInbound: 8, handshakeTimeoutMs: 1500 });
  await node.start();
  port = Number(node.listenAddress!.split(':')[1]);
});

afterAll(() => node.stop());

const scanner = new FrameScanner();

const offenders: Array<[string, string, (p: RawPeer) => void]> = [
  [
    'wrong network magic after its version',
    '127.0.0.11',
    (p) => {
      p.send(versionMessage());
      p.write(frameOf({ command: 'ping', nonce: 1n }, NETWORKS.mainnet.magic));
    },
  ],
  [
    'a bad checksum',
    '127.0.0.12',
    (p) => {
      const f = frameOf(versionMessage()).slice();
      f[20] ^= 0x5a;
      p.write(f);
    },
  ],
  [
    'a header claiming more than 4 MB',
    '127.0.0.15',
    (p) => {
      p.send(versionMessage());
      const f = scanner.encodeFrame(NETWORKS.regtest.magic, 'tx', new Uint8Array(0)).slice();
      new DataView(f.buffer).setUint32(16, 0xffff_0000, true);
      p.write(f);
    },
  ],
];

/** First bytes that are not the v1 version prefix: the node takes them for a v2 handshake. */
const notV1: Array<[string, string, (p: RawPeer) => void]> = [
  ['wrong network magic', '127.0.0.16', (p) => p.write(frameOf(versionMessage(), NETWORKS.mainnet.magic))],
  ['an HTTP request', '127.0.0.13', (p) => p.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')],
  ['random bytes', '127.0.0.14', (p) => p.write(randomBytes(4096))],
  ['more random bytes than a v2 handshake may hold', '127.0.0.17', (p) => p.write(randomBytes(5000))],
];

describe('misbehaving peers', () => {
  for (const [what, ip, misbehave] of offenders) {
    it(`disconnects and bans a peer that sends ${what}, and refuses it until unbanned`, async () => {
      const good = await RawPeer.open(port, '127.0.0.2');
      await good.handshake();

      const bad = await RawPeer.open(port, ip);
      misbehave(bad);
      await bad.until(() => bad.closed, 'disconnect');
      await eventually(() => node.bans().some((b) => b.target === ip), 'ban recorded');

      // Banned: a new connection is closed before any handshake.
      const again = await RawPeer.open(port, ip);
      again.send(versionMessage());
      await again.until(() => again.closed, 'refused');
      expect(again.has('version')).toBe(false);

      // The well-behaved peer is still served.
      good.send({ command: 'ping', nonce: 99n });
      await good.until(() => good.received.some((m) => m.command === 'pong' && m.nonce === 99n), 'pong');
      good.close();

      expect(await node.unban(ip)).toBe(true);
      const back = await RawPeer.open(port, ip);
      await back.handshake();
      expect(back.closed).toBe(false);
      back.close();
    });
  }

  for (const [what, ip, misbehave] of notV1) {
    it(`disconnects a peer whose first bytes are ${what} without banning it (a failed v2 handshake, as in Core)`, async () => {
      const bad = await RawPeer.open(port, ip);
      misbehave(bad);
      await bad.until(() => bad.closed, 'disconnect');
      expect(node.bans().some((b) => b.target === ip)).toBe(false);
      const back = await RawPeer.open(port, ip);
      await back.handshake();
      expect(back.closed).toBe(false);
      back.close();
    });
  }

  it('does not score an empty notfound (btcd#1886) and answers ping with pong', async () => {
    const p = await RawPeer.open(port, '127.0.0.21');
    await p.handshake();
    p.send({ command: 'notfound', inventory: [] });
    p.send({ command: 'ping', nonce: 5n });
    await p.until(() => p.received.some((m) => m.command === 'pong'), 'pong');
    await eventually(() => node.peers().some((x) => x.addr.startsWith('127.0.0.21:')), 'peer listed');
    expect(node.peers().find((x) => x.addr.startsWith('127.0.0.21:'))!.banScore).toBe(0);
    p.close();
  });

  it('rejects a duplicate version and disconnects', async () => {
    const p = await RawPeer.open(port, '127.0.0.22');
    await p.handshake();
    p.send(versionMessage(777n));
    await p.until(() => p.closed, 'disconnect');
    expect(p.received.some((m) => m.command === 'reject' && m.code === 0x12)).toBe(true);
  });

  it('silent sockets cannot hold slots against a talking peer; the rest close at the handshake timeout; outbound still works', async () => {
    const silent = await Promise.all(Array.from({ length: 8 }, () => RawPeer.open(port, '127.0.0.31')));
    // Half of the 8 slots may be held by connections still in the handshake: the older silent
    // sockets were displaced by the younger ones.
    await eventually(() => silent.filter((s) => s.closed).length >= 4, 'silent sockets over the handshake budget displaced');
    // A peer that talks takes a slot from a silent one.
    const extra = await RawPeer.open(port, '127.0.0.32');
    await extra.handshake();
    expect(silent.filter((s) => s.closed).length).toBeGreaterThanOrEqual(5);
    extra.close();
    // Outbound connections do not use inbound slots.
    const other = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, onlynet: ['loopback'] });
    await other.start();
    try {
      node.connect(other.listenAddress!);
      await eventually(() => node.peers().some((p) => p.addr === other.listenAddress && p.state === 'established'), 'outbound established');
      for (const s of silent) await s.until(() => s.closed, 'handshake timeout', 10_000);
      const later = await RawPeer.open(port, '127.0.0.33');
      await later.handshake();
      later.close();
    } finally {
      node.disconnect(other.listenAddress!);
      await other.stop();
    }
  });
});
