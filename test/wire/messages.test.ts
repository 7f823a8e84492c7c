import { describe, expect, it } from 'vitest';
import { decodeMessage, decodePayload, encodePayload } from '../../src/wire/codec.js';
import { COMMANDS, PROTOCOL_VERSION, type Command } from '../../src/wire/constants.js';
import { decodeMempool } from '../../src/wire/messages/mempool.js';
import { decodeVerack } from '../../src/wire/messages/verack.js';
import { codeOf, concat, cs, hex, le32, le64, toHex } from './helpers.js';

const PVER = PROTOCOL_VERSION;


/**
 * A version message built field by field from btcd wire/msgversion.go:
 * every integer little-endian except the two ports, IPv4 as ::ffff:a.b.c.d.
 */
const VERSION_HEX = [
  '80110100', // version 70016 = 0x00011180
  '0900000000000000', // services NODE_NETWORK | NODE_WITNESS = 9
  '00f1536500000000', // timestamp 1,700,000,000 = 0x6553f100
  '0000000000000000', // addr_recv.services 0
  '00000000000000000000ffff7f000001', // addr_recv.ip ::ffff:127.0.0.1
  '208d', // addr_recv.port 8333, big-endian
  '0900000000000000', // addr_from.services 9
  '00000000000000000000000000000000', // addr_from.ip ::
  '0000', // addr_from.port 0
  'efcdab8967452301', // nonce 0x0123456789abcdef
  '10', // user agent length 16
  toHex(new TextEncoder().encode('/Satoshi:27.0.0/')),
  '00350c00', // start height 800,000 = 0x000c3500
  '01', // relay
].join('');

const VERSION_MSG = {
  command: 'version',
  protocolVersion: 70016,
  services: 9n,
  timestamp: 1_700_000_000n,
  addrRecv: { services: 0n, ip: hex('00000000000000000000ffff7f000001'), port: 8333 },
  addrFrom: { services: 9n, ip: new Uint8Array(16), port: 0 },
  nonce: 0x0123456789abcdefn,
  userAgent: '/Satoshi:27.0.0/',
  startHeight: 800_000,
  relay: true,
} as const;

describe('version', () => {
  it('decodes and encodes the field-by-field vector (102 bytes)', () => {
    const payload = hex(VERSION_HEX);
    expect(payload.length).toBe(102);
    expect(decodePayload('version', payload, PVER)).toEqual(VERSION_MSG);
    expect(toHex(encodePayload(VERSION_MSG, PVER))).toBe(VERSION_HEX);
  });

  it('fields after addr_recv are optional, in order (btcd: read only if bytes remain)', () => {
    const full = hex(VERSION_HEX);
    // cut points: after addr_recv 46, addr_from 72, nonce 80, user agent 97, start height 101
    const expectKeys: [number, string | undefined][] = [
      [46, 'addrFrom'],
      [72, 'nonce'],
      [80, 'userAgent'],
      [97, 'startHeight'],
      [101, 'relay'],
    ];
    for (const [cut, firstMissing] of expectKeys) {
      const m = decodePayload('version', full.subarray(0, cut), PVER);
      expect(Object.keys(m)).not.toContain(firstMissing);
      expect(toHex(encodePayload(m, PVER))).toBe(toHex(full.subarray(0, cut)));
    }
    // A field that is only partly present is truncated, not absent.
    expect(codeOf(() => decodePayload('version', full.subarray(0, 50), PVER))).toBe('ERR_PAYLOAD_TRUNCATED');
    expect(codeOf(() => decodePayload('version', full.subarray(0, 45), PVER))).toBe('ERR_PAYLOAD_TRUNCATED');
  });

  it('relay is only read for pver ≥ 70001; below that the byte is trailing', () => {
    const full = hex(VERSION_HEX);
    expect(codeOf(() => decodePayload('version', full, 70000))).toBe('ERR_PAYLOAD_TRAILING_BYTES');
    const m = decodePayload('version', full.subarray(0, 101), 70000);
    expect(m.relay).toBeUndefined();
    expect(() => encodePayload(VERSION_MSG, 70000)).toThrow(RangeError);
  });

  it('relay byte 2 is refused (strict bool keeps one encoding per message)', () => {
    const p = hex(VERSION_HEX);
    p[101] = 2;
    expect(codeOf(() => decodePayload('version', p, PVER))).toBe('ERR_PAYLOAD_INVALID');
  });

  it('user agent: 256 bytes accepted, 257 FIELD_TOO_LARGE', () => {
    const head = hex(VERSION_HEX).subarray(0, 80);
    const ua = (n: number) => concat(head, cs(n), new Uint8Array(n).fill(0x61));
    expect(decodePayload('version', ua(256), PVER).userAgent).toBe('a'.repeat(256));
    expect(codeOf(() => decodePayload('version', ua(257), PVER))).toBe('ERR_PAYLOAD_FIELD_TOO_LARGE');
    expect(() => encodePayload({ ...VERSION_MSG, userAgent: 'a'.repeat(257) }, PVER)).toThrow(RangeError);
  });

  it('a later optional field without an earlier one cannot be encoded', () => {
    const { addrFrom: _drop, ...rest } = VERSION_MSG;
    expect(() => encodePayload(rest, PVER)).toThrow(/addrFrom/);
  });
});

