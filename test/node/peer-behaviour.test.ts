/**
 * Peer timing and robustness against a real node: stall deadlines, quiet peers, and fuzzed frames
 * with valid checksums (so they reach the payload codecs) that must never escape as exceptions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { COMMANDS, MAX_PAYLOAD, NETWORKS } from '../../src/wire/constants.js';
import type { Message } from '../../src/wire/codec.js';
import { RawPeer, eventually, frameOf } from '../helpers/raw-peer.js';

let node: RelayNode;
let port: number;
const disconnects: Array<{ addr: string; reason: string }> = [];

beforeAll(async () => {
  node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', targetOutbound: 0, onlynet: ['loopback'], workers: 1, poolMinBytes: 4096, stallTimeoutMs: 1500, getdataTimeoutMs: 1500 });
  node.on('peerDisconnect', (p, reason) => disconnects.push({ addr: p.addr, reason }));
  await node.start();
  port = Number(node.listenAddress!.split(':')[1]);
});
afterAll(() => node.stop());

describe('peer timing', () => {
  it('drops a peer that never answers our getdata, keeps a quiet one', async () => {
    const quiet = await RawPeer.open(port, '127.0.0.51');
    await quiet.handshake();
    const staller = await RawPeer.open(port, '127.0.0.52');
    await staller.handshake();
    staller.send({ command: 'inv', inventory: [{ type: 1, hash: new Uint8Array(32).fill(0x77) }] } as Message);
    await staller.until(() => staller.has('getdata'), 'getdata for the announced tx');
    await staller.until(() => staller.closed, 'stall disconnect', 10_000);
    await eventually(() => disconnects.some((d) => d.addr.startsWith('127.0.0.52:') && d.reason === 'stall'), 'stall reason');
    // The quiet peer sent nothing after its handshake and nothing was asked of it: still connected.
    expect(quiet.closed).toBe(false);
    expect(node.peers().some((p) => p.addr.startsWith('127.0.0.51:') && p.state === 'established')).toBe(true);
    quiet.close();
  });
});

describe('fuzzed frames with valid checksums', () => {
  it('never throws out of the node; bad payloads cost the sender, others are still served', async () => {
    const scanner = new FrameScanner();
    const control = await RawPeer.open(port, '127.0.0.60');
    await control.handshake();
    let scored = 0;
    for (let i = 0; i < 60; i++) {
      const ip = `127.0.1.${1 + (i % 250)}`;
      const p = await RawPeer.open(port, ip);
      await p.handshake();
      const frames: Uint8Array[] = [];
      for (let k = 0; k < 8; k++) {
        const command = COMMANDS[(i * 8 + k) % COMMANDS.length]!;
        const cap = Math.min(MAX_PAYLOAD[command], 3000);
        const payload = randomBytes(cap === 0 ? (k % 2) : 1 + ((i * 131 + k * 17) % cap));
        frames.push(scanner.encodeFrame(NETWORKS.regtest.magic, command, payload));
      }
      // A ping after the fuzz: frames are handled in stream order, so its pong (or the node closing
      // the connection) means all eight were handled.
      const nonce = BigInt(1_000_000 + i);
      p.write(Buffer.concat([...frames, frameOf({ command: 'ping', nonce } as Message)]));
      await p.until(() => p.closed || p.received.some((m) => m.command === 'pong' && m.nonce === nonce), `round ${i} handled`);
      if (!p.closed) {
        if ((node.peers().find((x) => x.addr.startsWith(`${ip}:`))?.banScore ?? 0) > 0) scored++;
      } else {
        scored++;
      }
      p.close();
    }
    // Bad payloads cost their senders (a score, or the connection), and none of them made the node
    // fail on its side: an exception out of a codec closes the peer as 'local'.
    expect(scored).toBeGreaterThan(0);
    expect(disconnects.filter((d) => d.addr.startsWith('127.0.1.') && d.reason === 'local')).toEqual([]);
    control.send({ command: 'ping', nonce: 4242n } as Message);
    await control.until(() => control.received.some((m) => m.command === 'pong' && m.nonce === 4242n), 'pong after the fuzzing');
    control.close();
  });
});
