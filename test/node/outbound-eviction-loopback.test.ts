/**
 * Stale-chain eviction in a real node over loopback TCP (the node's wiring: composeNode, the 1 s
 * ticker, the Connector's automatic slot): an automatic full-relay peer that answers pings but
 * never sends a header gets its last-chance getheaders after 20 minutes of the node's (manual)
 * clock and is disconnected as `stale_chain` after 2 more. The clock moves 2 minutes at a time,
 * and the test waits for the node's next ping (one ticker pass) before moving it again.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/load/procs.js';
import { ManualClock } from '../../src/clock.js';
import { CHAIN_SYNC_TIMEOUT_MS } from '../../src/node/outbound-eviction.js';
import { HEADERS_RESPONSE_TIME_MS } from '../../src/node/header-sync.js';
import { createRelay } from '../../src/node/relay-node.js';
import type { DisconnectReason } from '../../src/types.js';
import { parseIpPort } from '../../src/util/host-port.js';
import type { Message } from '../../src/wire/codec.js';
import { eventually, RawPeer, versionMessage } from '../helpers/raw-peer.js';

const STALE = '127.50.0.1';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Answers the handshake for whatever address was dialled; the test answers its pings. */
function listener(port: number, served: RawPeer[]): Promise<Server> {
  const server = createServer((socket: Socket) => {
    const peer = RawPeer.wrap(socket);
    served.push(peer);
    closers.push(() => peer.close());
    void (async () => {
      await peer.until(() => peer.has('version'), "the node's version", 30_000);
      peer.send(versionMessage(BigInt(Math.floor(Math.random() * 2 ** 40))));
      peer.send({ command: 'verack' });
    })().catch(() => {});
  });
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return new Promise((resolve) => server.listen(port, '0.0.0.0', () => resolve(server)));
}

const count = (p: RawPeer, command: string): number => p.received.filter((m) => m.command === command).length;

describe('outbound eviction in a node on loopback', () => {
  it('disconnects an automatic full-relay peer that never sends a header: getheaders after 20 minutes, closed 2 minutes later', async () => {
    const clock = new ManualClock(Date.now());
    const port = await freePort();
    const served: RawPeer[] = [];
    await listener(port, served);
    const node = createRelay(
      { network: 'regtest', listen: '127.0.0.1:0', logLevel: 'silent', workers: 0, transport: 'v1only', targetOutbound: 1, blockRelayOnly: 0, noDnsSeed: true, onlynet: ['loopback'], gossipDialScope: 'local', retryBaseMs: 50, retryMaxMs: 500 },
      { clock },
    );
    await node.start();
    closers.push(() => node.stop());
    const disconnects: { addr: string; reason: DisconnectReason; at: number }[] = [];
    node.on('peerDisconnect', (info, reason) => disconnects.push({ addr: info.addr, reason, at: clock.now() }));

    // An inbound peer tells the node of the address; its one automatic slot dials it.
    const feeder = await RawPeer.open(Number(node.listenAddress!.split(':')[1]), '127.200.0.1');
    closers.push(() => feeder.close());
    await feeder.handshake();
    feeder.send({ command: 'addr', addresses: [{ timestamp: Math.floor(clock.now() / 1000), services: 1n, ...parseIpPort(`${STALE}:${port}`)! }] } as Message);
    await eventually(() => node.peers().some((p) => p.direction === 'outbound' && p.state === 'established'), 'the automatic full-relay peer connected');
    const remote = served[0]!;
    const since = clock.now();
    await eventually(() => count(remote, 'getheaders') === 1, "the handshake's getheaders");

    // The peer answers every ping (so only the chain rule can close it).
    let answered = 0;
    const answerPings = (): void => {
      for (const m of remote.received.filter((x) => x.command === 'ping').slice(answered)) {
        remote.send({ command: 'pong', nonce: (m as { nonce: bigint }).nonce });
        answered++;
      }
    };
    await eventually(() => count(remote, 'ping') > 0, 'the first ping');
    answerPings();
    let lastChanceAt: number | null = null;
    for (let i = 0; i < 20 && !remote.closed; i++) {
      clock.advance(2 * 60_000);
      await eventually(() => remote.closed || count(remote, 'ping') > answered, 'the next ticker pass');
      answerPings();
      if (lastChanceAt === null && count(remote, 'getheaders') > 1) lastChanceAt = clock.now();
    }
    await eventually(() => disconnects.some((d) => d.addr === `${STALE}:${port}`), 'the stale peer disconnected');
    const gone = disconnects.find((d) => d.addr === `${STALE}:${port}`)!;
    expect(gone.reason).toBe('stale_chain');
    expect(count(remote, 'getheaders')).toBe(2);
    // On the node's clock: the last chance only after 20 minutes, the disconnect 2 minutes after it.
    expect(lastChanceAt).not.toBeNull();
    expect(lastChanceAt! - since).toBeGreaterThan(CHAIN_SYNC_TIMEOUT_MS);
    expect(gone.at - lastChanceAt!).toBeGreaterThanOrEqual(HEADERS_RESPONSE_TIME_MS);
  });
});
