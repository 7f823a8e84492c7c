/**
 * Outbound connection bookkeeping after btcd connmgr (btcd connmgr/connmanager.go): keep `targetOutbound`
 * peers, retry permanent peers forever with a growing, jittered, capped delay, throttle after a
 * run of failures, and ration outbound peers to one per network group. Inbound slots are kept
 * apart (src/conn/inbound-policy.ts), so inbound peers can never take our outbound slots
 * (lnd#9874). No sockets here: `dial`, addresses, time and timers are injected.
 *
 * Deliberate differences from btcd (docs/addresses-and-connections.md):
 * - every scheduled delay is ≤ retryMax, on every path, and retryMax is configurable (lnd#9294);
 * - delays carry ±jitter so many nodes restarting together do not redial in lockstep;
 * - a failed automatic request is removed before its replacement is made (btcd leaves it in
 *   its pending map forever);
 * - a failed one-shot manual connect is dropped; btcd replaces it with an automatic request,
 *   which lets the outbound count creep above target;
 * - stop() closes established connections and reports them through onDisconnection.
 */
import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { addressGroup } from '../util/ip.js';
import { cryptoRandom, type Random } from '../util/random.js';

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

/** A snapshot of one connection request. */
export interface ConnReqInfo {
  readonly id: number;
  /** Null while an automatic request waits for an address. */
  readonly addr: string | null;
  readonly permanent: boolean;
  /** True when the manager made it to fill a target slot (not connect()). */
  readonly automatic: boolean;
  readonly state: ConnState;
  /** Failed attempts since the last success (permanent requests). */
  readonly retryCount: number;
  /** Unix ms of the next scheduled attempt, if one is scheduled. */
  readonly nextAttemptAt: number | null;
}