describe('ping / pong (BIP31)', () => {
  it('carry a u64 nonce above pver 60000', () => {
    const p = hex('efcdab8967452301');
    expect(decodePayload('ping', p, 60001)).toEqual({ command: 'ping', nonce: 0x0123456789abcdefn });
    expect(toHex(encodePayload({ command: 'pong', nonce: 0x0123456789abcdefn }, 60001))).toBe('efcdab8967452301');
  });
  it('are empty at or below 60000', () => {
    expect(decodePayload('ping', new Uint8Array(0), 60000)).toEqual({ command: 'ping', nonce: 0n });
    expect(codeOf(() => decodePayload('ping', hex('efcdab8967452301'), 60000))).toBe('ERR_PAYLOAD_TRAILING_BYTES');
    expect(encodePayload({ command: 'ping', nonce: 5n }, 60000).length).toBe(0);
  });
  it('a short nonce is truncated', () => {
    expect(codeOf(() => decodePayload('pong', hex('01020304'), PVER))).toBe('ERR_PAYLOAD_TRUNCATED');
  });
});

describe('empty messages', () => {
  it.each(['verack', 'getaddr', 'sendaddrv2', 'sendheaders', 'wtxidrelay', 'mempool'] as const)('%s: empty payload, any byte is refused', (cmd) => {
    expect(decodePayload(cmd, new Uint8Array(0), PVER)).toEqual({ command: cmd });
    expect(encodePayload({ command: cmd }, PVER).length).toBe(0);
    // The codec checks the per-command cap (0) first, as btcd ReadMessage does before decoding.
    expect(codeOf(() => decodePayload(cmd, hex('00'), PVER))).toBe('ERR_PAYLOAD_FIELD_TOO_LARGE');
  });
  it('the message decoders themselves call a byte in an empty message trailing', () => {
    expect(codeOf(() => decodeVerack(hex('00')))).toBe('ERR_PAYLOAD_TRAILING_BYTES');
    expect(codeOf(() => decodeMempool(hex('0000')))).toBe('ERR_PAYLOAD_TRAILING_BYTES');
  });
});

describe('addr', () => {
  const entry = concat(le32(1_700_000_000), le64(1n), hex('00000000000000000000ffff01020304'), hex('208d'));
  it('30-byte entries with timestamp from pver 31402', () => {
    const m = decodePayload('addr', concat(cs(1), entry), PVER);
    expect(m.addresses).toEqual([{ timestamp: 1_700_000_000, services: 1n, ip: hex('00000000000000000000ffff01020304'), port: 8333 }]);
  });
  it('26-byte entries below 31402 (timestamp decodes as 0)', () => {
    const m = decodePayload('addr', concat(cs(1), entry.subarray(4)), 31401);
    expect(m.addresses[0]!.timestamp).toBe(0);
    expect(toHex(encodePayload(m, 31401))).toBe(toHex(concat(cs(1), entry.subarray(4))));
  });
  it('at most one address below pver 209', () => {
    expect(codeOf(() => decodePayload('addr', concat(cs(2), entry.subarray(4), entry.subarray(4)), 208))).toBe(
      'ERR_PAYLOAD_COUNT_TOO_LARGE',
    );
  });
  it('zero entries decode (the peer layer decides)', () => {
    expect(decodePayload('addr', cs(0), PVER)).toEqual({ command: 'addr', addresses: [] });
  });
});

describe('addrv2 (BIP155)', () => {
  const e = (netId: number, addr: Uint8Array, services = cs(9)) => concat(le32(1_700_000_000), services, Uint8Array.of(netId), cs(addr.length), addr, hex('208d'));
  it.each([
    [1, 4],
    [2, 16],
    [3, 10],
    [4, 32],
    [5, 32],
    [6, 16],
  ])('network id %i needs exactly %i bytes', (id, size) => {
    expect(decodePayload('addrv2', concat(cs(1), e(id, new Uint8Array(size))), PVER).addresses[0]!.networkId).toBe(id);
    expect(codeOf(() => decodePayload('addrv2', concat(cs(1), e(id, new Uint8Array(size + 1))), PVER))).toBe('ERR_PAYLOAD_INVALID');
    expect(codeOf(() => decodePayload('addrv2', concat(cs(1), e(id, new Uint8Array(size - 1))), PVER))).toBe('ERR_PAYLOAD_INVALID');
  });
  it('unknown ids are kept byte for byte (≤ 512), longer is FIELD_TOO_LARGE', () => {
    const p = concat(cs(1), e(42, new Uint8Array(512).fill(3)));
    const m = decodePayload('addrv2', p, PVER);
    expect(m.addresses[0]!.addr.length).toBe(512);
    expect(toHex(encodePayload(m, PVER))).toBe(toHex(p));
    expect(codeOf(() => decodePayload('addrv2', concat(cs(1), e(42, new Uint8Array(513))), PVER))).toBe('ERR_PAYLOAD_FIELD_TOO_LARGE');
  });
  it('services is a CompactSize: full 64 bits, non-minimal refused', () => {
    const big = decodePayload('addrv2', concat(cs(1), e(1, new Uint8Array(4), hex('ffffffffffffffffff'))), PVER);
    expect(big.addresses[0]!.services).toBe((1n << 64n) - 1n);
    expect(codeOf(() => decodePayload('addrv2', concat(cs(1), e(1, new Uint8Array(4), hex('fd0900'))), PVER))).toBe('ERR_PAYLOAD_NON_MINIMAL_VARINT');
  });
});

