/**
 * Outbound connection bookkeeping after btcd connmgr (btcd connmgr/connmanager.go), with Bitcoin
 * Core's connection kinds and budgets (src/net.h: MAX_OUTBOUND_FULL_RELAY_CONNECTIONS = 8,
 * MAX_BLOCK_RELAY_ONLY_CONNECTIONS = 2, MAX_ADDNODE_CONNECTIONS = 8, MAX_FEELER_CONNECTIONS = 1):
 * keep `targetOutbound` full-relay and `blockRelayOnly` block-relay-only peers, retry permanent
 * peers forever with a growing, jittered, capped delay, throttle after a run of failures, ration
 * automatic and one-shot outbound peers to one per network group, and open a short-lived feeler
 * on an exponential timer once the automatic slots are full (Core ThreadOpenConnections). Each
 * kind has its own budget, so no path (a restart, a flood of drops) can push the automatic
 * outbound count past targetOutbound + blockRelayOnly; the only extras are a short-lived feeler and
 * Core's one extra full-relay peer (stale tip) or block-relay-only peer (every 5 min on average
 * once synced), which the node's outbound eviction closes again (src/node/outbound-eviction.ts).
 * Inbound slots are kept apart (src/conn/inbound-policy.ts), so inbound peers can never take our
 * outbound slots (lnd#9874). No sockets here: `dial`, addresses, time and timers are injected.
 *
 * Deliberate differences from btcd (docs/addresses-and-connections.md):
 * - every backoff is ≤ retryMax, on every path, and retryMax is configurable (lnd#9294); the flap
 *   tier of a flapping address (1 s … 1 h, peer health) is added on top and not clipped, and it
 *   holds off every outbound reconnect to that address, automatic ones included (issue 20);
 * - delays carry ±jitter so many nodes restarting together do not redial in lockstep;
 * - a failed automatic request is removed before its replacement is made (btcd leaves it in
 *   its pending map forever);
 * - a failed one-shot manual connect is dropped; btcd replaces it with an automatic request,
 *   which lets the outbound count creep above target;
 * - stop() closes established connections and reports them through onDisconnection.
 */
import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { addressGroup } from '../util/host-port.js';
import { cryptoRandom, exponentialDelayMs, type Random } from '../util/random.js';

/**
 * What a connection is for (Core ConnectionType, src/node/connection_types.h):
 * - `full-relay`: automatic, relays transactions, blocks and addresses;
 * - `block-relay-only`: automatic or an anchor; blocks only, no transactions, no addresses, so an
 *   attacker cannot map it through gossip (Core PR #15759);
 * - `manual`: operator-named (`--connect`, `--add-peer`, connect()); Core's addnode budget;
 * - `feeler`: a short-lived dial to test an address (a new one, or the old side of a tried
 *   collision), closed after the handshake;
 * - `mesh`: another instance of this relay; manual-like and trusted; no budget (the operator
 *   lists them, and they are not part of the network's diversity question).
 */
export type ConnKind = 'full-relay' | 'block-relay-only' | 'manual' | 'feeler' | 'mesh';

/** btcd ConnState. */
export type ConnState = 'pending' | 'failing' | 'canceled' | 'established' | 'disconnected';

/** What the manager needs from a connection: the ability to close it. */
export interface Connection {
  close(): void;
}

