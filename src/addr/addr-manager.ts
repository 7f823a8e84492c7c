/**
 * The address manager: what we know about other nodes' addresses and which to dial next, after
 * btcd addrmgr (addrmgr/addrmanager.go). Two tables: "new" (heard of, never connected; 1,024 buckets
 * × 64) and "tried" (connected at least once; 64 × 256). Bucket choice is a keyed hash of the
 * address group and the source group (buckets.ts), so no single network segment or gossiping
 * peer can fill the table. Pure data: no sockets, no timers; the file is written only when asked.
 *
 * Deliberate differences from btcd (docs/addresses-and-connections.md):
 * - a new bucket holds at most 64 entries (btcd's `>` check lets it reach 65);
 * - selection is bounded: after MAX_SELECT_ROUNDS rejections it returns the last candidate
 *   (btcd loops until the weighted coin lands, which with a zero chance is forever);
 * - intake takes an optional per-peer rate limiter (Core #22387);
 * - test-before-evict (Core PR #9037): good() never evicts a tried entry at once; a collision
 *   waits (≤ 10) until a feeler has tested the entry it would replace;
 * - Tor v3, I2P and CJDNS addresses (BIP155) are stored under their text keys
 *   (src/util/overlay.ts) and relayed; the node never dials I2P or CJDNS, and Tor only through
 *   a SOCKS5 proxy (the dial scope decides).
 */
import { systemClock, type Clock } from '../clock.js';
import { StoreError } from '../errors.js';
import { addressGroup, formatIpPort, parseIpPort } from '../util/host-port.js';
import { isRoutable, isValid, type Ip16 } from '../util/ip.js';
import { overlayKey, parseOverlay } from '../util/overlay.js';
import { cryptoRandom, type Random } from '../util/random.js';
import type { AddrRateLimiter } from './addr-rate-limiter.js';
import {
  BUCKET_KEY_LENGTH,
  doubleSha256,
  NEW_BUCKET_COUNT,
  NEW_BUCKET_SIZE,
  NEW_BUCKETS_PER_ADDRESS,
  newBucketIndex,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKET_SIZE,
  triedBucketIndex,
  type HashFn,
} from './buckets.js';
import { KnownAddress, RECENT_ATTEMPT_MS } from './known-address.js';
import {
  ADDR_FILE_VERSION,
  parseAddrFile,
  type AddrFileV1,
} from './serialize.js';

/** Core MAX_ADDR_TO_SEND (src/net_processing.cpp): most addresses in one getaddr reply. */
export const GETADDR_MAX = 1000;
/** Core MAX_PCT_ADDR_TO_SEND (btcd getAddrPercent): share of the table revealed per getaddr reply. */
export const GETADDR_PERCENT = 23;
/** Core ADDRMAN_SET_TRIED_COLLISION_SIZE (src/addrman_impl.h): tried collisions waiting for a test. */
export const TRIED_COLLISIONS_MAX = 10;
/** Core ADDRMAN_REPLACEMENT: an entry that succeeded (or was tried) this recently is not replaced unheard. */
export const TRIED_REPLACEMENT_MS = 4 * 3_600_000;
/** Core ADDRMAN_TEST_WINDOW: a collision unresolved for this long evicts the old entry anyway. */
export const TRIED_TEST_WINDOW_MS = 40 * 60_000;
/** Core ResolveCollisions: a feeler gets this long to connect before the old entry counts as failed. */
export const FEELER_GRACE_MS = 60_000;
/** btcd needAddressThreshold: below this many addresses, ask outbound peers for more. */
export const NEED_ADDRESS_THRESHOLD = 1000;
/** Announced timestamps further ahead than this are rewritten (server.go OnAddr). */
export const FUTURE_TIMESTAMP_SLACK_MS = 10 * 60_000;
/** …to this far in the past, so the address is neither favoured nor immediately bad. */
export const FUTURE_TIMESTAMP_PENALTY_MS = 5 * 24 * 3_600_000;
/** Connected() refreshes the timestamp only when it is older than this, to avoid leaking who we talk to. */
export const CONNECTED_REFRESH_MS = 20 * 60_000;
/**
 * Bound on weighted-selection rounds. The acceptance factor grows 1.2× per round, so an address
 * with chance 1e-6 is accepted by round ~76; the bound only bites for chances that underflow.
 */
