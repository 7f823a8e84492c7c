// The frames-in send path: PacketCipher.sealFrames and V2Session.sendFrames against seal() of the
// same messages (byte for byte, real ciphers), and frameMessageType's cache of command fields.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commandOfId, frameMessageType, messageType } from '../../src/wire/v2-message-types.js';
import { V2Session, type V2Message, type V2Output } from '../../src/transport/v2/session.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { PacketCipher, type SealInput } from '../../src/wasm/v2-cipher.js';
import { COMMANDS, HEADER_SIZE, MAX_PAYLOAD, NETWORKS } from '../../src/wire/constants.js';
import { messagesOf, openPackets } from '../helpers/v2-messages.js';

const MAGIC = NETWORKS.regtest.magic;
const scanner = new FrameScanner();
const AEAD_KEY = new Uint8Array(randomBytes(32));
const LENGTH_KEY = new Uint8Array(randomBytes(32));

/** A v1 frame as the node builds it. */
const frame = (command: string, payload: Uint8Array): Uint8Array => scanner.encodeFrame(MAGIC, command, payload);

/** A frame whose 12-byte command field is `field` exactly (for malformed and colliding fields). */
function rawFrame(field: readonly number[], payload: Uint8Array): Uint8Array {
  const f = frame('tx', payload).slice();
  f.fill(0, 4, 16);
  f.set(field, 4);
  return f;
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** What seal() is given for the same frame: its message type and its payload. */
const sealInput = (command: string, f: Uint8Array): SealInput => ({ type: messageType(command), contents: f.subarray(HEADER_SIZE) });

/** Both sides of the comparison: one cipher seals frames, a twin with the same keys seals SealInputs. */
function twins(nativeMin?: number): { frames: PacketCipher; inputs: PacketCipher } {
  return { frames: new PacketCipher(AEAD_KEY, LENGTH_KEY, { nativeMin }), inputs: new PacketCipher(AEAD_KEY, LENGTH_KEY, { nativeMin }) };
}

// Every command the node names, the BIP324 short ids beyond them, and two without a short id.
const ALL_COMMANDS = [...new Set([...COMMANDS, ...Array.from({ length: 37 }, (_, i) => commandOfId(i + 1)!), 'sendtxrcncl', 'abcdefghijkl'])];

describe('PacketCipher.sealFrames', () => {
  it('gives the bytes seal() gives for every command, short and long form, across batches and the 224-packet rekey', () => {
    const { frames, inputs } = twins();
    const once = (): { command: string; frame: Uint8Array }[] =>
      ALL_COMMANDS.flatMap((c, i) => [0, 1, 250, 1000 + i].map((n) => ({ command: c, frame: frame(c, new Uint8Array(randomBytes(n))) })));
    const messages = [...once(), ...once(), ...once(), ...once()];
    expect(messages.length).toBeGreaterThan(3 * 224);
    let at = 0;
    for (const size of [1, 8, 64, 1, 224, 3, 500]) {
      const batch = messages.slice(at, at + size);
      at += size;
      if (batch.length === 0) break;
      const got = frames.sealFrames(batch.map((m) => m.frame));
      const want = inputs.seal(batch.map((m) => sealInput(m.command, m.frame)));
      expect(Buffer.from(got).equals(Buffer.from(want)), `batch of ${size} at ${at - size}`).toBe(true);
    }
    expect(at).toBeGreaterThanOrEqual(messages.length);
  });

  it('seals packets of at least nativeMin by node:crypto from the frame, at and around the boundary, short and long types', () => {
    const nativeMin = 300;
    const { frames, inputs } = twins(nativeMin);
    const batch: { command: string; frame: Uint8Array }[] = [];
    // Header byte + type + payload: nativeMin - 1 stays in WASM, nativeMin and above go native.
    for (let round = 0; round < 40; round++) {
      for (const [command, typeLen] of [['tx', 1], ['sendtxrcncl', 13]] as const) {
        for (const d of [-2, -1, 0, 1, 2, 4000]) {
          const payload = new Uint8Array(randomBytes(nativeMin - 1 - typeLen + d));
          batch.push({ command, frame: frame(command, payload) });
        }
        batch.push({ command: 'verack', frame: frame('verack', new Uint8Array(0)) });
      }
    }
    expect(batch.length).toBeGreaterThan(224);
    for (const [from, to] of [[0, 1], [1, 9], [9, 73], [73, batch.length]]) {
      const part = batch.slice(from, to);
      const got = frames.sealFrames(part.map((m) => m.frame));
      const want = inputs.seal(part.map((m) => sealInput(m.command, m.frame)));
      expect(Buffer.from(got).equals(Buffer.from(want)), `packets ${from}..${to}`).toBe(true);
    }
  });

  it('seals a block-sized payload natively at the default nativeMin, and its peer opens it', () => {
    const { frames, inputs } = twins();
    const block = frame('block', new Uint8Array(randomBytes(300_000)));
    const tx = frame('tx', new Uint8Array(randomBytes(250)));
    const got = frames.sealFrames([tx, block, tx]);
    expect(Buffer.from(got).equals(Buffer.from(inputs.seal([sealInput('tx', tx), sealInput('block', block), sealInput('tx', tx)])))).toBe(true);
    const opened = openPackets(new PacketCipher(AEAD_KEY, LENGTH_KEY), got);
    expect(opened.failure).toBeUndefined();
    expect(opened.contents.map((c) => Buffer.from(c).toString('hex'))).toEqual(
      [tx, block, tx].map((f, i) => Buffer.concat([messageType(i === 1 ? 'block' : 'tx'), f.subarray(HEADER_SIZE)]).toString('hex')),
    );
  });

  it('throws before touching its state for a command field that could never be sent, and for a short frame', () => {
    const { frames, inputs } = twins();
    const good = frame('inv', new Uint8Array(randomBytes(37)));
    const bad = rawFrame([0x69, 0x01, 0x76], new Uint8Array(8));
    expect(() => frames.sealFrames([good, bad])).toThrow(TypeError);
    expect(() => frames.sealFrames([good, new Uint8Array(23)])).toThrow(RangeError);
    expect(Buffer.from(frames.sealFrames([good])).equals(Buffer.from(inputs.seal([sealInput('inv', good)])))).toBe(true);
  });
});

describe('frameMessageType', () => {
  it('gives the very type messageType caches for every command, on first sight and from the cache', () => {
    for (let pass = 0; pass < 2; pass++) {
      for (const c of ALL_COMMANDS) expect(frameMessageType(frame(c, new Uint8Array(0)))).toBe(messageType(c));
    }
  });

  it('tells apart command fields that share a cache key (the XOR of the three words)', () => {
    // 'abcd' and 'abcdwxyzwxyz' share the key 'abcd'; so do 'abcdefgh' and 'efghabcd'.
    const pairs = [
      ['abcd', 'abcdwxyzwxyz'],
      ['abcdefgh', 'efghabcd'],
    ];
    for (const [a, b] of pairs) {
      for (let round = 0; round < 3; round++) {
        for (const c of [a!, b!, b!, a!]) {
          expect(Buffer.from(frameMessageType(frame(c, new Uint8Array(1))))).toEqual(Buffer.from(messageType(c)));
        }
      }
    }
  });

  it('throws messageType\'s TypeError for a field that is empty, not printable, or not NUL padded', () => {
    const fields = [[], ascii('a\x01b'), ascii('tx\x7f'), [...ascii('ab'), 0, ...ascii('c')], [0xe9, ...ascii('tx')], ascii('tx'.padEnd(12, ' ')).map((b, i) => (i === 11 ? 0x80 : b))];
    let message = '';
    try {
      messageType('');
    } catch (e) {
      message = (e as Error).message.split(',')[0]!;
    }
    expect(message).toContain('printable ASCII');
    for (const field of fields) {
      const f = rawFrame(field, new Uint8Array(4));
      for (let round = 0; round < 2; round++) expect(() => frameMessageType(f), JSON.stringify(field)).toThrow(new RegExp(`^${message}`));
      expect(() => frameMessageType(f)).toThrow(TypeError);
    }
    // A malformed field sharing its key with a cached one ('tx' XOR 'ab\0\0' XOR 'ab\0\0') is still refused.
    frameMessageType(frame('tx', new Uint8Array(0)));
    expect(() => frameMessageType(rawFrame([...ascii('tx'), 0, 0, ...ascii('ab'), 0, 0, ...ascii('ab')], new Uint8Array(0)))).toThrow(TypeError);
  });
});

describe('V2Session.sendFrames', () => {
  /** Feeds `bytes` to `to`, collecting its messages; returns what `to` answers. */
  function step(to: V2Session, bytes: Uint8Array | undefined, got: V2Message[]): Uint8Array | undefined {
    if (bytes === undefined) return undefined;
    const out: V2Output = to.receive(bytes);
    expect(out.error).toBeUndefined();
    got.push(...messagesOf(out));
    return out.send;
  }

  it('queues frames sent before the keys exist behind the version packet, then seals them as they come', () => {
    const a = new V2Session({ initiating: true, magic: MAGIC });
    const b = new V2Session({ initiating: false, magic: MAGIC });
    // Payloads within each command's cap: over it the receiver's framer halts, as a v1 scan does.
    const caps: Readonly<Record<string, number>> = MAX_PAYLOAD;
    const sent = ALL_COMMANDS.map((c, i) => ({ command: c, payload: new Uint8Array(randomBytes(Math.min(i * 97, caps[c] ?? Infinity))) }));
    const early = sent.slice(0, 10);
    expect(a.sendFrames(early.map((m) => frame(m.command, m.payload)))).toBeUndefined();
    const got: V2Message[] = [];
    // a → b: key, garbage; b → a: key, garbage, terminator, version; a → b: terminator, version, queued frames.
    const fromB = step(b, a.start(), got);
    const fromA = step(a, fromB, []);
    expect(step(a, step(b, fromA, got), [])).toBeUndefined();
    expect(a.established && b.established).toBe(true);
    const late = sent.slice(10);
    step(b, a.sendFrames(late.slice(0, 1).map((m) => frame(m.command, m.payload))), got);
    step(b, a.sendDecoy(33), got);
    step(b, a.sendFrames(late.slice(1).map((m) => frame(m.command, m.payload))), got);
    expect(a.sendFrames([])).toBeUndefined();
    expect(got.map((m) => `${m.command}:${Buffer.from(m.payload).toString('hex')}`)).toEqual(sent.map((m) => `${m.command}:${Buffer.from(m.payload).toString('hex')}`));
  });
});
