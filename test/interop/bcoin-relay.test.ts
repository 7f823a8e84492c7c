/**
 * wirerelay between two bcoin 1.0.2 full nodes (independent implementation, from npm), over real
 * loopback TCP, in each transport mode:
 * - default options (v2 with a v1 fallback): a transaction made on A reaches B's mempool, and a
 *   block mined on A reaches B, whose tip advances; nobody is banned on either side, and bcoin's
 *   score for our connections stays far from its threshold;
 * - v1only: the same, with no score at all;
 * - v2only: fails cleanly against bcoin (a clear log line, no handshake, no ban).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { Logger } from '../../src/log.js';
import { eventually } from '../helpers/raw-peer.js';
import { banRecords, newKey, spendCoinbase, startBcoin, startBcoinPair } from './bcoin.js';
import { startPythonPeer } from './python-client.js';

/** bcoin bans at this score (lib/net/common.js BAN_SCORE). */
const BCOIN_BAN_SCORE = 100;

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});


async function startRelay(opts: RelayOptions, lines: string[]): Promise<RelayNode> {
  const logger = new Logger('info', (line) => lines.push(line));
  const relay = createRelay({ listen: '127.0.0.1:0', dataDir: null, targetOutbound: 0, workers: 0, trickleIntervalMs: 0, retryBaseMs: 50, ...opts }, { logger });
  await relay.start();
  open.push({ close: () => relay.stop() });
  return relay;
}

const establishedTo = (relay: RelayNode, addr: string): boolean => relay.peers().some((p) => p.addr === addr && p.state === 'established');
/** bcoin's scores for connections from 127.0.0.1 ports other than its peers' listen ports. */
const scoresFromUs = (since: number): number[] => banRecords.slice(since).map((r) => r.total);

beforeAll(async () => {
  // bcoin cannot start: the suite fails here, it is never skipped.
  const probe = await startBcoin();
  await probe.close();
});

