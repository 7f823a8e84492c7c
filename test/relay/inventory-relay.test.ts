/**
 * InventoryRelay with in-memory peers and the manual clock: who is asked, fallbacks, the one owner
 * of request deadlines, Core's per-peer bounds, and zero-copy serving.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { InventoryRelay, MAX_PEER_ANNOUNCEMENTS, MAX_PEER_IN_FLIGHT, UNSOLICITED_PER_SEC } from '../../src/relay/inventory-relay.js';
import type { RelayPeer } from '../../src/relay/inventory-relay.js';
import type { InvEntries } from '../../src/relay/inv-entries.js';
import { KnownInventory } from '../../src/relay/known-inventory.js';

class TestPeer implements RelayPeer {
  readonly known = new KnownInventory();
  readonly direction = 'inbound' as const;
  readonly mesh = false;
  readonly relayTxs = true;
  readonly wantsWtxid = false;
  established = true;
  writeBacklog = 0;
  bytesOut = 0;
  announced: string[] = [];
  relayed: Uint8Array[] = [];
  getdata: string[] = [];
  notfound: string[] = [];
  stalls = 0;
  constructor(readonly id: number) {}
  announce(_type: number, src: Uint8Array, off: number): void {
    this.announced.push(Buffer.from(src.subarray(off, off + 32)).toString('hex'));
  }
  sendRelayed(memory: Uint8Array, _src: number, off = 0, len = memory.byteLength): void {
    this.relayed.push(memory.subarray(off, off + len));
  }
  sendEntries(command: 'getdata' | 'notfound', list: InvEntries): void {
    for (let i = 0; i < list.n; i++) this[command].push(Buffer.from(list.buf.subarray(36 * i + 4, 36 * i + 36)).toString('hex'));
    list.clear();
  }
  stalled(): void {
    this.stalls++;
  }
}

function inv(...hashes: Buffer[]): Uint8Array {
  const out = Buffer.alloc(36 * hashes.length);
  hashes.forEach((h, i) => {
    out.writeUInt32LE(1, 36 * i);
    h.copy(out, 36 * i + 4);
  });
  return out;
}

function setup() {
  const clock = new ManualClock();
  const peers = new Map<number, TestPeer>();
  const overflow: number[] = [];
  const relay = new InventoryRelay<TestPeer>(
    {
      clock,
      peers: () => peers.values(),
      peerById: (id) => peers.get(id),
      onNewItem: () => {},
      onDuplicate: () => {},
      onOverflow: (_p, _w, n) => overflow.push(n),
    },
    1 << 20,
    { fallbackAfterMs: 1000, stallAfterMs: 5000 },
  );
  const add = (id: number): TestPeer => {
    const p = new TestPeer(id);
    peers.set(id, p);
    return p;
  };
  /** A tx frame (24-byte header + payload) whose wtxid = txid = `h`. */
  const deliver = (from: TestPeer, h: Buffer): Uint8Array => {
    const frame = new Uint8Array(24 + 60).fill(7);
    relay.onTx(from, frame, 0, 60, h, 0, h, 0, false);
    return frame;
  };
  return { clock, peers, relay, add, deliver, overflow };
}
const hex = (b: Buffer): string => b.toString('hex');

