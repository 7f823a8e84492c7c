/**
 * Inbound flaps (issue 20) against a real node over loopback TCP: tracked per IP, not per
 * IP:PORT (each inbound connection has a new source port); the IP is online while any of its
 * connections is established, so two at once count as one; every reconnect is admitted (the flap
 * count is information, not an admission rule).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { currentHealth } from '../../src/admin/backend.js';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import { eventually, RawPeer } from '../helpers/raw-peer.js';

const IP = '127.0.0.77';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function startNode(): Promise<{ node: RelayNode; port: number }> {
  const node = createRelay({ network: 'regtest', listen: '127.0.0.1:0', logLevel: 'silent', workers: 0, transport: 'v1only', targetOutbound: 0, noDnsSeed: true });
  await node.start();
  closers.push(() => node.stop());
  return { node, port: Number(node.listenAddress!.split(':')[1]) };
}

async function connect(port: number): Promise<RawPeer> {
  const p = await RawPeer.open(port, IP);
  closers.push(() => p.close());
  await p.handshake();
  return p;
}

const inboundFrom = (node: RelayNode): number => node.peers().filter((p) => p.direction === 'inbound' && p.addr.startsWith(`${IP}:`) && p.state === 'established').length;

describe('inbound flaps', () => {
  it('are kept per IP: online while any connection is up, a flap per change, every reconnect admitted', async () => {
    const { node, port } = await startNode();
    const a = await connect(port);
    const b = await connect(port);
    await eventually(() => inboundFrom(node) === 2, 'two connections from one IP');
    expect(node.health(IP)).toMatchObject({ online: true, flapCount: 0 });
    // GET /health (the connected peers' health) lists it once, by IP.
    expect(currentHealth(node).filter((h) => h.peer === IP).length).toBe(1);
    // Nothing is kept under IP:PORT for an inbound peer.
    expect(node.peers().every((p) => node.health(p.addr) === null)).toBe(true);
    a.close();
    await eventually(() => inboundFrom(node) === 1, 'the first one gone');
    // Still online: the other connection is up.
    expect(node.health(IP)).toMatchObject({ online: true, flapCount: 0 });
    b.close();
    await eventually(() => inboundFrom(node) === 0, 'both gone');
    expect(node.health(IP)).toMatchObject({ online: false, flapCount: 1 });
    for (let i = 0; i < 3; i++) {
      const p = await connect(port);
      await eventually(() => inboundFrom(node) === 1, `reconnect ${i + 1} established`);
      p.close();
      await eventually(() => inboundFrom(node) === 0, `reconnect ${i + 1} gone`);
    }
    const h = node.health(IP)!;
    expect(h.flapCount).toBe(1 + 3 * 2);
    expect(h.online).toBe(false);
    expect(h.tier).toBeGreaterThanOrEqual(0);
  });
});
