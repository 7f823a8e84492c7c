/**
 * Issue 23's eclipse shape against a real node over loopback TCP:
 * - honest: 8 listening addresses in 8 /16s (127.10.0.1 … 127.80.0.1); the node is told only of
 *   the first, which answers its getaddr with the other 7;
 * - attacker: 1,000 listening addresses in 4 /16s (127.101–104.x.y), gossiped by 4 inbound
 *   connections. The attacker's IPs are whitelisted, so the token bucket lets all 1,000 into the
 *   table: the worst case for the outbound group rule.
 * One listener on 0.0.0.0 answers the handshake for every 127.x address (the accepted socket's local
 * address says which one was dialled); nothing leaves the machine.
 *
 * During the flood and after a restart on the same data directory: at most one automatic peer per
 * attacker /16 (≤ 4), each kind of connection within Core's budget, and the honest addresses in
 * the tried table.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { addressGroup, parseIpPort, stripMapped } from '../../src/util/host-port.js';
import { freePort } from '../../bench/load/procs.js';
import { RawPeer, eventually, versionMessage } from '../helpers/raw-peer.js';
import type { Message } from '../../src/wire/codec.js';

const HONEST = Array.from({ length: 8 }, (_, i) => `127.${10 * (i + 1)}.0.1`);
const ATTACKER_NETS = [101, 102, 103, 104];
const ATTACKER = ATTACKER_NETS.flatMap((n) => Array.from({ length: 250 }, (_, i) => `127.${n}.${1 + (i >> 6)}.${1 + (i & 63)}`));
const isAttacker = (addr: string): boolean => ATTACKER_NETS.some((n) => addr.startsWith(`127.${n}.`));
const group = (addr: string): string => addressGroup(addr, { allowLocal: true });

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function addrMessage(hosts: readonly string[], port: number): Message {
  const timestamp = Math.floor(Date.now() / 1000);
  return { command: 'addr', addresses: hosts.map((h) => ({ timestamp, services: 1n, ...parseIpPort(`${h}:${port}`)! })) } as Message;
}

/** Completes the handshake as the answering side for every address, and the honest seed's getaddr. */
function listener(port: number): Promise<Server> {
  const server = createServer((socket: Socket) => {
    const local = stripMapped(socket.localAddress ?? '');
    const peer = RawPeer.wrap(socket);
    void (async () => {
      await peer.until(() => peer.has('version'), 'the node\'s version', 30_000);
      peer.send(versionMessage(BigInt(Math.floor(Math.random() * 2 ** 40))));
      peer.send({ command: 'verack' });
      if (local === HONEST[0]) {
        await peer.until(() => peer.has('getaddr'), 'getaddr', 30_000);
        peer.send(addrMessage(HONEST.slice(1), port));
      }
    })().catch(() => {});
  });
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return new Promise((resolve) => server.listen(port, '0.0.0.0', () => resolve(server)));
}

async function startNode(opts: RelayOptions): Promise<RelayNode> {
  // Loopback only: gossiped addresses outside loopback and private ranges are never dialled.
  const node = createRelay({ listen: '127.0.0.1:0', logLevel: 'silent', workers: 0, transport: 'v1only', retryBaseMs: 50, retryMaxMs: 500, gossipDialScope: 'local', onlynet: ['loopback'], whitelist: ATTACKER_NETS.map((n) => `127.${n}.0.0/16`), ...opts });
  await node.start();
  closers.push(() => node.stop());
  return node;
}

/** The attacker: 4 inbound connections from its /16s, each naming its 1,000 addresses. */
async function flood(node: RelayNode, port: number): Promise<void> {
  const nodePort = Number(node.listenAddress!.split(':')[1]);
  for (const n of ATTACKER_NETS) {
    const p = await RawPeer.open(nodePort, `127.${n}.0.200`);
    closers.push(() => p.close());
    await p.handshake();
    p.send(addrMessage(ATTACKER, port));
  }
}

function outboundView(node: RelayNode): { attacker: string[]; honest: string[] } {
  const out = node.peers().filter((p) => p.direction === 'outbound' && p.state === 'established').map((p) => p.addr);
  return { attacker: out.filter(isAttacker), honest: out.filter((a) => !isAttacker(a)) };
}

function checkDiversity(node: RelayNode): void {
  const { attacker, honest } = outboundView(node);
  // One automatic peer per /16 at most: the attacker's 4 groups hold at most 4 slots.
  expect(attacker.length).toBeLessThanOrEqual(4);
  expect(new Set(attacker.map(group)).size).toBe(attacker.length);
  // Automatic outbound within target + block-relay-only (8 + 2), plus at most one feeler.
  expect(attacker.length + honest.length).toBeLessThanOrEqual(8 + 2 + 1);
}

describe('eclipse on loopback (issue 23)', () => {
  it('an address flood takes at most one slot per attacker /16, during the flood and after a restart', async () => {
    const port = await freePort();
    await listener(port);
    const dataDir = mkdtempSync(join(tmpdir(), 'wr-eclipse-'));
    let node = await startNode({ dataDir, addPeer: [`${HONEST[0]}:${port}`] });
    await flood(node, port);
    // Hundreds of them: the rest fall to the new table's bucketing by source group (Core's addrman).
    await eventually(() => node.status().addresses.new + node.status().addresses.tried >= 500, 'the attacker\'s addresses in the table', 30_000);
    // 10 automatic slots (8 full-relay + 2 block-relay-only) for 11 groups (7 honest, 4 attacker)
    // beside the manual seed: the attacker can hold at most 4, so at least 6 go to honest /16s.
    const full = (): boolean => {
      const v = outboundView(node);
      return v.attacker.length + v.honest.length >= 1 + 10;
    };
    await eventually(full, 'every outbound slot filled', 45_000);
    checkDiversity(node);
    expect(outboundView(node).honest.length).toBeGreaterThanOrEqual(1 + 6);
    expect(node.status().addresses.tried).toBeGreaterThanOrEqual(1 + 6);

    await node.stop();
    node = await startNode({ dataDir, addPeer: [`${HONEST[0]}:${port}`] });
    await flood(node, port);
    await eventually(full, 'every outbound slot filled again after the restart', 45_000);
    checkDiversity(node);
    expect(outboundView(node).honest.length).toBeGreaterThanOrEqual(1 + 6);
  });
});