describe('wirerelay between bcoin 1.0.2 nodes', () => {
  for (const transport of ['v2', 'v1only'] as const) {
    it(`relays a transaction and a block from bcoin A to bcoin B with transport ${transport}, banning no one`, async () => {
      const { a, b, key } = await startBcoinPair(open);
      const since = banRecords.length;
      const lines: string[] = [];
      const relay = await startRelay({ connect: [a.addr, b.addr], ...(transport === 'v2' ? {} : { transport }) }, lines);
      await eventually(() => establishedTo(relay, a.addr) && establishedTo(relay, b.addr), 'handshakes with both bcoin nodes');

      const { tx, txid } = await spendCoinbase(a, 1, key);
      await a.node.sendTX(tx);
      await eventually(() => b.hasTx(txid), 'the transaction in bcoin B\'s mempool');

      await a.mine(1, newKey().address);
      expect(a.height).toBe(102);
      await eventually(() => b.height === 102, 'bcoin B\'s tip to advance to the block mined on A');
      expect(b.node.chain.tip.hash).toBe(a.node.chain.tip.hash);

      // Nobody banned anybody, and bcoin's score for our connections stayed far from its threshold.
      expect(a.banned()).toEqual([]);
      expect(b.banned()).toEqual([]);
      expect(relay.bans()).toEqual([]);
      for (const p of relay.peers()) expect(p.banScore).toBe(0);
      const scores = scoresFromUs(since);
      expect(Math.max(0, ...scores)).toBeLessThan(BCOIN_BAN_SCORE / 2);
      if (transport === 'v1only') expect(scores).toEqual([]);
      if (transport === 'v2') {
        // Each bcoin node saw one key-only probe: the 64-byte key is two 24-byte headers with a wrong
        // magic to its parser, 10 points each, 20 of 100 on a connection that then closed. The
        // probe learnt "v1" at once and the redial went v1.
        expect(scores.sort((x, y) => x - y)).toEqual([10, 10, 20, 20]);
        expect(lines.filter((l) => l.includes('answered the v2 key in v1'))).toHaveLength(2);
      }
    });
  }

  it('fails cleanly against bcoin with transport v2only: a clear log line, no handshake, no ban', async () => {
    const a = await startBcoin();
    open.push(a);
    const since = banRecords.length;
    const lines: string[] = [];
    const relay = await startRelay({ connect: [a.addr], transport: 'v2only' }, lines);
    await eventually(() => lines.filter((l) => l.includes('speaks v1 only') && l.includes(a.addr)).length >= 3, 'three refused attempts');
    expect(establishedTo(relay, a.addr)).toBe(false);
    expect(a.banned()).toEqual([]);
    expect(Math.max(0, ...scoresFromUs(since))).toBeLessThan(BCOIN_BAN_SCORE / 2);
  });

  it('remembers across a restart that a bcoin node speaks v1 only (no second probe), and never probes a peer given as @v1', async () => {
    const a = await startBcoin();
    open.push(a);
    const dir = await mkdtemp(join(tmpdir(), 'wirerelay-interop-'));
    open.push({ close: () => rm(dir, { recursive: true, force: true }) });
    let since = banRecords.length;
    const first = await startRelay({ connect: [a.addr], dataDir: dir }, []);
    await eventually(() => establishedTo(first, a.addr), 'the first run\'s handshake');
    await first.stop();
    expect(scoresFromUs(since)).toEqual([10, 20]);

    since = banRecords.length;
    const lines: string[] = [];
    const second = await startRelay({ connect: [a.addr], dataDir: dir }, lines);
    await eventually(() => establishedTo(second, a.addr), 'the second run\'s handshake');
    expect(second.peers().find((p) => p.addr === a.addr)?.transport).toBe('v1');
    expect(scoresFromUs(since)).toEqual([]);
    expect(lines.some((l) => l.includes('answered the v2 key'))).toBe(false);
    await second.stop();

    const b = await startBcoin();
    open.push(b);
    since = banRecords.length;
    const third = await startRelay({ connect: [`${b.addr}@v1`] }, []);
    await eventually(() => establishedTo(third, b.addr), 'the handshake with a peer given as @v1');
    expect(scoresFromUs(since)).toEqual([]);
  });

  it('trickles announcements to bcoin (a 500 ms trickle, drained over event-loop turns): every transaction of a burst reaches bcoin B, nobody banned', async () => {
    const { a, b, key } = await startBcoinPair(open);
    const since = banRecords.length;
    const relay = await startRelay({ connect: [`${a.addr}@v1`, `${b.addr}@v1`], trickleIntervalMs: 500 }, []);
    await eventually(() => establishedTo(relay, a.addr) && establishedTo(relay, b.addr), 'handshakes with both bcoin nodes');
    // Coinbases mature after 100 blocks: eight more blocks make those of heights 1..8 spendable.
    await a.mine(8, newKey().address);
    await eventually(() => b.height === a.height, 'bcoin B at bcoin A\'s tip');
    const txids: string[] = [];
    for (let height = 1; height <= 8; height++) {
      const { tx, txid } = await spendCoinbase(a, height, key);
      await a.node.sendTX(tx);
      txids.push(txid);
    }
    await eventually(() => txids.every((id) => b.hasTx(id)), 'the eight transactions in bcoin B\'s mempool');
    expect(a.banned()).toEqual([]);
    expect(b.banned()).toEqual([]);
    expect(relay.bans()).toEqual([]);
    expect(scoresFromUs(since)).toEqual([]);
  });

  it('passes bcoin A\'s transaction and block on to a python-bitcoinlib client at default options', async () => {
    const { a, key } = await startBcoinPair(open);
    const relay = await startRelay({ connect: [a.addr] }, []);
    await eventually(() => establishedTo(relay, a.addr), 'the handshake with bcoin A');
    const [host, port] = relay.listenAddress!.split(':') as [string, string];
    const py = startPythonPeer(host, Number(port));
    open.push(py);
    await eventually(() => py.events.includes('established') || py.events.some((e) => e.startsWith('closed')), `the python client's handshake (stderr: ${py.stderr.join('')})`);
    expect(py.events, py.stderr.join('')).toContain('established');

    const { tx, txid } = await spendCoinbase(a, 1, key);
    await a.node.sendTX(tx);
    await eventually(() => py.events.includes(`tx ${txid}`), 'the transaction at the python client');
    await a.mine(1, newKey().address);
    const hash = Buffer.from(a.node.chain.tip.hash as string, 'hex').reverse().toString('hex');
    await eventually(() => py.events.includes(`block ${hash}`), 'the block at the python client');
    expect(relay.bans()).toEqual([]);
    expect(a.banned()).toEqual([]);
  });
});
