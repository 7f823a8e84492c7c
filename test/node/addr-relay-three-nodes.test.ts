/**
 * Address relay across three real nodes over loopback TCP (issue 20), A – B – C with A and C never
 * connected: A and C dial B (so neither hop's addr can be mistaken for the answer to a getaddr of
 * the receiver's). An address gossiped to A by an inbound peer, in a fresh small `addr`, reaches C
 * through B, exactly once, and never comes back to A or to the sender. One manual clock drives the
 * three nodes' gossip timers (Poisson, 30 s mean); regtest counts loopback addresses as routable
 * (allowLocalAddresses), and no node dials anything it learns (targetOutbound 0, loopback only).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { parseIpPort } from '../../src/util/host-port.js';
import type { Message } from '../../src/wire/codec.js';
import { eventually, RawPeer } from '../helpers/raw-peer.js';

const GOSSIPED = '127.99.0.1:18444';
const SENDER_IP = '127.0.0.60';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function startNode(clock: ManualClock, opts: RelayOptions = {}): Promise<RelayNode> {
  const node = createRelay(
    { network: 'regtest', listen: '127.0.0.1:0', logLevel: 'silent', workers: 0, transport: 'v1only', targetOutbound: 0, noDnsSeed: true, onlynet: ['loopback'], gossipDialScope: 'local', ...opts },
    { clock },
  );
  await node.start();
  closers.push(() => node.stop());
  return node;
}

/** An addr (16-byte IP) or addrv2 (network id and address) entry. */
interface Entry {
  readonly ip?: Uint8Array;
  readonly networkId?: number;
  readonly addr?: Uint8Array;
  readonly port: number;
}

const GOSSIPED_IP = parseIpPort(GOSSIPED)!.ip;
function isGossiped(e: Entry): boolean {
  if (e.port !== 18444) return false;
  const v4 = e.ip !== undefined ? e.ip.subarray(12) : e.networkId === 1 ? e.addr : undefined;
  return v4 !== undefined && Buffer.from(v4).equals(Buffer.from(GOSSIPED_IP.subarray(12)));
}

/** Copies of GOSSIPED a node received, per sending peer. */
function countDeliveries(node: RelayNode): Map<string, number> {
  const got = new Map<string, number>();
  node.on('message', ({ peer, command, message }) => {
    if (command !== 'addr' && command !== 'addrv2') return;
    const n = (message as { addresses: Entry[] }).addresses.filter(isGossiped).length;
    if (n > 0) got.set(peer, (got.get(peer) ?? 0) + n);
  });
  return got;
}

const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const established = (node: RelayNode, n: number): boolean => node.peers().filter((p) => p.state === 'established').length === n;

describe('address relay across three nodes on loopback', () => {
  it('an address gossiped to A reaches C through B exactly once, and never comes back', async () => {
    const clock = new ManualClock(Date.now());
    const b = await startNode(clock);
    const a = await startNode(clock, { addPeer: [b.listenAddress!] });
    const c = await startNode(clock, { addPeer: [b.listenAddress!] });
    await eventually(() => established(b, 2) && established(a, 1) && established(c, 1), 'A – B – C connected');
    const atA = countDeliveries(a);
    const atB = countDeliveries(b);
    const atC = countDeliveries(c);

    const sender = await RawPeer.open(Number(a.listenAddress!.split(':')[1]), SENDER_IP);
    closers.push(() => sender.close());
    await sender.handshake();
    await eventually(() => established(a, 2), 'the sender connected to A');
    const addr: Message = { command: 'addr', addresses: [{ timestamp: Math.floor(clock.now() / 1000), services: 1n, ...parseIpPort(GOSSIPED)! }] } as Message;
    sender.send(addr);
    await eventually(() => total(atA) === 1, 'A received it');

    // The gossip timers run off the shared clock: 5 s of it per poll, well inside the 10 minutes
    // in which the address counts as fresh at each hop.
    await eventually(() => {
      clock.advance(5_000);
      return total(atC) > 0;
    }, 'the address at C', 30_000);
    // B heard it from one peer (A), C from B.
    expect(atB.size).toBe(1);
    expect(total(atB)).toBe(1);
    expect(total(atC)).toBe(1);
    expect([...atC.keys()]).toEqual([b.listenAddress]);
    expect(c.status().addresses.new + c.status().addresses.tried).toBeGreaterThanOrEqual(1);

    // Minutes more of gossip: no second copy anywhere, none back to A or to the sender.
    const stop = clock.now() + 5 * 60_000;
    await eventually(() => {
      clock.advance(5_000);
      return clock.now() >= stop;
    }, 'five more minutes of gossip', 30_000);
    expect(total(atA)).toBe(1);
    expect(total(atB)).toBe(1);
    expect(total(atC)).toBe(1);
    const backToSender = sender.received.filter((m) => m.command === 'addr' || m.command === 'addrv2').flatMap((m) => (m as { addresses: Entry[] }).addresses.filter(isGossiped));
    expect(backToSender.length).toBe(0);
  });
});
