import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/admin/duration.js';
import { isLoopbackAddress, isLoopbackHostHeader, parseBanTarget, parsePeerAddress } from '../../src/admin/targets.js';
import { clean, formatBytes, formatDuration, formatTimestamp, renderKeyValues, renderTable } from '../../src/admin/format.js';

describe('parsePeerAddress', () => {
  it.each([
    ['1.2.3.4:8333', '1.2.3.4', 8333, '1.2.3.4:8333'],
    ['[::1]:18444', '::1', 18444, '[::1]:18444'],
    ['[2001:db8::1]:1', '2001:db8::1', 1, '[2001:db8::1]:1'],
    ['seed.example.org:65535', 'seed.example.org', 65535, 'seed.example.org:65535'],
    ['localhost:9464', 'localhost', 9464, 'localhost:9464'],
  ])('accepts %s', (text, host, port, addr) => {
    expect(parsePeerAddress(text)).toEqual({ host, port, addr });
  });

  it.each([
    ['no port', '1.2.3.4'],
    ['empty port', '1.2.3.4:'],
    ['port 0', '1.2.3.4:0'],
    ['port too big', '1.2.3.4:65536'],
    ['signed port', '1.2.3.4:+80'],
    ['unbracketed IPv6', '::1:8333'],
    ['bracketed non-IPv6', '[1.2.3.4]:80'],
    ['unclosed bracket', '[::1:80'],
    ['no host', ':8333'],
    ['label with underscore', 'bad_host:80'],
    ['trailing garbage', '1.2.3.4:80x'],
    ['empty', ''],
  ])('rejects %s', (_name, text) => {
    expect(parsePeerAddress(text)).toBeNull();
  });
});

describe('parseBanTarget', () => {
  it.each(['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', '2001:db8::1/128'])('accepts %s', (t) => {
    expect(parseBanTarget(t)).toBe(t);
  });
  it.each(['example.com', '10.0.0.0/33', '::/129', '10.0.0.1/', '10.0.0.1/x', '10.0.0.1:8333', '[::1]', ''])('rejects %s', (t) => {
    expect(parseBanTarget(t)).toBeNull();
  });
});

describe('loopback checks', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.1.2', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::FFFF:127.1.2.3', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['128.0.0.1', false],
    ['fe80::1', false],
    ['::', false],
    [undefined, false],
  ])('isLoopbackAddress(%s) = %s', (addr, want) => {
    expect(isLoopbackAddress(addr)).toBe(want);
  });

  it.each([
    ['localhost:9464', true],
    ['LOCALHOST', true],
    ['app.localhost:1', true],
    ['127.0.0.1:9464', true],
    ['[::1]:9464', true],
    ['evil.example:9464', false],
    ['localhost.evil.example', false],
    ['127.0.0.1.nip.io:9464', false],
    ['[::1', false],
    ['', false],
    [undefined, false],
  ])('isLoopbackHostHeader(%s) = %s', (host, want) => {
    expect(isLoopbackHostHeader(host)).toBe(want);
  });
});

describe('parseDuration', () => {
  it.each([
    ['3600', 3_600_000],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', '0', '0h', '-5', '1.5h', '5y', 'h', '24 h x', '999999999999w'])('rejects "%s"', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('format', () => {
  it('aligns columns, right-aligns numbers and trims trailing space', () => {
    const out = renderTable(
      [
        { header: 'ADDR', value: (r: { a: string; n: number }) => r.a },
        { header: 'N', align: 'right', value: (r) => String(r.n) },
        { header: 'NOTE', value: () => '' },
      ],
      [
        { a: '1.2.3.4:8333', n: 5 },
        { a: '[::1]:1', n: 12345 },
      ],
    );
    expect(out).toBe(['ADDR              N  NOTE', '1.2.3.4:8333      5', '[::1]:1       12345', ''].join('\n'));
  });

  it('neutralises terminal escapes from peer-supplied text', () => {
    const agent = '/evil\u001b]0;pwned\u0007\u001b[2J:1.0/\r\n\u009b';
    expect(clean(agent)).toBe('/evil?]0;pwned??[2J:1.0/???');
    expect(renderKeyValues([['agent', agent]])).not.toMatch(/[\u0000-\u001f\u007f-\u009f](?!$)/);
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('formatBytes(%d) = %s', (n, s) => {
    expect(formatBytes(n)).toBe(s);
  });

  it.each([
    [250, '250ms'],
    [5_000, '5s'],
    [62_000, '1m 2s'],
    [3_720_000, '1h 2m'],
    [90_000_000, '1d 1h'],
  ])('formatDuration(%d) = %s', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
  });

  it('prints timestamps in UTC to the second', () => {
    expect(formatTimestamp(1_700_000_000_123)).toBe('2023-11-14T22:13:20Z');
  });
});