describe('InventoryRelay', () => {
  it('asks the first announcer; a second announcer is the fallback after a notfound', () => {
    const { relay, add } = setup();
    const a = add(1);
    const b = add(2);
    const h = randomBytes(32);
    relay.onInv(a, inv(h), 0, 1);
    relay.onInv(b, inv(h), 0, 1);
    expect(a.getdata).toEqual([hex(h)]);
    expect(b.getdata).toEqual([]);
    expect(relay.onNotfound(a, inv(h), 0, 1)).toBe(1);
    expect(b.getdata).toEqual([hex(h)]);
  });

  it('moves a late request to the next announcer after fallbackAfterMs, and the late peer is off the hook', () => {
    const { relay, add, clock } = setup();
    const a = add(1);
    const b = add(2);
    const h = randomBytes(32);
    relay.onInv(a, inv(h), 0, 1);
    relay.onInv(b, inv(h), 0, 1);
    clock.advance(999);
    relay.tick(clock.now());
    expect(b.getdata).toEqual([]);
    clock.advance(1);
    relay.tick(clock.now());
    expect(b.getdata).toEqual([hex(h)]);
    clock.advance(10_000);
    relay.tick(clock.now());
    expect(a.stalls).toBe(0);
    expect(b.stalls).toBe(1);
  });

  it('a sole announcer that never answers is a stalling peer at stallAfterMs (one deadline owner)', () => {
    const { relay, add, clock } = setup();
    const a = add(1);
    relay.onInv(a, inv(randomBytes(32)), 0, 1);
    clock.advance(4999);
    relay.tick(clock.now());
    expect(a.stalls).toBe(0);
    clock.advance(1);
    relay.tick(clock.now());
    expect(a.stalls).toBe(1);
  });

  it('does not count time a request spent in our own send queue while the peer reads', () => {
    const { relay, add, clock } = setup();
    const a = add(1);
    relay.onInv(a, inv(randomBytes(32)), 0, 1);
    a.writeBacklog = 1000;
    for (let t = 0; t < 6; t++) {
      // The socket takes bytes every second: the peer reads, the backlog is ours.
      a.bytesOut += 500;
      clock.advance(1000);
      relay.tick(clock.now());
    }
    expect(a.stalls).toBe(0);
    a.writeBacklog = 0;
    clock.advance(4999);
    relay.tick(clock.now());
    expect(a.stalls).toBe(0);
    clock.advance(1);
    relay.tick(clock.now());
    expect(a.stalls).toBe(1);
  });

  it('a peer that never reads keeps no request past the deadline: the next announcer is asked, the reader is stalled', () => {
    const { relay, add, clock } = setup();
    const a = add(1);
    const b = add(2);
    const h = randomBytes(32);
    relay.onInv(a, inv(h), 0, 1);
    relay.onInv(b, inv(h), 0, 1);
    expect(a.getdata).toEqual([hex(h)]);
    // Everything queued for `a` stays queued: its socket takes nothing (writableLength counts in the backlog).
    a.writeBacklog = 16 << 20;
    clock.advance(1000);
    relay.tick(clock.now());
    expect(b.getdata).toEqual([hex(h)]);
    // A sole announcer that does not read is closed as stalling at the stall deadline.
    const c = add(3);
    relay.onInv(c, inv(randomBytes(32)), 0, 1);
    c.writeBacklog = 16 << 20;
    clock.advance(5000);
    relay.tick(clock.now());
    expect(c.stalls).toBe(1);
  });

  it(`keeps at most ${MAX_PEER_IN_FLIGHT} requests in flight per peer; the rest wait and go out as answers arrive`, () => {
    const { relay, add, deliver } = setup();
    const a = add(1);
    const hs = Array.from({ length: MAX_PEER_IN_FLIGHT + 20 }, () => randomBytes(32));
    relay.onInv(a, inv(...hs), 0, hs.length);
    expect(a.getdata.length).toBe(MAX_PEER_IN_FLIGHT);
    for (let i = 0; i < 5; i++) deliver(a, hs[i]!);
    relay.flushRefills();
    expect(a.getdata.length).toBe(MAX_PEER_IN_FLIGHT + 5);
    expect(a.getdata.slice(-5)).toEqual(hs.slice(MAX_PEER_IN_FLIGHT, MAX_PEER_IN_FLIGHT + 5).map(hex));
  });

  it(`ignores and counts announcements beyond ${MAX_PEER_ANNOUNCEMENTS} waiting per peer (INVDoS)`, () => {
    const { relay, add, overflow } = setup();
    const a = add(1);
    const n = MAX_PEER_IN_FLIGHT + MAX_PEER_ANNOUNCEMENTS + 1234;
    const hs = Array.from({ length: n }, () => randomBytes(32));
    relay.onInv(a, inv(...hs), 0, n);
    expect(relay.inFlightCount).toBe(MAX_PEER_IN_FLIGHT + MAX_PEER_ANNOUNCEMENTS);
    expect(overflow).toEqual([1234]);
  });

  it('serves getdata with the very frame that arrived, to every asker; the rest as notfound', () => {
    const { relay, add, deliver } = setup();
    const src = add(1);
    const x = add(2);
    const y = add(3);
    const h = randomBytes(32);
    const arrived = deliver(src, h);
    expect(x.announced).toEqual([hex(h)]);
    expect(src.announced).toEqual([]);
    const missing = randomBytes(32);
    relay.onGetdata(x, inv(h, missing), 0, 2);
    relay.onGetdata(y, inv(h), 0, 1);
    // Both see the same cached bytes (one copy in the cache's slab), exactly as they arrived.
    expect(x.relayed[0]!.buffer).toBe(y.relayed[0]!.buffer);
    expect(x.relayed[0]!.byteOffset).toBe(y.relayed[0]!.byteOffset);
    expect(Buffer.from(x.relayed[0]!).equals(Buffer.from(arrived))).toBe(true);
    expect(x.notfound).toEqual([hex(missing)]);
  });

  it('a peer that already has the item is not told about it again', () => {
    const { relay, add, deliver } = setup();
    const src = add(1);
    const x = add(2);
    const h = randomBytes(32);
    relay.onInv(x, inv(h), 0, 1);
    deliver(src, h);
    expect(x.announced).toEqual([]);
    expect(x.getdata).toEqual([hex(h)]);
  });

  it('a departed peer\'s requests move to the next announcer', () => {
    const { relay, add, peers } = setup();
    const a = add(1);
    const b = add(2);
    const h = randomBytes(32);
    relay.onInv(a, inv(h), 0, 1);
    relay.onInv(b, inv(h), 0, 1);
    peers.delete(1);
    relay.onPeerGone(1);
    expect(b.getdata).toEqual([hex(h)]);
  });
});