describe('inv / getdata / notfound', () => {
  it('type u32 + hash, 36 bytes each', () => {
    const h = new Uint8Array(32).map((_, i) => i);
    const p = concat(cs(1), le32(0x40000001), h);
    for (const cmd of ['inv', 'getdata', 'notfound'] as const) {
      expect(decodePayload(cmd, p, PVER)).toEqual({ command: cmd, inventory: [{ type: 0x40000001, hash: h }] });
    }
  });
});

describe('headers', () => {
  const header = new Uint8Array(80).fill(1);
  it('each header is followed by a tx count of 0', () => {
    const m = decodePayload('headers', concat(cs(1), header, cs(0)), PVER);
    expect(m.headers[0]).toMatchObject({ version: 0x01010101, timestamp: 0x01010101 });
    expect(codeOf(() => decodePayload('headers', concat(cs(1), header, cs(1)), PVER))).toBe('ERR_PAYLOAD_INVALID');
    expect(codeOf(() => decodePayload('headers', concat(cs(1), header, hex('fd0000')), PVER))).toBe('ERR_PAYLOAD_NON_MINIMAL_VARINT');
    expect(codeOf(() => decodePayload('headers', concat(cs(1), header), PVER))).toBe('ERR_PAYLOAD_TRUNCATED');
  });
});

describe('getheaders / getblocks', () => {
  it('version u32, locator, stop hash', () => {
    const a = new Uint8Array(32).fill(0xaa);
    const z = new Uint8Array(32);
    const p = concat(le32(70016), cs(2), a, a, z);
    expect(decodePayload('getheaders', p, PVER)).toEqual({ command: 'getheaders', protocolVersion: 70016, locator: [a, a], hashStop: z });
    expect(codeOf(() => decodePayload('getblocks', p.subarray(0, p.length - 1), PVER))).toBe('ERR_PAYLOAD_TRUNCATED');
  });
});

describe('feefilter, reject', () => {
  it('feefilter is an i64', () => {
    expect(decodePayload('feefilter', le64(1000n), PVER)).toEqual({ command: 'feefilter', minFee: 1000n });
    expect(decodePayload('feefilter', le64(-1n), PVER)).toEqual({ command: 'feefilter', minFee: -1n });
  });
  it('reject carries a hash only for block and tx', () => {
    const h = new Uint8Array(32).fill(9);
    const txReject = concat(cs(2), new TextEncoder().encode('tx'), Uint8Array.of(0x42), cs(3), new TextEncoder().encode('fee'), h);
    expect(decodePayload('reject', txReject, PVER)).toEqual({ command: 'reject', message: 'tx', code: 0x42, reason: 'fee', hash: h });
    expect(codeOf(() => decodePayload('reject', txReject.subarray(0, txReject.length - 32), PVER))).toBe('ERR_PAYLOAD_TRUNCATED');
    const verReject = concat(cs(7), new TextEncoder().encode('version'), Uint8Array.of(0x12), cs(0));
    expect(decodePayload('reject', verReject, PVER)).toEqual({ command: 'reject', message: 'version', code: 0x12, reason: '' });
    expect(codeOf(() => decodePayload('reject', concat(verReject, h), PVER))).toBe('ERR_PAYLOAD_TRAILING_BYTES');
    expect(() => encodePayload({ command: 'reject', message: 'tx', code: 1, reason: '' }, PVER)).toThrow(RangeError);
  });
});

describe('codec registry', () => {
  it('has a decoder for every command in constants.COMMANDS', () => {
    for (const cmd of COMMANDS) {
      // Any outcome but a non-WireError exception is fine: the switch covers the command.
      codeOf(() => decodePayload(cmd as Command, new Uint8Array(0), PVER));
    }
  });
  it('unknown commands come back whole', () => {
    const p = hex('0102');
    expect(decodeMessage('filterload', p, PVER)).toEqual({ command: 'unknown', name: 'filterload', payload: p });
    expect(encodePayload({ command: 'unknown', name: 'filterload', payload: p }, PVER)).toBe(p);
    expect(decodeMessage('ping', le64(7n), PVER)).toEqual({ command: 'ping', nonce: 7n });
  });
  it('a payload over the per-command cap is refused before decoding', () => {
    expect(codeOf(() => decodePayload('ping', new Uint8Array(9), PVER))).toBe('ERR_PAYLOAD_FIELD_TOO_LARGE');
    expect(codeOf(() => decodePayload('verack', new Uint8Array(1), PVER))).toBe('ERR_PAYLOAD_FIELD_TOO_LARGE');
  });
});