/** setTimeout-like timers, so tests drive time with a manual scheduler. */
export interface TimerScheduler {
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers. */
export const systemScheduler: TimerScheduler = Object.freeze({
  setTimeout: (fn: () => void, delayMs: number): unknown => setTimeout(fn, delayMs),
  clearTimeout: (h: unknown): void => clearTimeout(h as ReturnType<typeof setTimeout>),
});

/** btcd defaultTargetOutbound. */
export const DEFAULT_TARGET_OUTBOUND = 8;
/** btcd defaultRetryDuration: the n-th retry waits n × this. */
export const DEFAULT_RETRY_BASE_MS = 5_000;
/** btcd maxRetryDuration. */
export const DEFAULT_RETRY_MAX_MS = 300_000;
/** Delays are scaled by a uniform factor in [1 − jitter, 1 + jitter], then capped. */
export const DEFAULT_JITTER = 0.2;
/** btcd maxFailedAttempts: after this many failures in a row, automatic attempts are spaced out. */
export const MAX_FAILED_ATTEMPTS = 25;
/** Core MAX_BLOCK_RELAY_ONLY_CONNECTIONS (src/net.h). */
export const DEFAULT_BLOCK_RELAY_ONLY = 2;
/** Core MAX_ADDNODE_CONNECTIONS (src/net.h): manual connections dialled at once. */
export const DEFAULT_MAX_MANUAL = 8;
/** Core MAX_FEELER_CONNECTIONS (src/net.h). */
export const MAX_FEELERS = 1;
/** Core FEELER_INTERVAL (src/net.h): mean of the exponential feeler timer. */
export const FEELER_INTERVAL_MS = 120_000;
/** Core EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL (src/net.h): mean of the extra block-relay-only timer. */
export const EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL_MS = 5 * 60_000;

/** A snapshot of one connection request. */
export interface ConnReqInfo {
  readonly id: number;
  /** Null while an automatic request waits for an address. */
  readonly addr: string | null;
  readonly permanent: boolean;
  /** True when the manager made it to fill a target slot (not connect()); anchors are automatic. */
  readonly automatic: boolean;
  readonly kind: ConnKind;
  readonly state: ConnState;
  /** Failed attempts since the last success (permanent requests). */
  readonly retryCount: number;
  /** Unix ms of the next scheduled attempt, if one is scheduled. */
  readonly nextAttemptAt: number | null;
}

export type ConnLogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface ConnManagerOptions<C extends Connection> {
  /** Opens an outbound connection of `kind`; rejects on failure. Its own timeout is the caller's. */
  readonly dial: (addr: string, kind: ConnKind) => Promise<C>;
  /**
   * The next address for an automatic slot, or null if none. Receives the groups already used
   * by outbound peers (pass them to AddrManager.selectOutbound as excludeGroups).
   */
  readonly getNewAddress?: (excludeGroups: ReadonlySet<string>, kind: 'full-relay' | 'block-relay-only') => string | null;
  /**
   * An address for a feeler (AddrManager.selectFeeler: the old side of a tried collision first,
   * else a new-table address), or null. Without it no feelers are made.
   */
  readonly getFeelerAddress?: () => string | null;
  readonly clock?: Clock;
  readonly scheduler?: TimerScheduler;
  /** Jitter source. */
  readonly random?: Random;
  /** Automatic full-relay slots (Core MAX_OUTBOUND_FULL_RELAY_CONNECTIONS = 8). */
  readonly targetOutbound?: number;
  /** Automatic block-relay-only slots, anchors included (Core: 2). */
  readonly blockRelayOnly?: number;
  /** Manual connections dialling or connected at once (Core: 8); more wait for a free slot. */
  readonly maxManual?: number;
  /** Mean of the feeler timer; default 2 min. */
  readonly feelerIntervalMs?: number;
  /** Mean of the extra block-relay-only timer once startExtraBlockRelayPeers() was called; default 5 min. */
  readonly extraBlockRelayIntervalMs?: number;
  readonly retryBaseMs?: number;
  /** Upper bound of every delay the manager schedules. */
  readonly retryMaxMs?: number;
  readonly jitter?: number;
  /** Same meaning as AddrManagerOptions.allowLocal: local addresses are grouped by /16 (IPv6 /32) as routable ones (addressGroup). */
  readonly allowLocal?: boolean;
  /**
   * The flap tier of `addr` (peer health, 1 s … 1 h): added to a permanent peer's backoff, and the
   * time during which no automatic or one-shot request may redial the address after it dropped or
   * failed. Not clipped by retryMaxMs.
   */
  readonly reconnectDelay?: (addr: string) => number;
  readonly onConnection?: (req: ConnReqInfo, conn: C) => void;
  readonly onDisconnection?: (req: ConnReqInfo) => void;
  readonly log?: ConnLogFn;
}

interface ConnReq<C> {
  readonly id: number;
  addr: string | null;
  readonly permanent: boolean;
  readonly automatic: boolean;
  readonly kind: ConnKind;
  state: ConnState;
  retryCount: number;
  conn: C | undefined;
  timer: unknown;
  nextAttemptAt: number | null;
  /** Group reserved by this request while it dials or is connected; null if none. */
  group: string | null;
  /** Bumped per dial, so a late result of an abandoned dial is recognised and closed. */
  dialSeq: number;
}

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${v}`, { [name]: v });
  }
  return v;
}

export class ConnManager<C extends Connection = Connection> {
  private readonly opts: ConnManagerOptions<C>;
  private readonly clock: Clock;
  private readonly scheduler: TimerScheduler;
  private readonly random: Random;
  readonly targetOutbound: number;
  readonly blockRelayOnly: number;
  readonly maxManual: number;
  readonly feelerIntervalMs: number;
  readonly extraBlockRelayIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  private readonly jitter: number;

  private readonly reqs = new Map<number, ConnReq<C>>();
  private readonly groups = new Map<string, number>();
  private nextId = 0;
  private failedAttempts = 0;
  /** Set while the address table is empty: said once, not once per outbound slot and retry. */
  private noAddressLogged = false;
  private started = false;
  private stopped = false;
  private feelerTimer: unknown = undefined;
  /** Address → Unix ms before which no non-permanent request may dial it (flap tier hold-off). */
  private readonly holdOff = new Map<string, number>();
  private nextFeelerAt: number | null = null;
  /** Core m_try_another_outbound_peer: one full-relay connection beyond the target is allowed. */
  private tryAnother = false;
  private extraBlockRelayTimer: unknown = undefined;
  private extraBlockRelayStarted = false;

  constructor(opts: ConnManagerOptions<C>) {
    if (typeof opts.dial !== 'function') throw new ConfigError('ConnManager: dial must be a function');
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.scheduler = opts.scheduler ?? systemScheduler;
    this.random = opts.random ?? cryptoRandom;
    this.targetOutbound = positive('targetOutbound', opts.targetOutbound, DEFAULT_TARGET_OUTBOUND, true);
    this.blockRelayOnly = positive('blockRelayOnly', opts.blockRelayOnly, DEFAULT_BLOCK_RELAY_ONLY, true);
    this.maxManual = positive('maxManual', opts.maxManual, DEFAULT_MAX_MANUAL, true);
    this.feelerIntervalMs = positive('feelerIntervalMs', opts.feelerIntervalMs, FEELER_INTERVAL_MS);
    this.extraBlockRelayIntervalMs = positive('extraBlockRelayIntervalMs', opts.extraBlockRelayIntervalMs, EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL_MS);
    this.retryBaseMs = positive('retryBaseMs', opts.retryBaseMs, DEFAULT_RETRY_BASE_MS);
    this.retryMaxMs = positive('retryMaxMs', opts.retryMaxMs, DEFAULT_RETRY_MAX_MS);
    this.jitter = positive('jitter', opts.jitter, DEFAULT_JITTER, true);
    if (this.jitter >= 1) throw new ConfigError(`jitter must be below 1, got ${this.jitter}`);
    for (const [name, v] of [['targetOutbound', this.targetOutbound], ['blockRelayOnly', this.blockRelayOnly], ['maxManual', this.maxManual]] as const) {
      if (!Number.isInteger(v)) throw new ConfigError(`${name} must be an integer, got ${v}`, { [name]: v });
    }
  }

  // ---- Lifecycle ----------------------------------------------------------------------------

  /**
   * Starts filling the automatic outbound slots: the full-relay ones, and the block-relay-only ones
   * that anchors (connectAnchor(), called before start()) do not already hold. Arms the feeler
   * timer. Idempotent.
   */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (let i = 0; i < this.targetOutbound; i++) this.newConnReq('full-relay');
    while (this.count('block-relay-only') < this.blockRelayOnly) {
      if (!this.newConnReq('block-relay-only')) break;
    }
    this.armFeeler();
  }

  /**
   * Cancels every timer and pending dial, closes established connections (reporting each through
   * onDisconnection) and refuses further work. A dial that completes later is closed.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.feelerTimer !== undefined) this.scheduler.clearTimeout(this.feelerTimer);
    this.feelerTimer = undefined;
    if (this.extraBlockRelayTimer !== undefined) this.scheduler.clearTimeout(this.extraBlockRelayTimer);
    this.extraBlockRelayTimer = undefined;
    this.nextFeelerAt = null;
    for (const req of [...this.reqs.values()]) {
      this.clearTimer(req);
      this.releaseGroup(req);
      this.reqs.delete(req.id);
      req.dialSeq++;
      if (req.state === 'established') {
        req.state = 'disconnected';
        this.closeConn(req);
        this.emitDisconnection(req);
      } else {
        req.state = 'canceled';
      }
    }
  }

  // ---- Outbound -----------------------------------------------------------------------------

  /**
   * Dials `addr` now, as a `manual` connection unless `kind` says `mesh`. A permanent request is
   * redialled after every failure or drop, forever, and is exempt from the one-per-group rule. A
   * one-shot request into a group that already has an outbound peer fails at once. Manual
   * requests beyond `maxManual` wait: a permanent one retries on its usual schedule until a
   * manual slot is free, a one-shot one fails. Mesh links have no budget. Returns the request id.
   */
  connect(addr: string, opts: { permanent?: boolean; kind?: 'manual' | 'mesh' } = {}): number {
    if (this.stopped) return ++this.nextId; // an id that names nothing: a stopped manager dials no one
    const kind = opts.kind ?? 'manual';
    if (kind !== 'manual' && kind !== 'mesh') throw new ConfigError(`connect: kind must be manual or mesh, got ${String(kind)}`);
    const req = this.register(addr, opts.permanent === true, false, kind);
    this.dialReq(req);
    return req.id;
  }

  /**
   * Dials an anchor (a block-relay-only peer of the previous run, src/conn/anchors.ts) as one of
   * the block-relay-only slots; call before start(). Returns null when those slots are all taken.
   * A failed or dropped anchor is not retried: its slot goes back to normal selection (Core
   * ThreadOpenConnections).
   */
  connectAnchor(addr: string): number | null {
    if (this.stopped || this.count('block-relay-only') >= this.blockRelayOnly) return null;
    const req = this.register(addr, false, true, 'block-relay-only');
    this.dialReq(req);
    return req.id;
  }

  /**
   * Core SetTryNewOutboundPeer: while on (our tip looks stale), one full-relay connection beyond
   * targetOutbound may be opened once every automatic slot is connected (Core ThreadOpenConnections
   * makes it an OUTBOUND_FULL_RELAY connection). Called again while on, it opens one if none is
   * open; the extra is closed by whoever decides which full-relay peer is worst
   * (src/node/outbound-eviction.ts), and a closed extra is not replaced.
   */
  setTryAnotherOutbound(on: boolean): void {
    this.tryAnother = on;
    if (on) this.openExtra('full-relay');
  }

  /** Whether an extra full-relay connection is allowed now. */
  get tryingAnotherOutbound(): boolean {
    return this.tryAnother;
  }

  /**
   * Core StartExtraBlockRelayPeers (called once the node is synced): from now on, on an exponential
   * timer with a 5-minute mean, one block-relay-only connection beyond the budget is opened when
   * every automatic slot is connected, long enough to learn the peer's headers; the caller
   * disconnects one block-relay-only peer when over budget. Idempotent.
   */
  startExtraBlockRelayPeers(): void {
    if (this.extraBlockRelayStarted || this.stopped || this.blockRelayOnly === 0) return;
    this.extraBlockRelayStarted = true;
    this.armExtraBlockRelay();
  }

  /** Established connections of `kind` beyond its budget (Core GetExtraFullOutboundCount, GetExtraBlockRelayCount). */
  extraCount(kind: 'full-relay' | 'block-relay-only'): number {
    return Math.max(0, this.count(kind, 'established') - this.budget(kind));
  }

  /** Unix ms at which the feeler timer fires next; null when it is not armed. */
  feelerDueAt(): number | null {
    return this.nextFeelerAt;
  }

  /**
   * The connection (or attempt) `id` is gone (btcd Disconnect): a pending attempt is canceled;
   * an established one is closed and reported, then retried (permanent peers) or replaced by an
   * automatic request of its kind while that kind's budget has room (a one-shot manual peer by a
   * full-relay one); a feeler is never replaced. `redialNow`: dial the same address again at once,
   * with no back-off (a v2 dial that found a v1-only peer, redialled with v1 as Core does). Returns
   * false for an unknown id.
   */
  disconnect(id: number, opts: { redialNow?: boolean } = {}): boolean {
    const req = this.reqs.get(id);
    if (req === undefined) return false;
    if (req.state !== 'established') {
      this.cancel(req);
      return true;
    }
    this.closeConn(req);
    this.releaseGroup(req);
    req.state = 'disconnected';
    this.emitDisconnection(req);
    if (this.stopped) {
      this.reqs.delete(req.id);
      return true;
    }
    if (opts.redialNow === true && req.addr !== null) {
      this.dialReq(req);
      return true;
    }
    // Automatic slots are refilled within their budget (newConnReq checks it); feelers never.
    if (req.permanent || req.kind !== 'feeler') {
      req.state = 'pending';
      this.handleFailed(req, 'disconnected', true);
    } else {
      this.reqs.delete(req.id);
    }
    return true;
  }

  /** Drops request `id` for good (btcd Remove): closes it if established, never retries. */
  remove(id: number): boolean {
    const req = this.reqs.get(id);
    if (req === undefined) return false;
    if (req.state !== 'established') {
      this.cancel(req);
      return true;
    }
    this.reqs.delete(id);
    this.closeConn(req);
    this.releaseGroup(req);
    req.state = 'disconnected';
    this.emitDisconnection(req);
    return true;
  }

  /** Snapshots of the live requests (canceled and disconnected ones are forgotten). */
  list(): ConnReqInfo[] {
    return [...this.reqs.values()].map((r) => this.info(r));
  }

  /** Established outbound connections (permanent ones included), as btcd counts for the target. */
  outboundCount(): number {
    let n = 0;
    for (const r of this.reqs.values()) if (r.state === 'established') n++;
    return n;
  }

  /** Live requests of `kind` (dialling, waiting to redial, or connected): what its budget counts. */
  count(kind: ConnKind, state?: ConnState): number {
    let n = 0;
    for (const r of this.reqs.values()) if (r.kind === kind && (state === undefined || r.state === state)) n++;
    return n;
  }

  /** The budget of `kind`; Infinity for mesh links. */
  budget(kind: ConnKind): number {
    switch (kind) {
      case 'full-relay':
        return this.targetOutbound;
      case 'block-relay-only':
        return this.blockRelayOnly;
      case 'manual':
        return this.maxManual;
      case 'feeler':
        return MAX_FEELERS;
      case 'mesh':
        return Infinity;
    }
  }

  /** Groups held by non-permanent outbound requests that are dialling or connected. */
  outboundGroups(): ReadonlySet<string> {
    return new Set(this.groups.keys());
  }

  /** Consecutive failed attempts (reset by any successful connection). */
  consecutiveFailures(): number {
    return this.failedAttempts;
  }

  // ---- Internals ----------------------------------------------------------------------------

  private info(r: ConnReq<C>): ConnReqInfo {
    return Object.freeze({
      id: r.id,
      addr: r.addr,
      permanent: r.permanent,
      automatic: r.automatic,
      kind: r.kind,
      state: r.state,
      retryCount: r.retryCount,
      nextAttemptAt: r.nextAttemptAt,
    });
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, msg, fields);
  }

  private register(addr: string | null, permanent: boolean, automatic: boolean, kind: ConnKind): ConnReq<C> {
    const req: ConnReq<C> = {
      id: ++this.nextId,
      addr,
      permanent,
      automatic,
      kind,
      state: 'pending',
      retryCount: 0,
      conn: undefined,
      timer: undefined,
      nextAttemptAt: null,
      group: null,
      dialSeq: 0,
    };
    this.reqs.set(req.id, req);
    return req;
  }

  private groupOf(addr: string): string {
    return addressGroup(addr, { allowLocal: this.opts.allowLocal === true });
  }

  private releaseGroup(req: ConnReq<C>): void {
    if (req.group === null) return;
    const n = this.groups.get(req.group) ?? 0;
    if (n <= 1) this.groups.delete(req.group);
    else this.groups.set(req.group, n - 1);
    req.group = null;
  }

  private clearTimer(req: ConnReq<C>): void {
    if (req.timer !== undefined) this.scheduler.clearTimeout(req.timer);
    req.timer = undefined;
    req.nextAttemptAt = null;
  }

  private schedule(req: ConnReq<C>, delayMs: number, fn: () => void): void {
    this.clearTimer(req);
    req.nextAttemptAt = this.clock.now() + delayMs;
    req.timer = this.scheduler.setTimeout(() => {
      req.timer = undefined;
      req.nextAttemptAt = null;
      if (this.stopped || this.reqs.get(req.id) !== req) return;
      fn();
    }, delayMs);
  }

  private cancel(req: ConnReq<C>): void {
    this.clearTimer(req);
    this.releaseGroup(req);
    req.dialSeq++;
    req.state = 'canceled';
    this.reqs.delete(req.id);
  }

  private closeConn(req: ConnReq<C>): void {
    const conn = req.conn;
    req.conn = undefined;
    try {
      conn?.close();
    } catch (err) {
      this.log('warn', 'closing a connection threw', { id: req.id, addr: req.addr, error: err });
    }
  }

  private emitDisconnection(req: ConnReq<C>): void {
    try {
      this.opts.onDisconnection?.(this.info(req));
    } catch (err) {
      this.log('error', 'onDisconnection threw', { id: req.id, error: err });
    }
  }

  /**
   * The delay before retry number `attempt` (1-based): min(attempt × base, max), jittered and
   * capped at max again so no backoff exceeds it on any path; then the address's flap tier,
   * unclipped (a peer that flaps for hours waits up to an hour, issue 20).
   */
  retryDelay(attempt: number, addr: string | null): number {
    const backoff = Math.min(Math.max(1, attempt) * this.retryBaseMs, this.retryMaxMs);
    const factor = 1 - this.jitter + 2 * this.jitter * this.random.float();
    return Math.min(this.retryMaxMs, Math.max(0, Math.round(backoff * factor))) + this.flapDelay(addr);
  }

  /** The flap tier of `addr` from the health hook; 0 when none. */
  private flapDelay(addr: string | null): number {
    if (addr === null || this.opts.reconnectDelay === undefined) return 0;
    try {
      const e = this.opts.reconnectDelay(addr);
      return Number.isFinite(e) && e > 0 ? Math.round(e) : 0;
    } catch (err) {
      this.log('warn', 'reconnectDelay threw', { addr, error: err });
      return 0;
    }
  }

  /**
   * Addresses no automatic or one-shot request may dial yet (their flap tier since they last
   * dropped or failed). The node adds them to the set selection must skip, so they cost no attempt.
   */
  heldOff(): ReadonlySet<string> {
    const now = this.clock.now();
    const out = new Set<string>();
    for (const [addr, until] of this.holdOff) {
      if (until <= now) this.holdOff.delete(addr);
      else out.add(addr);
    }
    return out;
  }

  private holdOffAddr(addr: string | null): void {
    const d = this.flapDelay(addr);
    if (addr !== null && d > 0) this.holdOff.set(addr, this.clock.now() + d);
  }

  /**
   * btcd NewConnReq: a new automatic request of `kind` for the next address, if its budget (plus
   * `extra`, for the one extra peer of setTryAnotherOutbound and startExtraBlockRelayPeers) has
   * room. The budget check here is what holds the automatic count at targetOutbound +
   * blockRelayOnly (+ one extra) whatever path asks for a replacement. Returns false when no
   * request was made.
   */
  private newConnReq(kind: 'full-relay' | 'block-relay-only', extra = 0): boolean {
    if (this.stopped || this.opts.getNewAddress === undefined) return false;
    if (this.count(kind) >= this.budget(kind) + extra) return false;
    const req = this.register(null, false, true, kind);
    let addr: string | null;
    try {
      addr = this.opts.getNewAddress(this.outboundGroups(), kind);
    } catch (err) {
      this.log('warn', 'getNewAddress threw', { error: err });
      addr = null;
    }
    if (addr === null) {
      req.state = 'failing';
      if (!this.noAddressLogged) this.log('info', 'no address to dial yet; outbound slots wait for addresses from peers');
      this.noAddressLogged = true;
      this.handleFailed(req, null);
      return true;
    }
    this.noAddressLogged = false;
    req.addr = addr;
    this.dialReq(req);
    return true;
  }

  // ---- Feelers ------------------------------------------------------------------------------

  /**
   * Core GetExponentialRand(now, FEELER_INTERVAL): feelers form a Poisson process with a 2-minute
   * mean, so an observer cannot predict when we probe.
   */
  private armFeeler(): void {
    if (this.stopped || this.opts.getFeelerAddress === undefined) return;
    const delay = Math.max(1, exponentialDelayMs(this.random, this.feelerIntervalMs));
    this.nextFeelerAt = this.clock.now() + delay;
    this.feelerTimer = this.scheduler.setTimeout(() => {
      this.feelerTimer = undefined;
      this.nextFeelerAt = null;
      if (this.stopped) return;
      this.maybeFeeler();
      this.armFeeler();
    }, delay);
  }

  // ---- Extra outbound peers -----------------------------------------------------------------

  /** Core GetExponentialRand(now, EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL). */
  private armExtraBlockRelay(): void {
    if (this.stopped) return;
    const delay = Math.max(1, exponentialDelayMs(this.random, this.extraBlockRelayIntervalMs));
    this.extraBlockRelayTimer = this.scheduler.setTimeout(() => {
      this.extraBlockRelayTimer = undefined;
      if (this.stopped) return;
      // Core ThreadOpenConnections: the extra full-relay peer of a stale tip goes first.
      if (!this.tryAnother) this.openExtra('block-relay-only');
      this.armExtraBlockRelay();
    }, delay);
  }

  /** One connection of `kind` beyond its budget, once every automatic slot is connected. */
  private openExtra(kind: 'full-relay' | 'block-relay-only'): void {
    if (!this.started || this.stopped || this.budget(kind) === 0) return;
    if (this.count('full-relay', 'established') < this.targetOutbound) return;
    if (this.count('block-relay-only', 'established') < this.blockRelayOnly) return;
    this.newConnReq(kind, 1);
  }

  /** Core: a feeler only once every automatic slot is connected, and at most MAX_FEELERS at a time. */
  private maybeFeeler(): void {
    if (this.count('full-relay', 'established') < this.targetOutbound) return;
    if (this.count('block-relay-only', 'established') < this.blockRelayOnly) return;
    if (this.count('feeler') >= MAX_FEELERS) return;
    let addr: string | null;
    try {
      addr = this.opts.getFeelerAddress!();
    } catch (err) {
      this.log('warn', 'getFeelerAddress threw', { error: err });
      return;
    }
    if (addr === null) return;
    const req = this.register(addr, false, false, 'feeler');
    this.dialReq(req);
  }

  private dialReq(req: ConnReq<C>): void {
    const addr = req.addr!;
    req.state = 'pending';
    if (req.kind === 'manual' && this.manualInUse(req) >= this.maxManual) {
      req.state = 'failing';
      this.handleFailed(req, `all ${this.maxManual} manual connection slots are in use`);
      return;
    }
    if (!req.permanent && (this.holdOff.get(addr) ?? 0) > this.clock.now()) {
      req.state = 'failing';
      this.handleFailed(req, `${addr} is held off for flapping`);
      return;
    }
    // Feelers ignore the group rule, as in Core: they only test an address and leave.
    if (!req.permanent && req.kind !== 'feeler') {
      const g = this.groupOf(addr);
      // One outbound peer per group: a sybil's many addresses in one /16 get one slot.
      if (this.groups.has(g)) {
        req.state = 'failing';
        this.handleFailed(req, `group ${g} already has an outbound peer`);
        return;
      }
      this.groups.set(g, 1);
      req.group = g;
    }
    const seq = ++req.dialSeq;
    let dialing: Promise<C>;
    try {
      dialing = Promise.resolve(this.opts.dial(addr, req.kind));
    } catch (err) {
      dialing = Promise.reject(err);
    }
    dialing.then(
      (conn) => this.onDialed(req, seq, conn),
      (err: unknown) => this.onDialFailed(req, seq, err),
    );
  }

  /** Manual requests other than `req` that hold a slot (dialling or connected). */
  private manualInUse(req: ConnReq<C>): number {
    let n = 0;
    for (const r of this.reqs.values()) if (r !== req && r.kind === 'manual' && (r.state === 'pending' || r.state === 'established')) n++;
    return n;
  }

  private isCurrent(req: ConnReq<C>, seq: number): boolean {
    return !this.stopped && this.reqs.get(req.id) === req && req.dialSeq === seq && req.state === 'pending';
  }

  private onDialed(req: ConnReq<C>, seq: number, conn: C): void {
    if (!this.isCurrent(req, seq)) {
      // Canceled or stopped while dialling: nobody owns this socket, close it.
      try {
        conn.close();
      } catch {
        // already closed
      }
      return;
    }
    req.state = 'established';
    req.conn = conn;
    req.retryCount = 0;
    this.failedAttempts = 0;
    try {
      this.opts.onConnection?.(this.info(req), conn);
    } catch (err) {
      this.log('error', 'onConnection threw', { id: req.id, error: err });
    }
  }

  private onDialFailed(req: ConnReq<C>, seq: number, err: unknown): void {
    if (!this.isCurrent(req, seq)) return;
    this.releaseGroup(req);
    req.state = 'failing';
    this.handleFailed(req, err);
  }

  /** btcd handleFailedConn, with the cap applied on every path. `why` null: the caller logged it. */
  private handleFailed(req: ConnReq<C>, why: unknown, dropped = false): void {
    if (this.stopped) return;
    // A real failure or drop starts the address's hold-off (not a refusal we made without dialling).
    if (!req.permanent && req.kind !== 'feeler' && (dropped || req.dialSeq > 0)) this.holdOffAddr(req.addr);
    if (why !== null) this.log('debug', 'connection attempt failed', { id: req.id, addr: req.addr, error: why });
    if (req.permanent) {
      req.retryCount++;
      const delay = this.retryDelay(req.retryCount, req.addr);
      this.schedule(req, delay, () => this.dialReq(req));
      return;
    }
    if (req.kind === 'feeler' || (!req.automatic && !dropped)) {
      // A feeler, or a one-shot connect() that failed: nothing to retry.
      req.state = 'disconnected';
      this.reqs.delete(req.id);
      return;
    }
    // A dropped one-shot manual peer is replaced by a full-relay request; an automatic one by its own kind.
    const kind = req.kind === 'block-relay-only' ? 'block-relay-only' : 'full-relay';
    // A dropped non-permanent peer is replaced by an automatic request (btcd), if we have addresses.
    if (this.opts.getNewAddress === undefined) {
      req.state = 'disconnected';
      this.reqs.delete(req.id);
      return;
    }
    this.failedAttempts++;
    if (this.failedAttempts >= MAX_FAILED_ATTEMPTS) {
      // A dead network (or an address book of dead entries) must not become a dial storm.
      const delay = this.retryDelay(1, null);
      req.state = 'failing';
      this.schedule(req, delay, () => {
        this.reqs.delete(req.id);
        req.state = 'disconnected';
        this.newConnReq(kind);
      });
      return;
    }
    this.reqs.delete(req.id);
    req.state = 'disconnected';
    this.newConnReq(kind);
  }
}
