/**
 * BlockGate's relay of a rebuilt block, in two turns: the high-bandwidth push and the hop at once;
 * the `block` frame, the relay cache and the `block` event in the next turn; meanwhile the frame is
 * served (waitingFrame) without re-entering the relay.
 */
import { describe, expect, it } from 'vitest';
import { buildBlock } from '../../bench/support/blocks.js';
import { buildCmpctBlock } from '../../src/chain/compact/build-compact.js';
import { BlockGate, type BlockGateHost } from '../../src/node/block-gate.js';
import type { HeaderSync } from '../../src/node/header-sync.js';
import type { Peer } from '../../src/peer/peer.js';
import type { InventoryRelay } from '../../src/relay/inventory-relay.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { encodePayload } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { REGTEST } from '../helpers/raw-peer.js';

describe('BlockGate.relayRebuilt', () => {
  it('pushes at once, lays the block out after the push, relays in the next turn, and serves the waiting frame meanwhile', async () => {
    const b = buildBlock({ prev: new Uint8Array(32), height: 1, time: 1_700_000_000, txs: [] });
    const calls: string[] = [];
    const pushed: Uint8Array[] = [];
    const host: BlockGateHost = {
      punish: () => calls.push('punish'),
      pushCompact: (_from, _hash, frame) => {
        calls.push('push');
        pushed.push(frame);
      },
      onHop: (via) => calls.push(`hop:${via}`),
      onRelayed: (_p, _h, height, raw, via) => calls.push(`relayed:${height}:${via}:${raw.length}`),
    };
    const relayed: Uint8Array[] = [];
    const relay = { onBlock: (_p: unknown, frame: Uint8Array) => relayed.push(frame) } as unknown as InventoryRelay<Peer>;
    const scanner = new FrameScanner();
    let framings = 0;
    const gate = new BlockGate({} as HeaderSync, relay, { debug: () => {}, info: () => {} } as never, host, (f) => {
      framings++;
      return scanner.frameInPlace(REGTEST, 'block', f);
    });
    const unframed = new Uint8Array(24 + b.raw.length);
    unframed.set(b.raw, 24);
    const peer = { mesh: false } as Peer;
    const cmpctFrame = scanner.encodeFrame(REGTEST, 'cmpctblock', encodePayload(buildCmpctBlock(b.raw, 1n), PROTOCOL_VERSION));
    gate.relayRebuilt(peer, b.hash, 1, cmpctFrame, performance.now(), () => {
      calls.push('layout');
      return unframed;
    });
    expect(calls).toEqual(['push', 'hop:cmpctblock', 'layout']);
    expect(pushed).toEqual([cmpctFrame]);
    expect(relayed).toEqual([]);
    // Asked for before the relay ran: the frame, made once, from the same buffer.
    expect(gate.hasWaiting).toBe(true);
    const waiting = gate.waitingFrame(b.hash);
    expect(Buffer.from(waiting!)).toEqual(Buffer.from(scanner.encodeFrame(REGTEST, 'block', b.raw)));
    expect(gate.waitingFrame(new Uint8Array(32))).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(relayed).toEqual([waiting]);
    expect(framings).toBe(1);
    expect(calls.slice(3)).toEqual([`relayed:1:cmpctblock:${b.raw.length}`]);
    expect(gate.hasWaiting).toBe(false);
    expect(gate.waitingFrame(b.hash)).toBeUndefined();
    // Not again at or below the height relayed.
    gate.relayRebuilt(peer, b.hash, 1, cmpctFrame, performance.now(), () => unframed);
    expect(calls.filter((c) => c === 'push' || c === 'layout')).toEqual(['push', 'layout']);
  });
});
