import { describe, expect, it } from 'vitest';
import { BanList } from '../../src/ban/ban-list.js';
import { ManualClock } from '../../src/clock.js';
import { hasErrorCode } from '../../src/errors.js';

const HOUR = 3_600_000;

function list() {
  const clock = new ManualClock();
  return { clock, bans: new BanList({ clock }) };
}

describe('BanList', () => {
  it('bans an IPv4 host on every port', () => {
    const { bans } = list();
    const e = bans.ban('1.2.3.4', HOUR, 'bad magic');
    expect(e.target).toBe('1.2.3.4');
    expect(bans.isBanned('1.2.3.4')).toBe(true);
    expect(bans.isBanned('1.2.3.4:8333')).toBe(true);
    expect(bans.isBanned('1.2.3.4:1')).toBe(true);
    expect(bans.isBanned('[::ffff:1.2.3.4]:8333')).toBe(true);
    expect(bans.isBanned('1.2.3.5')).toBe(false);
  });

  it('bans an IPv6 host, written in any form', () => {
    const { bans } = list();
    bans.ban('2001:DB8:0::1', HOUR, 'x');
    expect(bans.isBanned('[2001:db8::1]:8333')).toBe(true);
    expect(bans.isBanned('2001:db8::2')).toBe(false);
    expect(bans.list().map((b) => b.target)).toEqual(['2001:db8::1']);
  });

  it('bans IPv4 and IPv6 subnets', () => {
    const { bans } = list();
    bans.ban('10.20.0.0/16', HOUR, 'sybil');
    bans.ban('2a01:4f8::/32', HOUR, 'sybil6');
    expect(bans.isBanned('10.20.255.1:8333')).toBe(true);
    expect(bans.isBanned('10.21.0.1')).toBe(false);
    expect(bans.isBanned('[2a01:4f8:abcd::5]:8333')).toBe(true);
    expect(bans.isBanned('[2a01:4f9::5]:8333')).toBe(false);
    // An IPv4 range never matches IPv6 and vice versa.
    bans.ban('0.0.0.0/0', HOUR, 'all v4');
    expect(bans.isBanned('[2001:db8::1]:1')).toBe(false);
    expect(bans.findBan('10.20.1.1')!.reason).toBe('sybil');
  });

  it('expiry is absolute and expired entries are dropped lazily', () => {
    const { clock, bans } = list();
    bans.ban('1.2.3.4', HOUR, 'x');
    bans.ban('5.6.7.8', 2 * HOUR, 'y');
    clock.advance(HOUR - 1);
    expect(bans.isBanned('1.2.3.4')).toBe(true);
    clock.advance(1);
    expect(bans.isBanned('1.2.3.4')).toBe(false);
    expect(bans.list().map((b) => b.target)).toEqual(['5.6.7.8']);
    // An explicit `now` is honoured.
    expect(bans.isBanned('5.6.7.8', clock.now() + 2 * HOUR)).toBe(false);
    expect(bans.list()).toEqual([]);
  });

  it('re-banning replaces; unban lifts exactly the named target', () => {
    const { clock, bans } = list();
    bans.ban('10.0.0.0/8', HOUR, 'a');
    bans.ban('10.1.2.3', HOUR, 'b');
    clock.advance(1000);
    bans.ban('10.1.2.3', 5 * HOUR, 'c');
    expect(bans.list()).toHaveLength(2);
    expect(bans.findBan('10.1.2.3')!.reason).toBe('a'); // the first matching rule
    expect(bans.unban('10.1.2.3')).toBe(true);
    expect(bans.isBanned('10.1.2.3')).toBe(true); // still inside 10/8
    expect(bans.unban('10.0.0.0/8')).toBe(true);
    expect(bans.isBanned('10.1.2.3')).toBe(false);
    expect(bans.unban('10.0.0.0/8')).toBe(false);
  });

  it('whitelist: empty by default (loopback included), wins over bans', () => {
    const { bans } = list();
    expect(bans.isWhitelisted('127.0.0.1')).toBe(false);
    expect(bans.isWhitelisted('[::1]:8333')).toBe(false);
    bans.ban('192.168.0.0/16', HOUR, 'x');
    bans.whitelist('192.168.1.0/24');
    bans.whitelist('::1');
    expect(bans.isWhitelisted('192.168.1.7:8333')).toBe(true);
    expect(bans.isBanned('192.168.1.7:8333')).toBe(false);
    expect(bans.findBan('192.168.1.7')).toBeDefined();
    expect(bans.isBanned('192.168.2.7:8333')).toBe(true);
    expect(bans.isWhitelisted('[::1]:1')).toBe(true);
    expect(bans.unwhitelist('192.168.1.0/24')).toBe(true);
    expect(bans.isBanned('192.168.1.7:8333')).toBe(true);
  });

  it('rejects bad targets and durations with ERR_CONFIG; garbage lookups are not banned', () => {
    const { bans } = list();
    for (const bad of ['1.2.3', '10.0.0.0/33', 'host.example', '']) {
      expect(() => bans.ban(bad, HOUR, 'x')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    }
    expect(() => bans.ban('1.2.3.4', 0, 'x')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => bans.ban('1.2.3.4', Infinity, 'x')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(bans.isBanned('not an ip')).toBe(false);
  });

  it('round trips through JSON; expired bans are not restored', () => {
    const { clock, bans } = list();
    bans.ban('1.2.3.4', HOUR, 'short');
    bans.ban('10.0.0.0/8', 10 * HOUR, 'subnet');
    bans.ban('2001:db8::/48', 10 * HOUR, 'v6 subnet');
    bans.ban('2a01::7', 10 * HOUR, 'v6 host');
    bans.whitelist('8.8.8.0/24');
    const json = JSON.parse(JSON.stringify(bans.toJSON())) as unknown;
    const same = BanList.fromJSON(json, { clock });
    expect(same.toJSON()).toEqual(bans.toJSON());
    clock.advance(2 * HOUR);
    const later = BanList.fromJSON(json, { clock });
    expect(later.list().map((b) => b.target).sort()).toEqual(['10.0.0.0/8', '2001:db8::/48', '2a01::7']);
    expect(later.isBanned('[2001:db8:0:ffff::1]:8333')).toBe(true);
    expect(later.isWhitelisted('8.8.8.8')).toBe(true);
  });

  it('fromJSON refuses damaged input with stable codes', () => {
    const { bans } = list();
    bans.ban('1.2.3.4', HOUR, 'x');
    const good = bans.toJSON();
    const codeOf = (obj: unknown): string | undefined => {
      try {
        BanList.fromJSON(obj);
        return undefined;
      } catch (e) {
        return hasErrorCode(e) ? e.code : 'other';
      }
    };
    expect(codeOf({ ...good, version: 2 })).toBe('ERR_STORE_VERSION');
    expect(codeOf(null)).toBe('ERR_STORE_CORRUPT');
    expect(codeOf({ ...good, bans: [{ target: '1.2.3', expiresAt: 1, createdAt: 1, reason: '' }] })).toBe('ERR_STORE_CORRUPT');
    expect(codeOf({ ...good, bans: [{ target: '1.2.3.4', expiresAt: '1', createdAt: 1, reason: '' }] })).toBe('ERR_STORE_CORRUPT');
    expect(codeOf({ ...good, whitelist: [7] })).toBe('ERR_STORE_CORRUPT');
    expect(codeOf({ ...good, bans: [{ target: '1.2.3.4', expiresAt: 2e12, createdAt: 'yesterday', reason: '' }] })).toBe('ERR_STORE_CORRUPT');
    expect(codeOf({ ...good, bans: [{ target: '1.2.3.4', expiresAt: 2e12, createdAt: 1, reason: 7 }] })).toBe('ERR_STORE_CORRUPT');
  });

  it('keeps the creation time and reason of a ban, and loads entries saved without them', () => {
    const { clock, bans } = list();
    const made = bans.ban('1.2.3.4', HOUR, 'manual: spam');
    expect(made.createdAt).toBe(clock.now());
    expect(bans.list()[0]).toMatchObject({ createdAt: clock.now(), reason: 'manual: spam' });
    const old = { version: 1, bans: [{ target: '5.6.7.8', expiresAt: clock.now() + HOUR }], whitelist: [] };
    const loaded = BanList.fromJSON(old, { clock });
    expect(loaded.list()).toEqual([{ target: '5.6.7.8', expiresAt: clock.now() + HOUR, reason: '', createdAt: null }]);
    expect(loaded.isBanned('5.6.7.8')).toBe(true);
  });
});