describe('InventoryRelay announcer fallbacks', () => {
  it('asks further announcers in the order they announced, once each, at most 8 remembered, skipping peers that cannot be asked', () => {
    const { relay, add, peers, deliver } = setup();
    const h = randomBytes(32);
    const ps = Array.from({ length: 12 }, (_, i) => add(i + 1));
    const ask = (p: TestPeer): number => p.getdata.filter((g) => g === hex(h)).length;
    // Peer 1 is asked; 2..9 are remembered (8), 10 and 11 are over the limit; 3 again is no new one.
    for (const p of ps.slice(0, 11)) relay.onInv(p, inv(h), 0, 1);
    relay.onInv(ps[2]!, inv(h), 0, 1);
    expect(ps.map(ask)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    relay.onNotfound(ps[0]!, inv(h), 0, 1);
    expect(ask(ps[1]!)).toBe(1);
    // One was taken off the list: there is room for peer 12 again, behind 9.
    relay.onInv(ps[11]!, inv(h), 0, 1);
    // Peer 4 is not established now, and peer 5 left: both are passed over.
    ps[3]!.established = false;
    peers.delete(5);
    relay.onPeerGone(5);
    const order: number[] = [];
    for (let asked = ps[1]!; ; ) {
      const before = ps.map(ask);
      relay.onNotfound(asked, inv(h), 0, 1);
      const next = ps.find((p, i) => ask(p) > before[i]!);
      if (next === undefined) break;
      order.push(next.id);
      asked = next;
    }
    expect(order).toEqual([3, 6, 7, 8, 9, 12]);
    expect(ps.map(ask)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1]);
    // Nobody left to ask after 12's notfound: the request is closed, a new announcement opens a new one.
    expect(relay.inFlightCount).toBe(0);
    relay.onInv(ps[9]!, inv(h), 0, 1);
    expect(ask(ps[9]!)).toBe(1);
    deliver(ps[9]!, h);
    expect(relay.inFlightCount).toBe(0);
  });

  it('across many items, a notfound moves each to the next announcer with room, in announcement order', () => {
    const { relay, add } = setup();
    const firsts = [add(1), add(2), add(3)];
    const b = add(10);
    const c = add(11);
    // 270 items (more request slots and fallback entries than the tables start with), 90 per first peer.
    const hashes = Array.from({ length: 270 }, () => randomBytes(32));
    firsts.forEach((p, k) => relay.onInv(p, inv(...hashes.slice(90 * k, 90 * k + 90)), 0, 90));
    relay.onInv(b, inv(...hashes), 0, hashes.length);
    relay.onInv(c, inv(...hashes), 0, hashes.length);
    expect(b.getdata).toEqual([]);
    firsts.forEach((p, k) => relay.onNotfound(p, inv(...hashes.slice(90 * k, 90 * k + 90)), 0, 90));
    // Peer 10 takes the first MAX_PEER_IN_FLIGHT, peer 11 the next; the rest had nobody with room.
    expect(b.getdata).toEqual(hashes.slice(0, MAX_PEER_IN_FLIGHT).map(hex));
    expect(c.getdata).toEqual(hashes.slice(MAX_PEER_IN_FLIGHT, 2 * MAX_PEER_IN_FLIGHT).map(hex));
    expect(relay.inFlightCount).toBe(2 * MAX_PEER_IN_FLIGHT);
  });
});

describe('InventoryRelay unsolicited pushes', () => {
  it(`takes at most ${UNSOLICITED_PER_SEC} unasked transactions per second from one peer; asked-for ones always`, () => {
    const { relay, add, clock, overflow } = setup();
    const a = add(1);
    const frame = new Uint8Array(24 + 60);
    for (let i = 0; i < UNSOLICITED_PER_SEC + 10; i++) {
      const h = randomBytes(32);
      relay.onTx(a, frame, 0, 60, h, 0, h, 0, false);
    }
    // Exactly the ten over the budget were refused; the rest were taken.
    expect(overflow.reduce((x, y) => x + y, 0)).toBe(10);
    // What we asked for is not unsolicited.
    const asked = randomBytes(32);
    relay.onInv(a, inv(asked), 0, 1);
    relay.onTx(a, frame, 0, 60, asked, 0, asked, 0, false);
    expect(relay.cache.has(asked)).toBe(true);
    // The budget refills with time.
    clock.advance(1000);
    const later = randomBytes(32);
    relay.onTx(a, frame, 0, 60, later, 0, later, 0, false);
    expect(relay.cache.has(later)).toBe(true);
  });
});