export type ConnLogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface ConnManagerOptions<C extends Connection> {
  /** Opens an outbound connection; rejects on failure. Its own timeout is the caller's. */
  readonly dial: (addr: string) => Promise<C>;
  /**
   * The next address for an automatic slot, or null if none. Receives the groups already used
   * by outbound peers (pass them to AddrManager.selectOutbound as excludeGroups).
   */
  readonly getNewAddress?: (excludeGroups: ReadonlySet<string>) => string | null;
  readonly clock?: Clock;
  readonly scheduler?: TimerScheduler;
  /** Jitter source. */
  readonly random?: Random;
  readonly targetOutbound?: number;
  readonly retryBaseMs?: number;
  /** Upper bound of every delay the manager schedules. */
  readonly retryMaxMs?: number;
  readonly jitter?: number;
  /** Same meaning as AddrManagerOptions.allowLocal: local addresses are each their own group. */
  readonly allowLocal?: boolean;
  /** Extra delay before redialling `addr` (peer health's flap tier). The total is still ≤ retryMaxMs. */
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

  constructor(opts: ConnManagerOptions<C>) {
    if (typeof opts.dial !== 'function') throw new ConfigError('ConnManager: dial must be a function');
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.scheduler = opts.scheduler ?? systemScheduler;
    this.random = opts.random ?? cryptoRandom;
    this.targetOutbound = positive('targetOutbound', opts.targetOutbound, DEFAULT_TARGET_OUTBOUND, true);
    this.retryBaseMs = positive('retryBaseMs', opts.retryBaseMs, DEFAULT_RETRY_BASE_MS);
    this.retryMaxMs = positive('retryMaxMs', opts.retryMaxMs, DEFAULT_RETRY_MAX_MS);
    this.jitter = positive('jitter', opts.jitter, DEFAULT_JITTER, true);
    if (this.jitter >= 1) throw new ConfigError(`jitter must be below 1, got ${this.jitter}`);
    if (!Number.isInteger(this.targetOutbound)) throw new ConfigError(`targetOutbound must be an integer, got ${this.targetOutbound}`);
  }

  // ---- Lifecycle ----------------------------------------------------------------------------

  /** Starts filling the automatic outbound slots. Idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (let i = 0; i < this.targetOutbound; i++) this.newConnReq();
  }

  /**
   * Cancels every timer and pending dial, closes established connections (reporting each through
   * onDisconnection) and refuses further work. A dial that completes later is closed.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
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
   * Dials `addr` now. A permanent request is redialled after every failure or drop, forever,
   * and is exempt from the one-per-group rule. A one-shot request into a group that already has
   * an outbound peer fails at once. Returns the request id.
   */
  connect(addr: string, opts: { permanent?: boolean } = {}): number {
    if (this.stopped) return ++this.nextId; // an id that names nothing: a stopped manager dials no one
    const req = this.register(addr, opts.permanent === true, false);
    this.dialReq(req);
    return req.id;
  }

  /**
   * The connection (or attempt) `id` is gone (btcd Disconnect): a pending attempt is canceled;
   * an established one is closed and reported, then replaced or retried (permanent peers
   * always; others while below target). `redialNow`: dial the same address again at once, with
   * no back-off (a v2 dial that found a v1-only peer, redialled with v1 as Core does). Returns
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
    if (req.permanent || this.outboundCount() < this.targetOutbound) {
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
      state: r.state,
      retryCount: r.retryCount,
      nextAttemptAt: r.nextAttemptAt,
    });
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, msg, fields);
  }

  private register(addr: string | null, permanent: boolean, automatic: boolean): ConnReq<C> {
    const req: ConnReq<C> = {
      id: ++this.nextId,
      addr,
      permanent,
      automatic,
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
   * The delay before retry number `attempt` (1-based): min(attempt × base, max) plus the health
   * hook's extra, jittered, then capped at max again so no path can exceed it.
   */
  retryDelay(attempt: number, addr: string | null): number {
    const backoff = Math.min(Math.max(1, attempt) * this.retryBaseMs, this.retryMaxMs);
    let extra = 0;
    if (addr !== null && this.opts.reconnectDelay !== undefined) {
      try {
        const e = this.opts.reconnectDelay(addr);
        if (Number.isFinite(e) && e > 0) extra = e;
      } catch (err) {
        this.log('warn', 'reconnectDelay threw', { addr, error: err });
      }
    }
    const factor = 1 - this.jitter + 2 * this.jitter * this.random.float();
    return Math.min(this.retryMaxMs, Math.max(0, Math.round((backoff + extra) * factor)));
  }

  /** btcd NewConnReq: a new automatic request for the next address. */
  private newConnReq(): void {
    if (this.stopped || this.opts.getNewAddress === undefined) return;
    const req = this.register(null, false, true);
    let addr: string | null;
    try {
      addr = this.opts.getNewAddress(this.outboundGroups());
    } catch (err) {
      this.log('warn', 'getNewAddress threw', { error: err });
      addr = null;
    }
    if (addr === null) {
      req.state = 'failing';
      if (!this.noAddressLogged) this.log('info', 'no address to dial yet; outbound slots wait for addresses from peers');
      this.noAddressLogged = true;
      this.handleFailed(req, null);
      return;
    }
    this.noAddressLogged = false;
    req.addr = addr;
    this.dialReq(req);
  }

  private dialReq(req: ConnReq<C>): void {
    const addr = req.addr!;
    req.state = 'pending';
    if (!req.permanent) {
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
      dialing = Promise.resolve(this.opts.dial(addr));
    } catch (err) {
      dialing = Promise.reject(err);
    }
    dialing.then(
      (conn) => this.onDialed(req, seq, conn),
      (err: unknown) => this.onDialFailed(req, seq, err),
    );
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
    if (why !== null) this.log('debug', 'connection attempt failed', { id: req.id, addr: req.addr, error: why });
    if (req.permanent) {
      req.retryCount++;
      const delay = this.retryDelay(req.retryCount, req.addr);
      this.schedule(req, delay, () => this.dialReq(req));
      return;
    }
    if (!req.automatic && !dropped) {
      // A one-shot connect() that failed: nothing to retry.
      req.state = 'disconnected';
      this.reqs.delete(req.id);
      return;
    }
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
        this.newConnReq();
      });
      return;
    }
    this.reqs.delete(req.id);
    req.state = 'disconnected';
    this.newConnReq();
  }
}
