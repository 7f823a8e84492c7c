import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addrV2HostText, addrV2ToText, AddrV2Net } from '../../src/wire/addrv2.js';
import { formatIpPort, parseIpPort } from '../../src/util/host-port.js';
import { parseIp } from '../../src/util/ip.js';
import { ipToText, readNetAddress, readTimedNetAddress, writeTimedNetAddress } from '../../src/wire/net-address.js';
import { WireReader } from '../../src/wire/reader.js';
import { WireWriter } from '../../src/wire/writer.js';
import { hex, ip16, toHex } from './helpers.js';

const parseIp16 = (text: string): Uint8Array => {
  const ip = parseIp(text);
  if (ip === null) throw new Error(`bad test ip ${text}`);
  return ip;
};

describe('NetAddress layout', () => {
  it('30 bytes with timestamp, port big-endian, IPv4 mapped (btcd wire/netaddress.go)', () => {
    const wire = hex('29ab5f49 0100000000000000 00000000000000000000ffff0a000001 208d');
    const a = readTimedNetAddress(new WireReader(wire));
    expect(a).toEqual({ timestamp: 0x495fab29, services: 1n, ip: hex('00000000000000000000ffff0a000001'), port: 8333 });
    const w = new WireWriter(30);
    writeTimedNetAddress(w, a);
    expect(toHex(w.finish())).toBe(toHex(wire));
    expect(readNetAddress(new WireReader(wire.subarray(4))).port).toBe(8333);
  });
});

describe('HOST:PORT text', () => {
  it.each([
    ['1.2.3.4:8333', '00000000000000000000ffff01020304', 8333],
    ['[::1]:8333', '00000000000000000000000000000001', 8333],
    ['[::]:0', '00000000000000000000000000000000', 0],
    ['[2001:db8::ff00:42:8329]:18333', '20010db8000000000000ff0000428329', 18333],
    ['[2001:db8:0:1:1:1:1:1]:1', '20010db8000000010001000100010001', 1],
    ['[fc00:1::]:65535', 'fc000001000000000000000000000000', 65535],
  ])('%s', (text, ipHex, port) => {
    expect(formatIpPort(hex(ipHex), port)).toBe(text);
    const p = parseIpPort(text)!;
    expect(toHex(p.ip)).toBe(ipHex);
    expect(p.port).toBe(port);
  });

  it('accepts non-canonical IPv6 input and prints it canonically (RFC 5952)', () => {
    expect(ipToText(parseIp16('2001:0DB8:0000:0000:0001:0000:0000:0001'))).toBe('2001:db8::1:0:0:1');
    expect(ipToText(parseIp16('::ffff:192.0.2.1'))).toBe('192.0.2.1');
    expect(ipToText(parseIp16('1:0:1:0:1:0:1:0'))).toBe('1:0:1:0:1:0:1:0');
  });

  it.each(['1.2.3.4', '1.2.3.4:', '1.2.3.4:65536', '1.2.3:8333', '01.2.3.4:1', '::1:8333', '[1.2.3.4]:1', '[::1:2', '[1::2::3]:1', '[12345::]:1', 'host:1'])(
    'rejects %s',
    (text) => {
      expect(parseIpPort(text)).toBeNull();
    },
  );

  it('formatting then parsing gives back the same 16 bytes', () => {
    fc.assert(
      fc.property(ip16, fc.nat(0xffff), (ip, port) => {
        const p = parseIpPort(formatIpPort(ip, port))!;
        expect(toHex(p.ip)).toBe(toHex(ip));
        expect(p.port).toBe(port);
      }),
    );
  });
});

describe('addrv2 host text', () => {
  it('Tor v3: base32(pubkey ‖ checksum ‖ 0x03).onion reproduces a published address', () => {
    // torproject.org's v3 onion service; its checksum bytes only come out right if the
    // SHA3-256(".onion checksum" ‖ pubkey ‖ 0x03) construction is implemented correctly.
    const onion = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid';
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    let bits = '';
    for (const ch of onion) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
    const raw = Uint8Array.from({ length: 35 }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2));
    expect(raw[34]).toBe(3);
    expect(addrV2HostText(AddrV2Net.TorV3, raw.subarray(0, 32))).toBe(`${onion}.onion`);
  });
  it('IPv4, IPv6, I2P, TorV2, unknown', () => {
    expect(addrV2ToText({ networkId: 1, addr: Uint8Array.of(1, 2, 3, 4), port: 8333 })).toBe('1.2.3.4:8333');
    expect(addrV2ToText({ networkId: 2, addr: hex('00000000000000000000000000000001'), port: 1 })).toBe('[::1]:1');
    expect(addrV2HostText(AddrV2Net.I2P, new Uint8Array(32).fill(0xff))).toBe(`${'7'.repeat(51)}q.b32.i2p`);
    expect(addrV2HostText(AddrV2Net.TorV2, new Uint8Array(10))).toBe(`${'a'.repeat(16)}.onion`);
    expect(addrV2ToText({ networkId: 99, addr: hex('beef'), port: 7 })).toBe('net99.beef:7');
  });
});
