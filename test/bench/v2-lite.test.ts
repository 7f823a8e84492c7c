/**
 * The load generators' v2 side (bench/load/v2-lite.ts) against the node's own v2 code: a responder
 * session in memory (frames sealed in one batch come out as the same messages, and messages back
 * arrive as whole v1 frames a LiteFramer walks), then a real node over loopback TCP that must see a v2 peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import { V2Session } from '../../src/transport/v2/session.js';
import { V2Lite } from '../../bench/load/v2-lite.js';
import { MAGIC, frame, invPayload, versionFrame, type LiteFrame } from '../../bench/load/wire-lite.js';
import { eventually } from '../helpers/raw-peer.js';
import { messagesOf } from '../helpers/v2-messages.js';

interface Seen {
  command: string;
  payload: Buffer;
  /** The 24 bytes before the payload in the buffer the frame was read from. */
  header: Buffer;
}

function collector(): { seen: Seen[]; onFrame: (f: LiteFrame) => void } {
  const seen: Seen[] = [];
  return { seen, onFrame: (f) => seen.push({ command: f.command, payload: Buffer.from(f.payload), header: Buffer.from(f.buf.subarray(f.offset - 24, f.offset)) }) };
}

describe('V2Lite with the node’s v2 session as responder', () => {
  it('handshakes, seals a run of v1 frames in one buffer, and hands messages back as whole v1 frames', () => {
    const c = collector();
    const lite = new V2Lite(c.onFrame);
    const node = new V2Session({ initiating: false, magic: MAGIC });
    const txPayload = Buffer.from('stamped transaction bytes');
    const inv = invPayload([Buffer.alloc(32, 7)]);
    // Queued before the keys exist: they follow our version packet.
    expect(lite.seal([frame('tx', txPayload)])).toBeUndefined();

    const toLite = node.receive(lite.start());
    expect(toLite.error).toBeUndefined();
    const toNode = lite.push(toLite.send!);
    expect(toNode).toBeDefined();
    const first = node.receive(toNode!);
    expect(first.error).toBeUndefined();
    expect(node.established).toBe(true);
    expect(messagesOf(first).map((m) => [m.command, Buffer.from(m.payload).toString()])).toEqual([['tx', txPayload.toString()]]);

    const sealed = lite.seal([frame('inv', inv), frame('tx', txPayload), frame('ping', Buffer.alloc(8, 1))]);
    const more = node.receive(sealed!);
    expect(more.error).toBeUndefined();
    const moreMessages = messagesOf(more);
    expect(moreMessages.map((m) => m.command)).toEqual(['inv', 'tx', 'ping']);
    expect(Buffer.from(moreMessages[0]!.payload).equals(inv)).toBe(true);

    const back = node.send([{ command: 'getdata', payload: inv }, { command: 'verack', payload: new Uint8Array(0) }]);
    expect(lite.push(back!)).toBeUndefined();
    expect(lite.established).toBe(true);
    expect(c.seen.map((s) => s.command)).toEqual(['getdata', 'verack']);
    expect(c.seen[0]!.payload.equals(inv)).toBe(true);
    // Whole frames: the header the LiteFramer read sits right before each payload.
    expect(c.seen.every((s) => s.header.readUInt32LE(0) === MAGIC && s.header.readUInt32LE(16) === s.payload.length)).toBe(true);
  });

  it('throws the session error when a packet fails authentication', () => {
    const lite = new V2Lite(() => {});
    const node = new V2Session({ initiating: false, magic: MAGIC });
    node.receive(new Uint8Array(0));
    const hello = node.receive(lite.start()).send!;
    node.receive(lite.push(hello)!);
    const packet = node.send([{ command: 'ping', payload: new Uint8Array(8) }])!;
    packet[packet.length - 1]! ^= 1;
    expect(() => lite.push(packet)).toThrow(/authentication/);
  });
});

describe('V2Lite against a real node', () => {
  let node: RelayNode;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wirerelay-v2lite-'));
    node = createRelay({ network: 'regtest', listen: '127.0.0.1:0', dataDir: dir, workers: 0, targetOutbound: 0, logLevel: 'silent' });
    await node.start();
  }, 30_000);
  afterAll(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('completes the version handshake over v2 and the node lists the peer as v2', async () => {
    const c = collector();
    const lite = new V2Lite(c.onFrame);
    const port = Number(node.listenAddress!.split(':').pop());
    const s = connect({ host: '127.0.0.1', port });
    s.on('data', (chunk: Buffer) => {
      const hs = lite.push(chunk);
      if (hs !== undefined) s.write(hs);
    });
    await new Promise((r) => s.once('connect', r));
    s.write(lite.start());
    expect(lite.seal([versionFrame(42n, true)])).toBeUndefined();
    try {
      await eventually(() => c.seen.some((x) => x.command === 'verack'), 'version and verack over v2');
      expect(c.seen[0]!.command).toBe('version');
      s.write(lite.seal([frame('verack', new Uint8Array(0))])!);
      await eventually(() => node.peers().some((p) => p.transport === 'v2' && p.state === 'established'), 'an established v2 peer');
    } finally {
      s.destroy();
    }
  });
});
