import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { hasErrorCode } from '../../src/errors.js';
import {
  addressGroup,
  canonicalHostPort,
  formatHostPort,
  formatIpPort,
  hostOf,
  parseHostPort,
  parseIpPort,
  requireHostPort,
  stripMapped,
} from '../../src/util/host-port.js';
import { parseIp } from '../../src/util/ip.js';

const ip = (s: string): Uint8Array => {
  const v = parseIp(s);
  if (v === null) throw new Error(`bad test ip ${s}`);
  return v;
};

describe('HOST:PORT', () => {
  it.each([
    ['1.2.3.4:8333', '1.2.3.4:8333'],
    ['[::1]:8333', '[::1]:8333'],
    ['[::ffff:1.2.3.4]:18444', '1.2.3.4:18444'],
    ['[2001:DB8::1]:0', '[2001:db8::1]:0'],
  ])('%s is %s', (input, want) => {
    expect(canonicalHostPort(input)).toBe(want);
  });

  it.each(['1.2.3.4', '::1:8333', '[::1]8333', '[1.2.3.4]:1', '1.2.3.4:65536', '1.2.3.4:08333', '1.2.3.4:', 'host:80', '[::1]:-1'])('rejects %j', (bad) => {
    expect(parseIpPort(bad)).toBeNull();
  });

  it('parseHostPort is the one syntax: host names too, but never a bad IPv4 address or an unbracketed IPv6 one', () => {
    expect(parseHostPort('seed.example.org:8333')).toEqual({ host: 'seed.example.org', port: 8333 });
    expect(parseHostPort('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseHostPort('[2001:db8::1]:1')).toEqual({ host: '2001:db8::1', port: 1 });
    for (const bad of ['1.2.3.999:8333', '1.2.3:8333', '-bad.example:1', 'a_b:1', ':8333', '[zz::1]:1', '::1:8333', 'host:+80', 'host: 80']) {
      expect(parseHostPort(bad)).toBeNull();
    }
  });

  it('formats as net.JoinHostPort', () => {
    expect(formatIpPort(ip('10.0.0.1'), 1)).toBe('10.0.0.1:1');
    expect(formatIpPort(ip('2001:db8::1'), 8333)).toBe('[2001:db8::1]:8333');
    expect(formatHostPort({ host: 'seed.example.org', port: 8333 })).toBe('seed.example.org:8333');
    expect(formatHostPort({ host: '::1', port: 1 })).toBe('[::1]:1');
  });

  it('hostOf and stripMapped: the host of a peer address, and the dual-stack IPv4 form of Node unmapped', () => {
    expect(hostOf('[2001:db8::1]:8333')).toBe('2001:db8::1');
    expect(hostOf('10.0.0.1:1')).toBe('10.0.0.1');
    expect(() => hostOf('10.0.0.1')).toThrow(/peer address/);
    expect(stripMapped('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(stripMapped('::ffff:1')).toBe('::ffff:1');
    expect(stripMapped('::1')).toBe('::1');
  });

  it('requireHostPort throws a ConfigError naming the option', () => {
    expect(requireHostPort('[::1]:8333', '--listen')).toEqual({ host: '::1', port: 8333 });
    let err: unknown;
    try {
      requireHostPort('::1:8333', '--listen');
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_CONFIG')).toBe(true);
    expect((err as Error).message).toMatch(/^--listen: expected HOST:PORT/);
  });

  it('format → parse is the identity on random addresses and ports', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 65535 }), (bytes, port) => {
        expect(parseIpPort(formatIpPort(bytes, port))).toEqual({ ip: bytes, port });
      }),
      { seed: 2, numRuns: 1000 },
    );
  });

  it('addressGroup: allowLocal groups local IPv4 by /16 and local IPv6 by /32, as routable addresses (issue 23)', () => {
    expect(addressGroup('127.0.0.1:1')).toBe('local');
    expect(addressGroup('10.1.2.3:1')).toBe('unroutable');
    const g = (a: string): string => addressGroup(a, { allowLocal: true });
    expect(g('127.0.0.1:1')).toBe('127.0.0.0');
    expect(g('127.0.0.1:2')).toBe(g('127.0.0.1:1'));
    expect(g('127.10.0.1:18444')).toBe(g('127.10.200.7:18444'));
    expect(g('127.10.0.1:18444')).not.toBe(g('127.20.0.1:18444'));
    expect(g('192.168.1.1:1')).toBe('192.168.0.0');
    expect(g('[fd00:1:2::1]:1')).toBe('fd00:1::');
    expect(g('[::1]:1')).toBe('::');
    expect(g('0.0.0.0:1')).toBe('local'); // not a valid address: no prefix to speak of
    expect(g('1.2.3.4:1')).toBe('1.2.0.0');
    expect(g('1.2.3.4')).toBe('1.2.0.0');
    expect(addressGroup('127.0.0.1', { localPerHost: true })).toBe('local:127.0.0.1');
    expect(addressGroup('8.8.4.4', { localPerHost: true })).toBe('8.8.0.0');
    expect(addressGroup('seed.example.org:8333')).toBe('host:seed.example.org:8333');
  });
});
