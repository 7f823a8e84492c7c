/**
 * BIP155 overlay networks in the address manager and gossip: Tor v3, I2P and CJDNS addresses from
 * addrv2 are stored under canonical text keys, survive the address file, are grouped as Core
 * groups them, are passed on only to addrv2 peers, and are never offered for dialling under the
 * dial scope (I2P and CJDNS are never dialled; Tor only through a proxy).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { AddrManager } from '../../src/addr/addr-manager.js';
import { DialScope } from '../../src/conn/dial-scope.js';
import { silentLogger } from '../../src/log.js';
import { resolveConfig } from '../../src/node/config.js';
import { AddressGossip, type GossipPeer } from '../../src/node/address-gossip.js';
import { addressGroup } from '../../src/util/host-port.js';
import { base32, base32Decode, overlayKey, parseOverlay } from '../../src/util/overlay.js';
import { seededRandom } from '../../src/util/random.js';
import type { Message } from '../../src/wire/codec.js';

const key32 = (b: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (b + i * 7) & 255);
const cjdns = Uint8Array.from([0xfc, 0x12, ...Array.from({ length: 14 }, (_, i) => i + 1)]);
const ONION = overlayKey(4, key32(1), 8333)!;
const I2P = overlayKey(5, key32(2), 0)!;
const CJDNS = overlayKey(6, cjdns, 8333)!;

describe('overlay address keys', () => {
  it('round-trip through text, with Core-style groups', () => {
    expect(ONION).toMatch(/^[a-z2-7]{56}\.onion:8333$/);
    expect(I2P).toMatch(/^[a-z2-7]{52}\.b32\.i2p:0$/);
    expect(CJDNS).toBe('cjdns:[fc12:102:304:506:708:90a:b0c:d0e]:8333');
    for (const k of [ONION, I2P, CJDNS]) {
      const o = parseOverlay(k)!;
      expect(overlayKey(o.networkId, o.addr, o.port)).toBe(k);
    }
    expect(addressGroup(ONION)).toBe(`onion:${key32(1)[0]! >> 4}`);
    expect(addressGroup(CJDNS)).toBe('cjdns:1');
    expect(base32Decode(base32(key32(9)))).toEqual(key32(9));
  });

  it.each([
    ['a mistyped onion (bad checksum)', `${ONION.slice(0, 10)}${ONION[10] === 'a' ? 'b' : 'a'}${ONION.slice(11)}`],
    ['an onion of the wrong length', `abc.onion:8333`],
    ['an I2P name with a bad character', `${'1'.repeat(52)}.b32.i2p:0`],
    ['CJDNS outside fc00::/8', 'cjdns:[fd00::1]:8333'],
    ['no port', ONION.replace(/:8333$/, '')],
  ])('refuses %s', (_, text) => {
    expect(parseOverlay(text)).toBeNull();
  });
});

describe('overlay addresses in the address manager', () => {
  it('are stored, survive the file, and are skipped by selection under the dial scope', () => {
    const clock = new ManualClock();
    const m = new AddrManager({ clock, random: seededRandom(1) });
    const now = Math.floor(clock.now() / 1000);
    const r = m.addAddresses([ONION, I2P, CJDNS, '1.2.3.4:8333'].map((addr) => ({ addr, timestamp: now })), '5.6.7.8:8333');
    expect(r.added).toBe(4);
    const back = AddrManager.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    for (const k of [ONION, I2P, CJDNS]) expect(back.has(k)).toBe(true);
    const scope = new DialScope(['ipv4', 'ipv6', 'loopback'], 'any');
    for (let i = 0; i < 30; i++) {
      const pick = m.selectOutbound({ allow: (a) => scope.allowsGossiped(a), exclude: new Set() });
      expect(pick === null || pick === '1.2.3.4:8333').toBe(true);
    }
  });
});

describe('overlay addresses in gossip', () => {
  it('come in through addrv2 and go out only to addrv2 peers', () => {
    const clock = new ManualClock();
    const g = new AddressGossip(resolveConfig({ network: 'mainnet' }), clock, silentLogger, null, { random: seededRandom(3), relayKey: new Uint8Array(16) });
    const sent = new Map<number, Message[]>();
    const mk = (id: number, v2: boolean): GossipPeer => {
      sent.set(id, []);
      return { id, addr: `9.${id}.0.1:8333`, direction: 'inbound', wantsAddrV2: v2, protocolVersion: 70016, sendMessage: (m) => void sent.get(id)!.push(m) };
    };
    const from = mk(1, true);
    const peers = [mk(2, false), mk(3, false), mk(4, true), mk(5, true)];
    g.onEstablished(from, true, null);
    for (const p of peers) g.onEstablished(p, false, null);
    const now = Math.floor(clock.now() / 1000);
    g.onAddresses(from, {
      command: 'addrv2',
      addresses: [
        { timestamp: now, services: 1n, networkId: 4, addr: key32(1), port: 8333 },
        { timestamp: now, services: 1n, networkId: 5, addr: key32(2), port: 0 },
        { timestamp: now, services: 1n, networkId: 6, addr: cjdns, port: 8333 },
        { timestamp: now, services: 1n, networkId: 3, addr: new Uint8Array(10), port: 8333 }, // Tor v2: gone
      ],
    });
    expect([ONION, I2P, CJDNS].every((k) => g.addrs.has(k))).toBe(true);
    expect(g.addrs.size()).toBe(3);
    for (let s = 0; s < 300; s++) {
      clock.advance(1000);
      g.tick();
    }
    expect(sent.get(2)!.length + sent.get(3)!.length).toBe(0);
    const v2Got = [...sent.get(4)!, ...sent.get(5)!].flatMap((m) => (m.command === 'addrv2' ? m.addresses.map((a) => a.networkId) : []));
    expect(v2Got.length).toBeGreaterThanOrEqual(3);
    expect(new Set(v2Got)).toEqual(new Set([4, 5, 6]));
  });
});