export const MAX_SELECT_ROUNDS = 1000;
/** btcd server.go: tries per outbound pick; recent attempts skipped below 30, odd ports below 50. */
export const SELECT_TRIES = 100;
export const SELECT_SKIP_RECENT_TRIES = 30;
export const SELECT_SKIP_PORT_TRIES = 50;

export interface AddrManagerOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  /** 32-byte bucket key; default: fresh random bytes. Secret: knowing it lets an attacker aim at buckets. */
  readonly key?: Uint8Array;
  /** Bucket hash; default dSHA256. */
  readonly hash?: HashFn;
  /** Accept non-routable but valid addresses (loopback, RFC 1918) and group them by /16 (IPv6 /32), a test device (util/ip.ts addressGroup). */
  readonly allowLocal?: boolean;
  /** Full override of the routability policy. */
  readonly isRoutable?: (ip: Ip16) => boolean;
}

/** One entry of an addr/addrv2 message. */
export interface AddrEntry {
  /** `HOST:PORT`. */
  readonly addr: string;
  /** Unix seconds, as on the wire. */
  readonly timestamp: number;
  readonly services?: bigint;
}

/** A read-only view of a known address. */
export interface AddressInfo {
  readonly addr: string;
  readonly src: string;
  readonly group: string;
  readonly services: bigint;
  readonly timestampMs: number;
  readonly attempts: number;
  readonly lastAttemptMs: number;
  readonly lastSuccessMs: number;
  readonly tried: boolean;
  readonly refs: number;
}

/** What intake did with an addr message. */
export interface AddResult {
  /** Entries in the message. */
  readonly offered: number;
  /** Entries dropped by the rate limiter before any parsing. */
  readonly rateLimited: number;
  /** Entries looked at (offered − rateLimited). */
  readonly processed: number;
  /** Entries that became new addresses. */
  readonly added: number;
  /** Processed entries refused: malformed, non-routable, port 0. */
  readonly ignored: number;
  /**
   * The processed entries that were valid, in canonical form, with the timestamp as stored
   * (seconds; a future one already rewritten): what address relay may pass on.
   */
  readonly accepted: readonly AddrEntry[];
}

export interface SelectOutboundOptions {
  /** Groups that already have an outbound peer (ConnManager.outboundGroups()). */
  readonly excludeGroups?: ReadonlySet<string>;
  /**
   * Health bias in [0, 1] (1 = no objection). During the first SELECT_SKIP_PORT_TRIES tries a
   * candidate is skipped with probability 1 − preference; after that it is ignored, so a node
   * whose every known peer is unhealthy still dials someone.
   */
  readonly preference?: (addr: string) => number;
  /**
   * Addresses never to return (connected, being dialled, ourselves). When every known address is
   * in it, selection returns null at once instead of spending its tries on picks it must refuse.
   */
  readonly exclude?: ReadonlySet<string>;
  /** Addresses that may be dialled at all (the dial scope, src/conn/dial-scope.ts); others are skipped. */
  readonly allow?: (addr: string) => boolean;
  /** Tries before giving up; default 100. */
  readonly tries?: number;
  /** When set, other ports are skipped during the first 50 tries (btcd). */
  readonly defaultPort?: number;
}

/** A set of bucket indices with O(1) add, delete and uniform pick: selection skips empty buckets. */
class IndexSet {
  private readonly items: number[] = [];
  private readonly pos: Int32Array;

