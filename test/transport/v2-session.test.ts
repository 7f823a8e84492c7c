// The v2 session state machine end to end in memory: two sessions wired back to back through
// randomly split byte streams (real ciphers, real keys), and every failure reason.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { V2Session, type V2Message, type V2Output } from '../../src/transport/v2/session.js';
import { encodeContents } from '../../src/wire/v2-message-types.js';
import { NETWORKS } from '../../src/wire/constants.js';
import { messagesOf } from '../helpers/v2-messages.js';

const MAGIC = NETWORKS.regtest.magic;

/** Plain Uint8Array (not Buffer), so received and sent messages compare equal. */
const randomBytes = (n: number): Uint8Array => new Uint8Array(nodeRandomBytes(n));

/** Compact form for comparing long message lists. */
const digest = (ms: V2Message[]): string[] => ms.map((m) => `${m.command}:${Buffer.from(m.payload).toString('hex')}`);

/** Splits `bytes` into pieces of 1..max bytes. */
function pieces(bytes: Uint8Array, max: number, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = seed;
  for (let at = 0; at < bytes.length; ) {
    s = (s * 1103515245 + 12345) >>> 0;
    const n = 1 + (s % max);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

interface Side {
  s: V2Session;
  got: V2Message[];
  decoys: number;
  dropped: number;
  errors: string[];
}

/**
 * Delivers everything each side sends to the other, split into pieces, until both are quiet. With
 * `reuse`, every piece is read from that one buffer, scribbled over after each receive (a socket's
 * reused onread buffer).
 */
function pump(a: Side, b: Side, first: Uint8Array | undefined, maxPiece: number, reuse?: Uint8Array): void {
  let queue: { to: Side; bytes: Uint8Array }[] = first === undefined ? [] : [{ to: b, bytes: first }];
  let seed = 7;
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const { to, bytes } of queue) {
      for (const p of pieces(bytes, maxPiece, seed++)) {
        if (reuse !== undefined) reuse.set(p);
        const out: V2Output = to.s.receive(reuse === undefined ? p : reuse.subarray(0, p.length));
        if (reuse !== undefined) reuse.fill(0xee);
        to.got.push(...messagesOf(out));
        to.decoys += out.decoys;
        to.dropped += out.dropped;
        if (out.error) to.errors.push(out.error.reason);
        if (out.send) next.push({ to: to === a ? b : a, bytes: out.send });
      }
    }
    queue = next;
  }
}

function side(initiating: boolean, extra: Partial<ConstructorParameters<typeof V2Session>[0]> = {}): Side {
  return { s: new V2Session({ initiating, magic: MAGIC, ...extra }), got: [], decoys: 0, dropped: 0, errors: [] };
}

function connect(maxPiece = 1000, extraA = {}, extraB = {}): [Side, Side] {
  const a = side(true, extraA);
  const b = side(false, extraB);
  pump(a, b, a.s.start(), maxPiece);
  return [a, b];
}

