/**
 * Prompt stop: stop() cancels pending dials and handshakes, and no byte reaches a peer after
 * "relay stopped". The peers here are silent loopback listeners that accept and never answer.
 * Assertions are on events and bytes, never on how long anything took.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import { Logger } from '../../src/log.js';
import { eventually } from '../helpers/raw-peer.js';

interface Silent {
  server: Server;
  addr: string;
  sockets: Socket[];
  bytes: number;
  /** Bytes that arrived after the node logged "relay stopped". */
  bytesAfterStop: number;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A listener that accepts and never answers; `stopped()` says whether the node has logged its stop. */
async function silentListener(stopped: () => boolean): Promise<Silent> {
  const out: Silent = { server: createServer(), addr: '', sockets: [], bytes: 0, bytesAfterStop: 0 };
  out.server.on('connection', (s) => {
    out.sockets.push(s);
    s.on('error', () => {});
    s.on('data', (d) => {
      out.bytes += d.length;
      if (stopped()) out.bytesAfterStop += d.length;
    });
  });
  await new Promise<void>((r) => out.server.listen(0, '127.0.0.1', () => r()));
  const a = out.server.address();
  out.addr = `127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  servers.push(out.server);
  return out;
}

function nodeWithLog(): { node: ReturnType<typeof createRelay>; lines: string[]; stopped: () => boolean } {
  const lines: string[] = [];
  const node = createRelay({ listen: '127.0.0.1:0', http: null, workers: 0, targetOutbound: 0 }, { logger: new Logger('info', (l) => lines.push(l)) });
  return { node, lines, stopped: () => lines.some((l) => l.includes('"relay stopped"')) };
}

/** Resolves once every socket the listener accepted has closed. */
async function allClosed(s: Silent): Promise<void> {
  await Promise.all(s.sockets.map((sock) => (sock.closed ? Promise.resolve() : new Promise<void>((r) => sock.once('close', () => r())))));
}

describe('prompt stop', () => {
  it('a handshake a silent peer never answers is cancelled; nothing is sent after "relay stopped"', async () => {
    const { node, lines, stopped } = nodeWithLog();
    const silent = await silentListener(stopped);
    await node.start();
    node.connect(silent.addr, { permanent: true });
    // Our BIP324 key went out (a permanent peer is dialled v2); the peer will never answer it.
    await eventually(() => silent.bytes > 0, 'key sent to the silent peer');
    expect(node.peers().map((p) => [p.state, p.transport])).toEqual([['handshaking', 'v2']]);
    await node.stop();
    expect(stopped()).toBe(true);
    await allClosed(silent);
    expect(silent.bytesAfterStop).toBe(0);
    expect(node.peers()).toEqual([]);
    // The permanent peer is not redialled after the stop, neither v2 nor as a v1 fallback.
    expect(silent.sockets).toHaveLength(1);
    expect(lines.some((l) => l.includes('v2 dial closed before the key exchange'))).toBe(false);
    expect(lines.some((l) => l.includes('"peer disconnected"') && l.includes('"shutdown"'))).toBe(true);
  });

  it('a dial still connecting when stop() begins is aborted: it never sends version', async () => {
    const { node, stopped } = nodeWithLog();
    const silent = await silentListener(stopped);
    await node.start();
    node.connect(silent.addr);
    const stopping = node.stop();
    await stopping;
    expect(stopped()).toBe(true);
    await allClosed(silent);
    // Whether or not the kernel completed the TCP handshake, not one byte reached the listener.
    expect(silent.bytes).toBe(0);
    expect(node.peers()).toEqual([]);
  });

  it('inbound peers in the handshake are closed at stop, and a connection arriving during stop is refused', async () => {
    const { node, stopped } = nodeWithLog();
    await node.start();
    const [host, port] = [node.listenAddress!.split(':')[0]!, Number(node.listenAddress!.split(':')[1])];
    const received: number[] = [];
    const early = connect({ host, port });
    early.on('data', (d) => received.push(stopped() ? d.length : 0));
    early.on('error', () => {});
    await new Promise<void>((r) => early.once('connect', () => r()));
    await eventually(() => node.peers().length === 1, 'inbound peer registered');
    const stopping = node.stop();
    const late = connect({ host, port });
    late.on('error', () => {});
    await stopping;
    await Promise.all([early, late].map((s) => (s.closed ? Promise.resolve() : new Promise<void>((r) => s.once('close', () => r())))));
    expect(received.filter((n) => n > 0)).toEqual([]);
    expect(node.peers()).toEqual([]);
  });
});