  constructor(capacity: number) {
    this.pos = new Int32Array(capacity).fill(-1);
  }
  get size(): number {
    return this.items.length;
  }
  has(i: number): boolean {
    return this.pos[i]! >= 0;
  }
  add(i: number): void {
    if (this.pos[i]! >= 0) return;
    this.pos[i] = this.items.length;
    this.items.push(i);
  }
  delete(i: number): void {
    const p = this.pos[i]!;
    if (p < 0) return;
    const last = this.items.pop()!;
    if (last !== i) {
      this.items[p] = last;
      this.pos[last] = p;
    }
    this.pos[i] = -1;
  }
  at(k: number): number {
    return this.items[k]!;
  }
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export class AddrManager {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly hash: HashFn;
  private readonly allowLocal: boolean;
  private readonly routable: (ip: Ip16) => boolean;
  private readonly key: Uint8Array;

  private readonly index = new Map<string, KnownAddress>();
  private readonly newTable: Map<string, KnownAddress>[] = [];
  private readonly triedTable: KnownAddress[][] = [];
  private readonly newNonEmpty = new IndexSet(NEW_BUCKET_COUNT);
  private readonly triedNonEmpty = new IndexSet(TRIED_BUCKET_COUNT);
  private nNew = 0;
  private nTried = 0;
  /** Addresses that good() could not move into a full tried bucket yet (Core m_tried_collisions). */
  private readonly collisions = new Set<string>();

  constructor(opts: AddrManagerOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? cryptoRandom;
    this.hash = opts.hash ?? doubleSha256;
    this.allowLocal = opts.allowLocal ?? false;
    this.routable = opts.isRoutable ?? (this.allowLocal ? isValid : isRoutable);
    const key = opts.key ?? this.random.bytes(BUCKET_KEY_LENGTH);
    if (key.length !== BUCKET_KEY_LENGTH) throw new RangeError(`AddrManager: key must be ${BUCKET_KEY_LENGTH} bytes, got ${key.length}`);
    this.key = Uint8Array.from(key);
    for (let i = 0; i < NEW_BUCKET_COUNT; i++) this.newTable.push(new Map());
    for (let i = 0; i < TRIED_BUCKET_COUNT; i++) this.triedTable.push([]);
  }

  // ---- Counts and lookups -------------------------------------------------------------------

  /** All known addresses. */
  size(): number {
    return this.index.size;
  }
  numNew(): number {
    return this.nNew;
  }
  numTried(): number {
    return this.nTried;
  }
  /** True below 1,000 addresses: outbound peers should be asked for more (getaddr). */
  needMoreAddresses(): boolean {
    return this.index.size < NEED_ADDRESS_THRESHOLD;
  }
  has(addr: string): boolean {
    return this.find(addr) !== undefined;
  }
  /** The group an address is bucketed and rationed by (same rule as the connection manager). */
  groupOf(addr: string): string {
    return addressGroup(addr, { allowLocal: this.allowLocal });
  }
  get(addr: string): AddressInfo | undefined {
    const ka = this.find(addr);
    return ka === undefined ? undefined : this.info(ka);
  }

  private info(ka: KnownAddress): AddressInfo {
    return Object.freeze({
      addr: ka.addr,
      src: ka.src,
      group: this.groupOf(ka.addr),
      services: ka.services,
      timestampMs: ka.timestampMs,
      attempts: ka.attempts,
      lastAttemptMs: ka.lastAttemptMs,
      lastSuccessMs: ka.lastSuccessMs,
      tried: ka.tried,
      refs: ka.refs,
    });
  }

  private find(addr: string): KnownAddress | undefined {
    const direct = this.index.get(addr);
    if (direct !== undefined) return direct;
    const hp = parseIpPort(addr);
    return hp === null ? undefined : this.index.get(formatIpPort(hp.ip, hp.port));
  }

  private newBucketOf(addr: string, src: string): number {
    return newBucketIndex(this.key, this.groupOf(addr), this.groupOf(src), this.hash);
  }

  private triedBucketOf(addr: string): number {
    return triedBucketIndex(this.key, addr, this.groupOf(addr), this.hash);
  }

  // ---- Intake -------------------------------------------------------------------------------

  /**
   * Takes the entries of one addr/addrv2 message from peer `src` (`HOST:PORT`). With a limiter,
   * only as many entries as it has tokens for are looked at, chosen at random so a flooder
   * cannot predict which of its entries survive. Never throws on peer data.
   */
  addAddresses(list: readonly AddrEntry[], src: string, opts: { limiter?: AddrRateLimiter } = {}): AddResult {
    const offered = list.length;
    let entries: readonly AddrEntry[] = list;
    if (opts.limiter !== undefined) {
      const k = opts.limiter.take(offered);
      if (k < offered) entries = this.sample(list, k);
    }
    const srcKey = parseIpPort(src);
    const srcText = srcKey === null ? src : formatIpPort(srcKey.ip, srcKey.port);
    const now = this.clock.now();
    let added = 0;
    let ignored = 0;
    const accepted: AddrEntry[] = [];
    for (const e of entries) {
      const r = this.addOne(e, srcText, now);
      if (r === 'ignored') {
        ignored++;
        continue;
      }
      if (r.result === 'added') added++;
      accepted.push(r.entry);
    }
    return { offered, rateLimited: offered - entries.length, processed: entries.length, added, ignored, accepted };
  }

  /** A uniformly random subset of k entries (partial Fisher–Yates over indices). */
  private sample(list: readonly AddrEntry[], k: number): AddrEntry[] {
    if (k <= 0) return [];
    const idx = Array.from(list.keys());
    const out: AddrEntry[] = [];
    for (let i = 0; i < k; i++) {
      const j = i + this.random.int(idx.length - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      out.push(list[idx[i]!]!);
    }
    return out;
  }

  private addOne(e: AddrEntry, src: string, now: number): { result: 'added' | 'updated'; entry: AddrEntry } | 'ignored' {
    if (typeof e?.addr !== 'string') return 'ignored';
    let addr: string;
    const hp = parseIpPort(e.addr);
    if (hp !== null) {
      if (hp.port === 0 || !this.routable(hp.ip)) return 'ignored';
      addr = formatIpPort(hp.ip, hp.port);
    } else {
      // Tor v3, I2P, CJDNS: routable by construction (Core IsRoutable). I2P uses port 0 (SAM 3.1).
      const o = parseOverlay(e.addr);
      if (o === null || (o.port === 0 && o.net !== 'i2p')) return 'ignored';
      addr = overlayKey(o.networkId, o.addr, o.port)!;
    }
    if (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp) || e.timestamp < 0) return 'ignored';
    let ts = Math.floor(e.timestamp) * 1000;
    // A peer that stamps addresses in the future would make them look freshest forever.
    if (ts > now + FUTURE_TIMESTAMP_SLACK_MS) ts = now - FUTURE_TIMESTAMP_PENALTY_MS;
    const services = typeof e.services === 'bigint' && e.services >= 0n ? BigInt.asUintN(64, e.services) : 0n;
    return { result: this.updateAddress(addr, src, services, ts, now), entry: { addr, timestamp: Math.floor(ts / 1000), services } };
  }

  /** btcd updateAddress (§4.9). */
  private updateAddress(addr: string, src: string, services: bigint, tsMs: number, now: number): 'added' | 'updated' {
    let ka = this.index.get(addr);
    let result: 'added' | 'updated' = 'updated';
    if (ka !== undefined) {
      if (tsMs > ka.timestampMs) ka.timestampMs = tsMs;
      ka.services |= services;
      if (ka.tried || ka.refs >= NEW_BUCKETS_PER_ADDRESS) return result;
      // Each further copy is half as likely: well-known addresses spread, but slowly.
      if (this.random.int(2 * ka.refs) !== 0) return result;
    } else {
      ka = new KnownAddress(addr, src, services, tsMs);
      this.index.set(addr, ka);
      this.nNew++;
      result = 'added';
    }
    const b = this.newBucketOf(addr, src);
    const bucket = this.newTable[b]!;
    if (bucket.has(addr)) return result;
    // `>=`, not btcd's `>`: a bucket holds at most NEW_BUCKET_SIZE.
    if (bucket.size >= NEW_BUCKET_SIZE) this.expireNew(b, now);
    bucket.set(addr, ka);
    ka.refs++;
    this.newNonEmpty.add(b);
    return result;
  }

  private removeFromNew(b: number, ka: KnownAddress): void {
    const bucket = this.newTable[b]!;
    if (!bucket.delete(ka.addr)) return;
    if (bucket.size === 0) this.newNonEmpty.delete(b);
    ka.refs--;
    if (ka.refs === 0 && !ka.tried) {
      this.nNew--;
      this.index.delete(ka.addr);
    }
  }

  /** btcd expireNew: drop every bad entry of the bucket, then the oldest (by timestamp) of the rest. */
  private expireNew(b: number, now: number): void {
    let oldest: KnownAddress | undefined;
    for (const ka of [...this.newTable[b]!.values()]) {
      if (ka.isBad(now)) {
        this.removeFromNew(b, ka);
        continue;
      }
      if (oldest === undefined || ka.timestampMs <= oldest.timestampMs) oldest = ka;
    }
    if (oldest !== undefined) this.removeFromNew(b, oldest);
  }

  // ---- Outcomes of connections --------------------------------------------------------------

  /** We are about to dial `addr` (btcd Attempt). */
  attempt(addr: string): void {
    const ka = this.find(addr);
    if (ka === undefined) return;
    ka.attempts++;
    ka.lastAttemptMs = this.clock.now();
  }

  /** A connection to `addr` is up (btcd Connected): refresh its timestamp, at most every 20 min. */
  connected(addr: string): void {
    const ka = this.find(addr);
    if (ka === undefined) return;
    const now = this.clock.now();
    if (now > ka.timestampMs + CONNECTED_REFRESH_MS) ka.timestampMs = now;
  }

  /**
   * `addr` completed a handshake (Core Good, btcd Good): reset its failures and move it to tried.
   * The timestamp is left alone so getaddr replies do not reveal whom we are connected to.
   *
   * Test-before-evict (Core PR #9037): when its tried bucket is full, nothing is evicted now. The
   * address stays in new and joins the collision set (at most 10; beyond that the good() is
   * dropped, as in Core), and the entry it would replace (the oldest of that bucket) is offered
   * to the next feeler (selectFeeler()). resolveCollisions() then keeps the old entry if it
   * answered, or replaces it if it did not. Without this, an attacker who gets its addresses
   * dialled pushes our proven peers out of tried one handshake at a time.
   * `testBeforeEvict: false` restores the immediate eviction (resolveCollisions uses it).
   */
  good(addr: string, opts: { testBeforeEvict?: boolean } = {}): void {
    const ka = this.find(addr);
    if (ka === undefined) return;
    const now = this.clock.now();
    ka.lastSuccessMs = now;
    ka.lastAttemptMs = now;
    ka.attempts = 0;
    if (ka.tried) return;
    if (opts.testBeforeEvict !== false && this.triedTable[this.triedBucketOf(ka.addr)]!.length >= TRIED_BUCKET_SIZE) {
      if (this.collisions.size < TRIED_COLLISIONS_MAX) this.collisions.add(ka.addr);
      return;
    }
    this.moveToTried(ka);
  }

  /** Moves a new entry into its tried bucket, evicting that bucket's oldest entry back to new if full. */
  private moveToTried(ka: KnownAddress): void {
    let oldBucket = -1;
    for (let i = 0; i < NEW_BUCKET_COUNT; i++) {
      const bucket = this.newTable[i]!;
      if (bucket.delete(ka.addr)) {
        if (bucket.size === 0) this.newNonEmpty.delete(i);
        ka.refs--;
        if (oldBucket === -1) oldBucket = i;
      }
    }
    if (oldBucket === -1) return; // unreachable while the invariants hold
    this.nNew--;

    const tb = this.triedBucketOf(ka.addr);
    const tried = this.triedTable[tb]!;
    ka.tried = true;
    if (tried.length < TRIED_BUCKET_SIZE) {
      tried.push(ka);
      this.triedNonEmpty.add(tb);
      this.nTried++;
      return;
    }

    // Evict the oldest tried entry back to new, into its own bucket or the slot we just freed.
    const pos = this.oldestIn(tried);
    const out = tried[pos]!;
    tried[pos] = ka;
    out.tried = false;
    let nb = this.newBucketOf(out.addr, out.src);
    if (this.newTable[nb]!.size >= NEW_BUCKET_SIZE) nb = oldBucket;
    this.newTable[nb]!.set(out.addr, out);
    this.newNonEmpty.add(nb);
    out.refs++;
    this.nNew++;
  }

  /** Index of the entry a newcomer would replace in a full tried bucket: the oldest timestamp. */
  private oldestIn(bucket: readonly KnownAddress[]): number {
    let pos = 0;
    for (let i = 1; i < bucket.length; i++) if (bucket[i]!.timestampMs < bucket[pos]!.timestampMs) pos = i;
    return pos;
  }

  /** The tried entry a waiting collision would replace, or null when its bucket has room again. */
  private collisionVictim(ka: KnownAddress): KnownAddress | null {
    const bucket = this.triedTable[this.triedBucketOf(ka.addr)]!;
    return bucket.length < TRIED_BUCKET_SIZE ? null : bucket[this.oldestIn(bucket)]!;
  }

  /** Tried collisions waiting for a feeler's verdict. */
  numCollisions(): number {
    return this.collisions.size;
  }

  /**
   * Core ResolveCollisions: for each waiting collision, keep the old tried entry if it succeeded in
   * the last 4 h (the collision is dropped); replace it if it was tried in the last 4 h, more than
   * 60 s ago, without success (the feeler failed); replace it anyway once the collision is 40 min
   * old and the old entry was never tested; move the newcomer in at once if its bucket has room.
   * The node calls it before choosing each feeler (selectFeeler does).
   */
  resolveCollisions(): void {
    const now = this.clock.now();
    for (const addr of [...this.collisions]) {
      const ka = this.index.get(addr);
      if (ka === undefined || ka.tried) {
        this.collisions.delete(addr);
        continue;
      }
      const old = this.collisionVictim(ka);
      if (old === null) {
        this.collisions.delete(addr);
        this.moveToTried(ka);
        continue;
      }
      if (now - old.lastSuccessMs < TRIED_REPLACEMENT_MS) {
        this.collisions.delete(addr);
      } else if (now - old.lastAttemptMs < TRIED_REPLACEMENT_MS) {
        if (now - old.lastAttemptMs > FEELER_GRACE_MS) {
          this.collisions.delete(addr);
          this.moveToTried(ka);
        }
      } else if (now - ka.lastSuccessMs > TRIED_TEST_WINDOW_MS) {
        this.collisions.delete(addr);
        this.moveToTried(ka);
      }
    }
  }

  /** Core SelectTriedCollision: the tried entry that a random waiting collision would replace, or null. */
  selectTriedCollision(): string | null {
    const waiting = [...this.collisions];
    while (waiting.length > 0) {
      const i = this.random.int(waiting.length);
      const ka = this.index.get(waiting[i]!);
      const old = ka === undefined || ka.tried ? null : this.collisionVictim(ka);
      if (old !== null) return old.addr;
      waiting.splice(i, 1);
    }
    return null;
  }

  /**
   * An address for a feeler connection (Core ThreadOpenConnections): resolve collisions, then test
   * the old side of a tried collision if there is one, else a new-table address. A collision
   * victim we are already connected to (in `exclude`) is simply marked good, as Core does, and no
   * feeler is made this round. Calls attempt() on the result, so a feeler that fails counts.
   */
  selectFeeler(opts: { exclude?: ReadonlySet<string>; allow?: (addr: string) => boolean } = {}): string | null {
    this.resolveCollisions();
    const victim = this.selectTriedCollision();
    if (victim !== null && (opts.allow === undefined || opts.allow(victim))) {
      if (opts.exclude?.has(victim) === true) {
        this.good(victim);
        this.resolveCollisions();
        return null;
      }
      this.attempt(victim);
      return victim;
    }
    if (this.nNew === 0) return null;
    for (let t = 0; t < SELECT_TRIES; t++) {
      const ka = this.pick(true);
      if (ka === undefined) return null;
      if (opts.exclude?.has(ka.addr) === true) continue;
      if (opts.allow !== undefined && !opts.allow(ka.addr)) continue;
      this.attempt(ka.addr);
      return ka.addr;
    }
    return null;
  }

  // ---- Selection ----------------------------------------------------------------------------

  /**
   * A weighted random address (btcd GetAddress, §4.8), or null when the table is empty. Tried and
   * new are chosen 50/50 when both have entries. Always terminates (btcd#376).
   */
  getAddress(): AddressInfo | null {
    const ka = this.pick();
    return ka === undefined ? null : this.info(ka);
  }

  private pick(newOnly = false): KnownAddress | undefined {
    if (this.index.size === 0 || (newOnly && this.nNew === 0)) return undefined;
    const fromTried = !newOnly && this.nTried > 0 && (this.nNew === 0 || this.random.int(2) === 0);
    const now = this.clock.now();
    const large = 1 << 30;
    let factor = 1;
    let candidate: KnownAddress | undefined;
    for (let round = 0; round < MAX_SELECT_ROUNDS; round++) {
      if (fromTried) {
        const b = this.triedNonEmpty.at(this.random.int(this.triedNonEmpty.size));
        const bucket = this.triedTable[b]!;
        candidate = bucket[this.random.int(bucket.length)]!;
      } else {
        const b = this.newNonEmpty.at(this.random.int(this.newNonEmpty.size));
        const bucket = this.newTable[b]!;
        let k = this.random.int(bucket.size);
        for (const ka of bucket.values()) {
          if (k-- === 0) {
            candidate = ka;
            break;
          }
        }
      }
      if (this.random.int(large) < factor * candidate!.chance(now) * large) return candidate;
      factor *= 1.2;
    }
    return candidate;
  }

  /**
   * An address to dial for an outbound slot, after btcd server.go newAddressFunc (§4.12): up to
   * `tries` picks; skip groups we already have an outbound peer in; during the first 30 tries
   * skip addresses attempted in the last 10 minutes; during the first 50, non-default ports and
   * (with `preference`) unhealthy peers at random. Calls attempt() on the result.
   */
  selectOutbound(opts: SelectOutboundOptions = {}): string | null {
    const tries = opts.tries ?? SELECT_TRIES;
    const now = this.clock.now();
    const exclude = opts.exclude;
    if (exclude !== undefined) {
      let free = this.size();
      for (const a of exclude) if (this.has(a)) free--;
      if (free <= 0) return null;
    }
    for (let t = 0; t < tries; t++) {
      const ka = this.pick();
      if (ka === undefined) return null;
      if (exclude?.has(ka.addr) === true) continue;
      if (opts.allow !== undefined && !opts.allow(ka.addr)) continue;
      if (opts.excludeGroups?.has(this.groupOf(ka.addr)) === true) continue;
      if (t < SELECT_SKIP_RECENT_TRIES && now - ka.lastAttemptMs < RECENT_ATTEMPT_MS) continue;
      if (t < SELECT_SKIP_PORT_TRIES) {
        if (opts.defaultPort !== undefined && parseIpPort(ka.addr)?.port !== opts.defaultPort) continue;
        if (opts.preference !== undefined) {
          const p = opts.preference(ka.addr);
          const w = Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 1;
          if (w < 1 && this.random.float() >= w) continue;
        }
      }
      this.attempt(ka.addr);
      return ka.addr;
    }
    return null;
  }

  /**
   * A getaddr reply (Core GetAddresses(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND)): a random 23 % of
   * the known addresses, at most 1,000, leaving out bad ones (Core IsTerrible). Only a share is
   * revealed so a spy needs many connections to map our table. The node answers from a cache of
   * this (AddressGossip), never from the live table.
   */
  addressCache(): AddrEntry[] {
    const now = this.clock.now();
    const all = [...this.index.values()].filter((ka) => !ka.isBad(now));
    const n = Math.min(Math.floor((all.length * GETADDR_PERCENT) / 100), GETADDR_MAX);
    for (let i = 0; i < n; i++) {
      const j = i + this.random.int(all.length - i);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, n).map((ka) => ({
      addr: ka.addr,
      timestamp: Math.floor(ka.timestampMs / 1000),
      services: ka.services,
    }));
  }

  // ---- Invariants ---------------------------------------------------------------------------

  /**
   * Verifies every cross-reference and throws StoreError(ERR_STORE_CORRUPT) describing the first
   * violation: index ↔ buckets, refs counts, nNew/nTried, no address both new and tried, bucket
   * sizes. O(table) without hashing; tests run it after every operation, fromJSON after every
   * load. `placement: true` also re-hashes every tried entry to check it sits in the bucket its
   * key leads to (2 dSHA256 per entry; done on load, where a file made under other bucket rules
   * would otherwise be silently mis-bucketed, dcrd#1131).
   */
  checkInvariants(opts: { placement?: boolean } = {}): void {
    const fail = (msg: string, details: Record<string, unknown> = {}): never => {
      throw new StoreError('ERR_STORE_CORRUPT', `address manager invariant: ${msg}`, details);
    };
    const newRefs = new Map<KnownAddress, number>();
    let triedSeen = 0;
    for (let b = 0; b < NEW_BUCKET_COUNT; b++) {
      const bucket = this.newTable[b]!;
      if (bucket.size > NEW_BUCKET_SIZE) fail(`new bucket ${b} holds ${bucket.size} > ${NEW_BUCKET_SIZE}`);
      if (this.newNonEmpty.has(b) !== bucket.size > 0) fail(`new bucket ${b} non-empty index is stale`);
      for (const [k, ka] of bucket) {
        if (ka.addr !== k) fail(`new bucket ${b} key ${k} holds ${ka.addr}`);
        if (this.index.get(k) !== ka) fail(`new bucket ${b} entry ${k} is not the indexed object`);
        if (ka.tried) fail(`${k} is both tried and in new bucket ${b}`);
        newRefs.set(ka, (newRefs.get(ka) ?? 0) + 1);
      }
    }
    const inTried = new Set<KnownAddress>();
    for (let b = 0; b < TRIED_BUCKET_COUNT; b++) {
      const bucket = this.triedTable[b]!;
      if (bucket.length > TRIED_BUCKET_SIZE) fail(`tried bucket ${b} holds ${bucket.length} > ${TRIED_BUCKET_SIZE}`);
      if (this.triedNonEmpty.has(b) !== bucket.length > 0) fail(`tried bucket ${b} non-empty index is stale`);
      for (const ka of bucket) {
        if (inTried.has(ka)) fail(`${ka.addr} appears twice in the tried table`);
        inTried.add(ka);
        triedSeen++;
        if (this.index.get(ka.addr) !== ka) fail(`tried entry ${ka.addr} is not the indexed object`);
        if (!ka.tried) fail(`${ka.addr} is in tried bucket ${b} but not marked tried`);
        if (ka.refs !== 0) fail(`tried ${ka.addr} has refs ${ka.refs}`);
      }
    }
    let nNew = 0;
    let nTried = 0;
    for (const [k, ka] of this.index) {
      if (ka.addr !== k) fail(`index key ${k} holds ${ka.addr}`);
      if (ka.tried) {
        nTried++;
        if (!inTried.has(ka)) fail(`${k} is marked tried but is in no tried bucket`);
      } else {
        nNew++;
        const refs = newRefs.get(ka) ?? 0;
        if (refs !== ka.refs) fail(`${k} has refs ${ka.refs} but is in ${refs} new buckets`);
        if (refs < 1 || refs > NEW_BUCKETS_PER_ADDRESS) fail(`${k} is in ${refs} new buckets`);
      }
    }
    if (nNew !== this.nNew) fail(`nNew is ${this.nNew}, counted ${nNew}`);
    if (nTried !== this.nTried || triedSeen !== nTried) fail(`nTried is ${this.nTried}, counted ${nTried} (${triedSeen} in buckets)`);
    if (opts.placement === true) {
      for (let b = 0; b < TRIED_BUCKET_COUNT; b++) {
        for (const ka of this.triedTable[b]!) {
          const want = this.triedBucketOf(ka.addr);
          if (want !== b) fail(`tried ${ka.addr} is in bucket ${b}, its key puts it in ${want}`);
        }
      }
    }
  }

  // ---- Serialisation ------------------------------------------------------------------------

  /** The state as a versioned plain object (serialize.ts AddrFileV1). */
  toJSON(): AddrFileV1 {
    return {
      version: ADDR_FILE_VERSION,
      key: toHex(this.key),
      addresses: [...this.index.values()].map((ka) => ({
        addr: ka.addr,
        src: ka.src,
        services: ka.services.toString(),
        timestampMs: ka.timestampMs,
        attempts: ka.attempts,
        lastAttemptMs: ka.lastAttemptMs,
        lastSuccessMs: ka.lastSuccessMs,
      })),
      newBuckets: this.newTable.map((b) => [...b.keys()]),
      triedBuckets: this.triedTable.map((b) => b.map((ka) => ka.addr)),
    };
  }

  /**
   * Rebuilds a manager from toJSON() output. The file's key replaces `opts.key`. Throws
   * StoreError (ERR_STORE_VERSION, ERR_STORE_CORRUPT) on anything inconsistent, including a tried
   * entry in a bucket its key does not lead to (a file from other bucket rules).
   */
  static fromJSON(obj: unknown, opts: AddrManagerOptions = {}): AddrManager {
    const file = parseAddrFile(obj);
    const m = new AddrManager({ ...opts, key: Buffer.from(file.key, 'hex') });
    for (const a of file.addresses) {
      if (m.index.has(a.addr)) throw new StoreError('ERR_STORE_CORRUPT', `address file: duplicate address ${a.addr}`);
      const ka = new KnownAddress(a.addr, a.src, BigInt(a.services), a.timestampMs);
      ka.attempts = a.attempts;
      ka.lastAttemptMs = a.lastAttemptMs;
      ka.lastSuccessMs = a.lastSuccessMs;
      m.index.set(a.addr, ka);
    }
    const lookup = (k: string, where: string): KnownAddress => {
      const ka = m.index.get(k);
      if (ka === undefined) throw new StoreError('ERR_STORE_CORRUPT', `address file: ${where} names unknown address ${k}`);
      return ka;
    };
    file.newBuckets.forEach((keys, b) => {
      for (const k of keys) {
        const ka = lookup(k, `newBuckets[${b}]`);
        if (m.newTable[b]!.has(k)) throw new StoreError('ERR_STORE_CORRUPT', `address file: ${k} twice in newBuckets[${b}]`);
        m.newTable[b]!.set(k, ka);
        m.newNonEmpty.add(b);
        ka.refs++;
      }
    });
    file.triedBuckets.forEach((keys, b) => {
      for (const k of keys) {
        const ka = lookup(k, `triedBuckets[${b}]`);
        if (ka.tried) throw new StoreError('ERR_STORE_CORRUPT', `address file: ${k} twice in the tried table`);
        ka.tried = true;
        m.triedTable[b]!.push(ka);
        m.triedNonEmpty.add(b);
      }
    });
    for (const ka of m.index.values()) {
      if (ka.tried) m.nTried++;
      else m.nNew++;
    }
    m.checkInvariants({ placement: true });
    return m;
  }
}
