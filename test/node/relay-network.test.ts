/**
 * Real nodes on loopback: handshake, address exchange, transaction relay across a chain of three
 * nodes, and restart with the durable state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { eventually } from '../helpers/raw-peer.js';
import { rawTx } from '../helpers/raw-tx.js';
import { parseExposition, value } from '../helpers/prometheus.js';

const nodes: RelayNode[] = [];

async function startNode(opts: RelayOptions = {}): Promise<RelayNode> {
  const node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, trickleIntervalMs: 0, onlynet: ['loopback'], ...opts });
  nodes.push(node);
  await node.start();
  return node;
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

describe('relay network on loopback', () => {
  it('three nodes handshake, exchange addresses, and relay a transaction end to end', async () => {
    const a = await startNode();
    const b = await startNode({ connect: [a.listenAddress!] });
    const c = await startNode({ connect: [b.listenAddress!] });
    await eventually(() => a.peers().some((p) => p.state === 'established') && c.peers().some((p) => p.state === 'established'), 'handshakes');
    await eventually(() => b.peers().filter((p) => p.state === 'established').length === 2, 'b has both peers');

    const bPeers = b.peers();
    expect(bPeers.find((p) => p.direction === 'outbound')!.addr).toBe(a.listenAddress);
    expect(bPeers.find((p) => p.direction === 'outbound')!.userAgent).toBe('/wirerelay:0.1.0/');

    // Addresses: each node advertised its listen address to the node it dialled.
    await eventually(() => a.status().addresses.new + a.status().addresses.tried >= 1, 'a learns b');
    await eventually(() => b.status().addresses.new + b.status().addresses.tried >= 2, 'b knows a and c');

    const seenAtC = new Promise<{ txid: string; peer: string | null }>((resolve) => c.once('tx', (t) => resolve(t)));
    const { txid } = a.relayTransaction(rawTx(1));
    const got = await seenAtC;
    expect(got.txid).toBe(txid);
    expect(got.peer).toBe(b.listenAddress);
    expect(b.status().relayCache.items).toBe(1);
    // B fetched it from A and served it to C: one flow A → C through B.
    const flows = b.flows(10, 'bytes').filter((f) => f.src === a.listenAddress);
    expect(flows.length).toBe(1);
    expect(flows[0]!.dst).toBe(b.peers().find((p) => p.direction === 'inbound')!.addr);
    expect(flows[0]!.packets).toBe(1);

    // The node's /metrics text is valid exposition and its counters saw this traffic.
    const families = parseExposition(await b.metricsText());
    expect(value(families, 'wirerelay_received_messages_total', { command: 'tx' })).toBe(1);
    expect(value(families, 'wirerelay_received_messages_total', { command: 'version' })).toBe(2);
    expect(value(families, 'wirerelay_sent_messages_total', { command: 'tx' })).toBe(1);
    expect(value(families, 'wirerelay_peers', { direction: 'inbound', state: 'active' })).toBe(1);
  });

  it('trickles transaction announcements', async () => {
    const a = await startNode({ trickleIntervalMs: 4_000 });
    const b = await startNode({ connect: [a.listenAddress!], trickleIntervalMs: 4_000 });
    // Both sides: a announces only to peers whose handshake it has completed itself.
    await eventually(() => b.peers().some((p) => p.state === 'established') && a.peers().some((p) => p.state === 'established'), 'handshake on both sides');
    const seen = new Promise<string>((resolve) => b.once('tx', (t) => resolve(t.txid)));
    const { txid } = a.relayTransaction(rawTx(7));
    // Delivered through the trickle; that it waits for the trickle deadline is checked on the
    // manual clock in test/peer/peer.test.ts.
    expect(await seen).toBe(txid);
  });

  it('keeps bans and the address table across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wirerelay-restart-'));
    const a = await startNode();
    let b = await startNode({ dataDir, connect: [a.listenAddress!] });
    await eventually(() => b.status().addresses.tried >= 1, 'b marks a as tried');
    await b.ban('10.1.0.0/16', { reason: 'test' });
    await b.ban('2001:db8::/32', { reason: 'v6' });
    await b.stop();

    b = await startNode({ dataDir, connect: [a.listenAddress!] });
    expect(b.bans().map((x) => x.target).sort()).toEqual(['10.1.0.0/16', '2001:db8::/32']);
    expect(b.status().addresses.tried).toBeGreaterThanOrEqual(1);
    expect(await b.unban('10.1.0.0/16')).toBe(true);
    await b.stop();
    b = await startNode({ dataDir });
    expect(b.bans().map((x) => x.target)).toEqual(['2001:db8::/32']);
  });
});
