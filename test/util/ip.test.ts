import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  cidrContains,
  formatCidr,
  formatIp,
  groupKey,
  isLocal,
  isRoutable,
  isRFC1918,
  isRFC3927,
  isRFC4193,
  isValid,
  parseCidr,
  parseIp,
} from '../../src/util/ip.js';

const ip = (s: string): Uint8Array => {
  const v = parseIp(s);
  if (v === null) throw new Error(`bad test ip ${s}`);
  return v;
};

describe('parseIp / formatIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['fe80::1:2', 'fe80::1:2'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
  ])('%s prints as %s', (input, want) => {
    expect(formatIp(ip(input))).toBe(want);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1.2.3.4::', '::1%eth0', ' 1.2.3.4'])(
    'rejects %j',
    (bad) => {
      expect(parseIp(bad)).toBeNull();
    },
  );

  it('format → parse is the identity on random addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const back = parseIp(formatIp(bytes));
        expect(back).toEqual(bytes);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });
});

describe('CIDR', () => {
  it('IPv4 and IPv6 ranges contain what they should', () => {
    const v4 = parseCidr('10.1.2.3/8')!;
    expect(formatCidr(v4)).toBe('10.0.0.0/8');
    expect(cidrContains(v4, ip('10.255.0.1'))).toBe(true);
    expect(cidrContains(v4, ip('11.0.0.1'))).toBe(false);
    const v6 = parseCidr('2001:db8::/32')!;
    expect(cidrContains(v6, ip('2001:db8:ffff::1'))).toBe(true);
    expect(cidrContains(v6, ip('2001:db9::1'))).toBe(false);
    // An IPv4 /0 matches only IPv4 addresses, not all of IPv6.
    const all4 = parseCidr('0.0.0.0/0')!;
    expect(cidrContains(all4, ip('8.8.8.8'))).toBe(true);
    expect(cidrContains(all4, ip('2001:db8::1'))).toBe(false);
    expect(formatCidr(parseCidr('1.2.3.4')!)).toBe('1.2.3.4');
    expect(formatCidr(parseCidr('1.2.3.4/32')!)).toBe('1.2.3.4');
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', 'x/8', '10.0.0.0/8/8'])('rejects %j', (bad) => {
    expect(parseCidr(bad)).toBeNull();
  });
});

describe('routability (btcd network.go)', () => {
  it.each([
    ['8.8.8.8', true],
    ['10.1.1.1', false],
    ['172.16.0.1', false],
    ['192.168.1.1', false],
    ['169.254.1.1', false],
    ['127.0.0.1', false],
    ['0.1.2.3', false],
    ['0.0.0.0', false],
    ['255.255.255.255', false],
    ['100.64.0.1', false],
    ['198.18.0.1', false],
    ['192.0.2.1', false],
    ['2001:db8::1', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['fd87:d87e:eb43::1', true],
    ['2001:10::1', false],
    ['::1', false],
    ['2a01:4f8::1', true],
  ])('%s routable=%s', (addr, want) => {
    expect(isRoutable(ip(addr))).toBe(want);
  });

  it('classifies', () => {
    expect(isRFC1918(ip('172.31.255.255'))).toBe(true);
    expect(isRFC1918(ip('172.32.0.0'))).toBe(false);
    expect(isRFC3927(ip('169.254.0.0'))).toBe(true);
    expect(isRFC4193(ip('fdff::1'))).toBe(true);
    expect(isLocal(ip('127.5.5.5'))).toBe(true);
    expect(isValid(ip('::'))).toBe(false);
  });
});

describe('groupKey (btcd GroupKey)', () => {
  it.each([
    ['1.2.3.4', '1.2.0.0'],
    ['127.0.0.1', 'local'],
    ['::1', 'local'],
    ['10.0.0.1', 'unroutable'],
    ['::ffff:0:1.2.3.4', '1.2.0.0'], // RFC 6145
    ['64:ff9b::1.2.3.4', '1.2.0.0'], // RFC 6052
    ['2002:102:304::1', '1.2.0.0'], // 6to4
    ['2001:0:4136:e378:8000:63bf:fefd:fcfb', '1.2.0.0'], // Teredo: last 4 bytes XOR 0xff
    ['fd87:d87e:eb43:1234:5678::1', 'tor:2'], // OnionCat: byte 6 & 0x0f
    ['2a01:4f8:1:2::1', '2a01:4f8::'],
    ['2001:470:abcd:1::1', '2001:470:a000::'], // HE.net /36
  ])('%s → %s', (addr, want) => {
    expect(groupKey(ip(addr))).toBe(want);
  });
});