describe('v2 session handshake', () => {
  it.each([1, 7, 64, 5000])('completes over pieces of up to %i bytes with matching session ids', (maxPiece) => {
    const [a, b] = connect(maxPiece);
    expect(a.s.phase).toBe('app');
    expect(b.s.phase).toBe('app');
    expect(a.s.sessionId).toBeDefined();
    expect(Buffer.from(a.s.sessionId!).equals(Buffer.from(b.s.sessionId!))).toBe(true);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it.each([1, 7, 64, 5000])('keeps no view of what it was fed: pieces of up to %i bytes from one reused buffer', (maxPiece) => {
    const reuse = new Uint8Array(8192);
    const a = side(true);
    const b = side(false);
    pump(a, b, a.s.start(), maxPiece, reuse);
    expect([a.s.phase, b.s.phase, a.errors, b.errors]).toEqual(['app', 'app', [], []]);
    const msgs: V2Message[] = Array.from({ length: 50 }, (_, i) => ({ command: 'tx', payload: randomBytes(30 + 97 * i) }));
    pump(a, b, a.s.send(msgs), maxPiece, reuse);
    expect(digest(b.got)).toEqual(digest(msgs));
  });

  it('delivers messages queued before the keys exist, right after the version packet', () => {
    const a = side(true);
    const b = side(false);
    expect(a.s.send([{ command: 'version', payload: Uint8Array.of(1, 2, 3) }])).toBeUndefined();
    pump(a, b, a.s.start(), 100);
    expect(b.got).toEqual([{ command: 'version', payload: Uint8Array.of(1, 2, 3) }]);
  });

  it('ignores decoys before the version packet and between messages', () => {
    const [a, b] = connect(300, { decoys: [0, 10, 3000] }, { decoys: [5] });
    expect(b.decoys).toBe(3);
    expect(a.decoys).toBe(1);
    const bytes = [a.s.sendDecoy(100)!, a.s.send([{ command: 'ping', payload: new Uint8Array(8).fill(1) }])!, a.s.sendDecoy(0)!];
    for (const x of bytes) pump(a, b, x, 50);
    expect(b.got).toEqual([{ command: 'ping', payload: new Uint8Array(8).fill(1) }]);
    expect(b.decoys).toBe(5);
  });

  it('accepts exactly 4095 bytes of garbage on both sides', () => {
    const g = randomBytes(4095);
    const [a, b] = connect(999, { garbage: g }, { garbage: g });
    expect(a.s.phase).toBe('app');
    expect(b.s.phase).toBe('app');
  });

  it('holds across 1,000 messages each way, i.e. four rekeys of both ciphers, batched and one by one', () => {
    const [a, b] = connect();
    const msgs: V2Message[] = Array.from({ length: 1000 }, (_, i) => ({ command: i % 3 === 0 ? 'tx' : 'inv', payload: randomBytes(i % 300) }));
    pump(a, b, a.s.send(msgs.slice(0, 500)), 4096);
    for (const m of msgs.slice(500)) pump(a, b, a.s.send([m]), 4096);
    expect(digest(b.got)).toEqual(digest(msgs));
    for (const m of msgs) pump(b, a, b.s.send([m]), 65536);
    expect(digest(a.got)).toEqual(digest(msgs));
  });

  it('carries commands without a short id in the 13-byte form, and 4 MB payloads', () => {
    const [a, b] = connect();
    const big = randomBytes(4_000_000);
    const sent: V2Message[] = [
      { command: 'version', payload: randomBytes(100) },
      { command: 'sendaddrv2', payload: new Uint8Array(0) },
      { command: 'block', payload: big },
      { command: 'x', payload: Uint8Array.of(9) },
    ];
    pump(a, b, a.s.send(sent), 65536);
    expect(b.got.map((m) => m.command)).toEqual(sent.map((m) => m.command));
    expect(digest(b.got)).toEqual(digest(sent));
  });

  it('drops a packet with an unassigned short id or a malformed long type and keeps the session', () => {
    const [a, b] = connect();
    // A raw packet through the session's cipher: contents 0xff (no BIP assigns it), then a long type with a NUL inside.
    const bad1 = Uint8Array.of(0xff, 1, 2);
    const bad2 = encodeContents('ab', new Uint8Array(0));
    bad2[4] = 0x41; // 'a','b',NUL,'A': non-NUL after NUL
    const wire = (a.s as unknown as { sendCipher: { seal(p: { contents: Uint8Array }[]): Uint8Array } }).sendCipher.seal([{ contents: bad1 }, { contents: bad2 }]);
    pump(a, b, wire, 100);
    pump(a, b, a.s.send([{ command: 'pong', payload: new Uint8Array(8) }]), 100);
    expect(b.dropped).toBe(2);
    expect(b.got.map((m) => m.command)).toEqual(['pong']);
    expect(b.errors).toEqual([]);
  });
});

describe('v2 session failures (each a disconnect, never a throw)', () => {
  it('responder: the v1 prefix means v1, with every byte handed back', () => {
    const s = new V2Session({ initiating: false, magic: MAGIC });
    const v1 = new Uint8Array(40);
    new DataView(v1.buffer).setUint32(0, MAGIC, true);
    v1.set(Buffer.from('version'), 4);
    expect(s.receive(v1.subarray(0, 9)).v1).toBeUndefined();
    const out = s.receive(v1.subarray(9));
    expect(Buffer.from(out.v1!).equals(Buffer.from(v1))).toBe(true);
    expect(out.send).toBeUndefined();
    expect(s.phase).toBe('v1');
    // A v1 peer never cost us a key pair.
    expect(s.hasKeyPair).toBe(false);
  });

  it('responder: a v1 frame of another command is not v1 (BIP324), and a mismatch answers with the key at once', () => {
    const s = new V2Session({ initiating: false, magic: MAGIC, garbage: new Uint8Array(0) });
    const ping = new Uint8Array(24);
    new DataView(ping.buffer).setUint32(0, MAGIC, true);
    ping.set(Buffer.from('ping'), 4);
    // Nothing seen yet: no key made.
    expect(s.hasKeyPair).toBe(false);
    const out = s.receive(ping.subarray(0, 5));
    expect(out.send).toHaveLength(64);
    expect(s.phase).toBe('key');
    expect(s.hasKeyPair).toBe(true);
  });

  it('garbage-too-long: 4,096 bytes without the terminator', () => {
    const a = new V2Session({ initiating: true, magic: MAGIC });
    a.start();
    const out = a.receive(randomBytes(64 + 4095 + 16));
    expect(out.error?.reason).toBe('garbage-too-long');
    expect(out.error?.code).toBe('ERR_V2_TRANSPORT');
    expect(messagesOf(a.receive(randomBytes(10)))).toEqual([]);
  });

  it('a peer on another network never matches the terminator: garbage-too-long', () => {
    const a = side(true);
    const b = side(false, { magic: NETWORKS.mainnet.magic });
    pump(a, b, a.s.start(), 500);
    pump(a, b, a.s.sendDecoy(5000), 500);
    expect([...a.errors, ...b.errors]).toContain('garbage-too-long');
  });

  it('bad-tag: one flipped ciphertext bit; nothing after it is delivered', () => {
    const [a, b] = connect();
    const wire = a.s.send([{ command: 'ping', payload: new Uint8Array(8) }, { command: 'pong', payload: new Uint8Array(8) }])!;
    wire[10]! ^= 4;
    const out = b.s.receive(wire);
    expect(out.error?.reason).toBe('bad-tag');
    expect(messagesOf(out)).toEqual([]);
  });

  it('a replayed packet never passes: its length decrypts to noise, then the tag (or the length cap) fails', () => {
    const [a, b] = connect();
    const wire = a.s.send([{ command: 'ping', payload: new Uint8Array(8) }])!;
    expect(messagesOf(b.s.receive(wire))).toHaveLength(1);
    const replay = b.s.receive(wire);
    expect(messagesOf(replay)).toEqual([]);
    const out = replay.error ?? b.s.receive(new Uint8Array(4_000_100)).error;
    expect(['bad-tag', 'oversize']).toContain(out?.reason);
  });

  it('oversize: a length over 4,000,013 is refused on its 3 bytes, before any payload arrives', () => {
    const [a, b] = connect();
    const wire = a.s.send([{ command: 'ping', payload: new Uint8Array(8) }])!;
    wire[2]! ^= 0x80;
    const out = b.s.receive(wire.subarray(0, 3));
    expect(out.error?.reason).toBe('oversize');
  });

  it('truncated: the stream ends inside a packet or inside the handshake; a clean end is fine', () => {
    const [a, b] = connect();
    const wire = a.s.send([{ command: 'ping', payload: new Uint8Array(8) }])!;
    b.s.receive(wire.subarray(0, wire.length - 1));
    expect(b.s.end()?.reason).toBe('truncated');
    const [, d] = connect();
    expect(d.s.end()).toBeUndefined();
    const e = new V2Session({ initiating: false, magic: MAGIC });
    e.receive(randomBytes(30));
    expect(e.end()?.reason).toBe('truncated');
  });

  it('a responder that saw nothing, or only the start of a v1 header, has no v2 stream to fail', () => {
    const silent = new V2Session({ initiating: false, magic: MAGIC });
    expect(silent.timeout()).toBeUndefined();
    expect(silent.end()).toBeUndefined();
    const v1Start = new V2Session({ initiating: false, magic: MAGIC });
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(MAGIC);
    expect(v1Start.receive(Buffer.concat([magic, Buffer.from('vers')])).error).toBeUndefined();
    expect(v1Start.phase).toBe('detect');
    expect(v1Start.end()).toBeUndefined();
  });

  it('no-version: the timer fires before the version packet', () => {
    const a = new V2Session({ initiating: true, magic: MAGIC });
    a.start();
    expect(a.timeout()?.reason).toBe('no-version');
    const [c] = connect();
    expect(c.s.timeout()).toBeUndefined();
  });

  it('initiator closed before the responder key arrived: retry v1; after the key: do not', () => {
    const a = new V2Session({ initiating: true, magic: MAGIC });
    a.start();
    a.receive(randomBytes(20));
    expect(a.shouldRetryV1()).toBe(true);
    const [c] = connect();
    expect(c.s.shouldRetryV1()).toBe(false);
  });
});
