import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError } from '../../src/errors.js';
import { decodeMessage, decodePayload, encodePayload } from '../../src/wire/codec.js';
import { COMMANDS, PROTOCOL_VERSION, type Command } from '../../src/wire/constants.js';
import { messageToJson } from '../../src/wire/json.js';
import { nodeHash256 } from '../../src/wire/hash.js';
import { messageArb, PVERS, toHex } from './helpers.js';

/**
 * btcd fuzz_test / lnd#271: random or mutated bytes into every decoder. Either a WireError, or the
 * message re-encodes to exactly the bytes it came from (fixed point) — and inspect can print it.
 */
function check(command: Command, payload: Uint8Array, pver: number): boolean {
  let msg;
  try {
    msg = decodePayload(command, payload, pver);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    expect(e.code).toMatch(/^ERR_PAYLOAD_/);
    return false;
  }
  expect(toHex(encodePayload(msg, pver))).toBe(toHex(payload));
  messageToJson(msg, nodeHash256);
  return true;
}

type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'append'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate', 'append'),
  at: fc.nat(),
  value: fc.oneof(fc.constantFrom(0x00, 0x01, 0xfc, 0xfd, 0xfe, 0xff), fc.nat(255)),
});

function mutate(input: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = Array.from(input);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[at] = b[at]! ^ (1 << (m.value & 7));
        break;
      case 'set':
        if (b.length > 0) b[at] = m.value;
        break;
      case 'insert':
        b.splice(at, 0, m.value);
        break;
      case 'delete':
        b.splice(at, 1);
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'append':
        b.push(m.value);
        break;
    }
  }
  return Uint8Array.from(b);
}

describe('fuzz', () => {
  it.each(COMMANDS)('%s: random bytes only ever give a WireError or a fixed point', (command) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...PVERS), (bytes, pver) => {
        check(command, bytes, pver);
      }),
      { numRuns: 400 },
    );
  });

  it.each(PVERS)('mutated valid payloads at pver %i', (pver) => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(messageArb(pver), fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, muts) => {
        const payload = mutate(encodePayload(m, pver), muts);
        if (check(m.command, payload, pver)) accepted++;
        else rejected++;
      }),
      { numRuns: 1500 },
    );
    // Both outcomes must actually be exercised for the property to mean anything.
    expect(accepted).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
  });

  it('unknown command names never throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 64 }), (name, payload) => {
        try {
          const m = decodeMessage(name, payload, PROTOCOL_VERSION);
          expect(toHex(encodePayload(m, PROTOCOL_VERSION))).toBe(toHex(payload));
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});
