import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePayload, encodePayload, type Message } from '../../src/wire/codec.js';
import {
  MAX_ADDR_PER_MSG,
  MAX_BLOCK_HEADERS_PER_MSG,
  MAX_BLOCK_LOCATORS_PER_MSG,
  MAX_INV_PER_MSG,
  PROTOCOL_VERSION,
  type Command,
} from '../../src/wire/constants.js';
import { codeOf, buildTx, concat, cs, hex, messageArb, PVERS, toHex } from './helpers.js';

const PVER = PROTOCOL_VERSION;

describe('decode(encode(m)) == m for every message', () => {
  it.each(PVERS)('at pver %i', (pver) => {
    fc.assert(
      fc.property(messageArb(pver), (m) => {
        const payload = encodePayload(m, pver);
        const back = decodePayload(m.command, payload, pver);
        expect(back).toEqual(m);
        // …and the bytes are a fixed point.
        expect(toHex(encodePayload(back, pver))).toBe(toHex(payload));
      }),
      { numRuns: 300 },
    );
  });
});

/** CompactSize edges (bcoin net-test: 254-item lists cross 0xfd) plus each message's max. */
const EDGES = [0, 252, 253, 254];

function listMessage(command: string, n: number): Message {
  const h = new Uint8Array(32).fill(0x5a);
  switch (command) {
    case 'inv':
    case 'getdata':
    case 'notfound':
      return { command, inventory: Array.from({ length: n }, (_, i) => ({ type: (i % 2) + 1, hash: h })) };
    case 'addr':
      return { command, addresses: Array.from({ length: n }, (_, i) => ({ timestamp: i, services: 1n, ip: new Uint8Array(16), port: i })) };
    case 'addrv2':
      return { command, addresses: Array.from({ length: n }, (_, i) => ({ timestamp: i, services: BigInt(i), networkId: 1, addr: Uint8Array.of(1, 2, 3, 4), port: 8333 })) };
    case 'headers':
      return { command, headers: Array.from({ length: n }, (_, i) => ({ version: i, prevBlock: h, merkleRoot: h, timestamp: i, bits: 0x1d00ffff, nonce: i })) };
    case 'getheaders':
    case 'getblocks':
      return { command, protocolVersion: PVER, locator: Array.from({ length: n }, () => h), hashStop: h };
    default:
      throw new Error(command);
  }
}

/** Encoded size of listMessage's first element. */
const ELEMENT_SIZE: Record<string, number> = { inv: 36, getdata: 36, notfound: 36, addr: 30, addrv2: 13, headers: 81, getheaders: 32, getblocks: 32 };


const LISTS: [command: string, max: number][] = [
  ['inv', MAX_INV_PER_MSG],
  ['getdata', MAX_INV_PER_MSG],
  ['notfound', MAX_INV_PER_MSG],
  ['addr', MAX_ADDR_PER_MSG],
  ['addrv2', MAX_ADDR_PER_MSG],
  ['headers', MAX_BLOCK_HEADERS_PER_MSG],
  ['getheaders', MAX_BLOCK_LOCATORS_PER_MSG],
  ['getblocks', MAX_BLOCK_LOCATORS_PER_MSG],
];

describe('boundary counts', () => {
  describe.each(LISTS)('%s (max %i)', (command, max) => {
    it.each([...EDGES, max])('%i items round-trip with a minimal count prefix', (n) => {
      const m = listMessage(command, n);
      const payload = encodePayload(m, PVER);
      const prefixAt = command === 'getheaders' || command === 'getblocks' ? 4 : 0;
      expect(toHex(payload.subarray(prefixAt, prefixAt + cs(n).length))).toBe(toHex(cs(n)));
      const back = decodePayload(m.command, payload, PVER);
      // Deep equality on 50,000 objects takes vitest ~20 s: compare fully up to 254 items, and
      // for the max compare the re-encoded bytes plus the items at both ends.
      if (n <= 254) expect(back).toEqual(m);
      else {
        expect(Buffer.compare(encodePayload(back, PVER), payload)).toBe(0);
        const items = (x: Message) => Object.values(x).find(Array.isArray) as unknown[];
        expect(items(back).length).toBe(n);
        expect(items(back)[0]).toEqual(items(m)[0]);
        expect(items(back)[n - 1]).toEqual(items(m)[n - 1]);
      }
    });

    it('max + 1 is refused by both encoder and decoder', () => {
      expect(() => encodePayload(listMessage(command, max + 1), PVER)).toThrow(RangeError);
      const ok = encodePayload(listMessage(command, max), PVER);
      const at = command === 'getheaders' || command === 'getblocks' ? 4 : 0;
      const body = at + cs(max).length;
      // The count alone: refused at the count, whatever follows.
      expect(codeOf(() => decodePayload(command as Command, concat(ok.subarray(0, at), cs(max + 1)), PVER))).toBe('ERR_PAYLOAD_COUNT_TOO_LARGE');
      // Fully populated: one more copy of the first element.
      const first = ok.subarray(body, body + ELEMENT_SIZE[command]!);
      const full = concat(ok.subarray(0, at), cs(max + 1), first, ok.subarray(body));
      expect(['ERR_PAYLOAD_COUNT_TOO_LARGE', 'ERR_PAYLOAD_FIELD_TOO_LARGE']).toContain(codeOf(() => decodePayload(command as Command, full, PVER)));
    });
  });

  // No list may hold 0xFFFF or 0x10000 items, but length prefixes can: a reject reason and a
  // scriptSig / witness item cross the 3→5-byte CompactSize edge here.
  it.each([0, 252, 253, 254, 0xffff, 0x10000])('reject reason of %i bytes round-trips', (n) => {
    const m: Message = { command: 'reject', message: 'block', code: 0x10, reason: 'r'.repeat(n), hash: new Uint8Array(32) };
    const p = encodePayload(m, PVER);
    expect(toHex(p.subarray(7, 7 + cs(n).length))).toBe(toHex(cs(n)));
    expect(decodePayload('reject', p, PVER)).toEqual(m);
  });

  it.each([0, 252, 253, 254, 0xffff, 0x10000])('tx with a %i-byte scriptSig and witness item round-trips', (n) => {
    const raw = buildTx({
      version: 2,
      inputs: [{ prevout: new Uint8Array(36), script: new Uint8Array(n).fill(1), sequence: 0 }],
      outputs: [{ value: 1n, script: hex('51') }],
      witnesses: [[new Uint8Array(n).fill(2)]],
      lockTime: 0,
    });
    const m = decodePayload('tx', raw, PVER);
    expect(m.raw.length).toBe(raw.length);
    expect(encodePayload(m, PVER)).toEqual(raw);
  });
});
