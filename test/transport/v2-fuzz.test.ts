// Fuzzing the v2 decoder as test/wire/fuzz.test.ts does the v1 one: random and mutated streams
// into real sessions. The decoder never throws; it delivers only messages that were sent, in
// order; a mutated stream ends in a typed failure or a wait for more bytes, never in a wrong
// message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { V2_FAILURE_REASONS } from '../../src/transport/v2/errors.js';
import { generateKeyPair } from '../../src/transport/v2/keys.js';
import { V2Session, type V2Message } from '../../src/transport/v2/session.js';
import { MAX_PAYLOAD, NETWORKS } from '../../src/wire/constants.js';
import { messagesOf } from '../helpers/v2-messages.js';

const MAGIC = NETWORKS.testnet4.magic;
// Key generation (ElligatorSwift encoding) dominates a handshake; the ECDH still runs per case.
const KEYS = [generateKeyPair(), generateKeyPair()] as const;
const key = (m: V2Message): string => `${m.command}:${Buffer.from(m.payload).toString('hex')}`;

/** A responder's full stream to a fixed initiator (key, garbage, terminator, packets), and the messages in it. */
function recordedStream(messages: V2Message[], garbage: number, decoys: number[]): { initiator: V2Session; stream: Uint8Array } {
  const initiator = new V2Session({ initiating: true, magic: MAGIC, garbage: new Uint8Array(3), keyPair: KEYS[0] });
  const responder = new V2Session({ initiating: false, magic: MAGIC, garbage: new Uint8Array(garbage).fill(0x5a), decoys, keyPair: KEYS[1] });
  const hello = initiator.start()!;
  const reply = responder.receive(hello);
  const more = responder.send(messages) ?? new Uint8Array(0);
  return { initiator, stream: Buffer.concat([reply.send!, more]) };
}

type Mutation = { kind: 'flip' | 'insert' | 'delete' | 'truncate' | 'duplicate'; at: number; value: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'duplicate'),
  at: fc.nat(),
  value: fc.nat(255),
});

function mutate(input: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = Buffer.from(input);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ (1 << (m.value & 7));
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Uint8Array.of(m.value), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'duplicate') b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + (m.value % 40)), b.subarray(at)]);
  }
  return new Uint8Array(b);
}

/** Feeds `bytes` in pieces; returns what came out. Throws only if the session throws. */
function feed(s: V2Session, bytes: Uint8Array, cuts: number[]): { got: V2Message[]; error?: string } {
  const got: V2Message[] = [];
  let at = 0;
  for (const c of [...cuts.map((x) => x % (bytes.length + 1)).sort((x, y) => x - y), bytes.length]) {
    if (c < at) continue;
    const out = s.receive(bytes.subarray(at, c));
    at = c;
    got.push(...messagesOf(out));
    if (out.error) return { got, error: out.error.reason };
  }
  return { got };
}

const messageArb: fc.Arbitrary<V2Message> = fc.record({
  command: fc.constantFrom('tx', 'inv', 'ping', 'version', 'sendaddrv2', 'wtxidrelay', 'headers'),
  payload: fc.uint8Array({ maxLength: 400 }),
});

describe('v2 decoder fuzz', () => {
  it('random bytes into an initiator and a responder: never a throw, never a message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.array(fc.nat(), { maxLength: 5 }), fc.boolean(), (bytes, cuts, initiating) => {
        const s = new V2Session({ initiating, magic: MAGIC });
        s.start();
        const r = feed(s, bytes, cuts);
        expect(r.got).toEqual([]);
        if (r.error !== undefined) expect(V2_FAILURE_REASONS).toContain(r.error);
        const end = s.end();
        if (end !== undefined) expect(end.code).toBe('ERR_V2_TRANSPORT');
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes after a valid handshake: a failure or a wait, never a message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
        const { initiator, stream } = recordedStream([], 0, []);
        expect(feed(initiator, stream, []).error).toBeUndefined();
        expect(initiator.established).toBe(true);
        const r = feed(initiator, bytes, cuts);
        expect(r.got).toEqual([]);
        if (r.error !== undefined) expect(['bad-tag', 'oversize']).toContain(r.error);
      }),
      { numRuns: 100 },
    );
  });

  it('mutated valid streams: only a prefix of the sent messages, then a typed failure or a wait', () => {
    let intact = 0;
    let failed = 0;
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 6 }),
        fc.nat(100),
        fc.array(fc.nat(300), { maxLength: 2 }),
        fc.array(mutation, { minLength: 0, maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (messages, garbage, decoys, muts, cuts) => {
          const { initiator, stream } = recordedStream(messages, garbage, decoys);
          const bytes = mutate(stream, muts);
          const r = feed(initiator, bytes, cuts);
          const sent = messages.map(key);
          const got = r.got.map(key);
          expect(got).toEqual(sent.slice(0, got.length));
          if (r.error !== undefined) {
            failed++;
            expect(V2_FAILURE_REASONS).toContain(r.error);
          }
          if (Buffer.from(bytes).equals(Buffer.from(stream))) {
            intact++;
            expect(r.error).toBeUndefined();
            // A payload over its command's cap is the framer's fatal last record (as in a v1
            // scan): the messages up to and including it come out, none after it.
            const caps: Readonly<Record<string, number>> = MAX_PAYLOAD;
            const over = messages.findIndex((m) => m.payload.length > (caps[m.command] ?? Infinity));
            expect(got).toEqual(over < 0 ? sent : sent.slice(0, over + 1));
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(intact).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
  });
});
