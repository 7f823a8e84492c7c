/**
 * Per-peer bounds over real sockets, fast versions of the issue-13 floods: what a peer sends past
 * a bound is ignored and counted under the bound's drop reason, and the node keeps serving.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import { MAX_PEER_ANNOUNCEMENTS, MAX_PEER_IN_FLIGHT } from '../../src/relay/inventory-relay.js';
import type { Message } from '../../src/wire/codec.js';
import { RawPeer, eventually } from '../helpers/raw-peer.js';

let node: RelayNode;
let port: number;

beforeAll(async () => {
  node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, targetOutbound: 0 });
  await node.start();
  port = Number(node.listenAddress!.split(':')[1]);
});
afterAll(() => node.stop());

const dropsOf = (addr: string, reason: string): number => node.flows(1000, 'bytes').find((f) => f.src === addr && f.dst === addr)?.drops[reason] ?? 0;

describe('per-peer bounds', () => {
  it('inv flood: announcements past the per-peer bound are ignored and counted (inv_overflow)', async () => {
    const p = await RawPeer.open(port, '127.0.0.91');
    await p.handshake();
    const total = 1000 * Math.ceil((MAX_PEER_IN_FLIGHT + MAX_PEER_ANNOUNCEMENTS + 2000) / 1000);
    for (let i = 0; i < total; i += 1000) {
      p.send({ command: 'inv', inventory: Array.from({ length: 1000 }, () => ({ type: 1, hash: randomBytes(32) })) } as Message);
    }
    const addr = node.peers().find((x) => x.addr.startsWith('127.0.0.91:'))!.addr;
    await eventually(() => dropsOf(addr, 'inv_overflow') === total - MAX_PEER_IN_FLIGHT - MAX_PEER_ANNOUNCEMENTS, 'overflow counted');
    // What is tracked is bounded; the peer is still served.
    const getdata = p.received.filter((m) => m.command === 'getdata') as Extract<Message, { command: 'getdata' }>[];
    expect(getdata.reduce((n, m) => n + m.inventory.length, 0)).toBe(MAX_PEER_IN_FLIGHT);
    p.send({ command: 'ping', nonce: 9n });
    await p.until(() => p.received.some((m) => m.command === 'pong'), 'pong');
    p.close();
  });

  it('addr flood: past the address bucket, addr messages are counted and not decoded (addr_rate_limited)', async () => {
    const p = await RawPeer.open(port, '127.0.0.92');
    await p.handshake();
    const addrMsg = (k: number): Message =>
      ({ command: 'addr', addresses: Array.from({ length: 1000 }, (_, i) => ({ timestamp: 1_700_000_000, services: 1n, ip: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 1, k, i % 250), port: 8333 + i })) }) as Message;
    for (let k = 0; k < 5; k++) p.send(addrMsg(k));
    const addr = () => node.peers().find((x) => x.addr.startsWith('127.0.0.92:'))?.addr ?? '';
    // The bucket admits a burst of 1,000 (Core#22387); later messages find it empty.
    await eventually(() => dropsOf(addr(), 'addr_rate_limited') >= 3000, 'skipped addr entries counted');
    p.send({ command: 'ping', nonce: 10n });
    await p.until(() => p.received.some((m) => m.command === 'pong'), 'pong');
    expect(node.peers().find((x) => x.addr === addr())?.state).toBe('established');
    p.close();
  });
});
