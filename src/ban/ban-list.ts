/**
 * Bans and the whitelist. A ban names an IP (never IP:port: a banned host must not come back on
 * another port) or a CIDR subnet, IPv4 or IPv6, with an absolute expiry in Unix ms so it means
 * the same after a restart (hsd#216, Core banlist). Expired entries are dropped lazily when
 * looked at. The whitelist wins over bans: a whitelisted address is never reported as banned
 * (Core's "noban"). Nothing is whitelisted by default, not even loopback: a local process is not
 * automatically trustworthy.
 */
import { systemClock, type Clock } from '../clock.js';
import { ConfigError, StoreError } from '../errors.js';
import { parseIpPort } from '../util/host-port.js';
import { cidrContains, formatCidr, parseCidr, parseIp, type Cidr, type Ip16 } from '../util/ip.js';

/** Version of the toJSON() object. */
export const BAN_LIST_VERSION = 1;

export interface BanEntry {
  /** Canonical target: "1.2.3.4", "2001:db8::1", "10.0.0.0/8", "2001:db8::/32". */
  readonly target: string;
  /** Unix ms after which the ban no longer applies. */
  readonly expiresAt: number;
  readonly reason: string;
  /** Unix ms; null for an entry saved before creation times were kept. */
  readonly createdAt: number | null;
}

/** An entry made now, which always has its creation time. */
export type StampedBanEntry = BanEntry & { readonly createdAt: number };

export interface BanListJSON {
  version: 1;
  bans: BanEntry[];
  whitelist: string[];
}

interface Rule {
  readonly cidr: Cidr;
  readonly entry: BanEntry;
}

/** Accepts "1.2.3.4", "1.2.3.4:8333", "[::1]:8333", "::1". */
function ipOf(text: string): Ip16 | null {
  return parseIp(text) ?? parseIpPort(text)?.ip ?? null;
}

function targetOf(text: string): Cidr {
  const c = parseCidr(text);
  if (c === null) throw new ConfigError(`not an IP address or CIDR range: "${text}"`, { target: text });
  return c;
}

export class BanList {
  private readonly clock: Clock;
  /** Keyed by canonical target. Host bans are few and subnets fewer; a linear scan is fine. */
  private readonly bans = new Map<string, Rule>();
  private readonly whitelisted = new Map<string, Cidr>();

  constructor(opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Bans an IP or subnet for `durationMs` from now, replacing any ban of the same target.
   * Throws ConfigError for a malformed target or a non-positive duration.
   */
  ban(target: string, durationMs: number, reason: string): StampedBanEntry {
    return this.add(this.entryFor(target, durationMs, reason));
  }

  /**
   * The entry ban() would add, without adding it: a caller that must make the ban durable first
   * commits this, then add()s it. Throws ConfigError like ban().
   */
  entryFor(target: string, durationMs: number, reason: string): StampedBanEntry {
    const cidr = targetOf(target);
    if (!(durationMs > 0) || !Number.isFinite(durationMs)) {
      throw new ConfigError(`ban duration must be a positive number of ms, got ${durationMs}`, { durationMs });
    }
    const now = this.clock.now();
    return Object.freeze({ target: formatCidr(cidr), expiresAt: now + durationMs, reason, createdAt: now });
  }

  /** Adds an entry made by entryFor(), replacing any ban of the same target. */
  add<E extends BanEntry>(entry: E): E {
    this.bans.set(entry.target, { cidr: targetOf(entry.target), entry });
    return entry;
  }

  /** True when exactly this target (canonical form) is banned now. */
  has(target: string, now: number = this.clock.now()): boolean {
    const rule = this.bans.get(formatCidr(targetOf(target)));
    return rule !== undefined && rule.entry.expiresAt > now;
  }

  /** Lifts the ban of exactly this target ("10.0.0.0/8" does not lift "10.1.2.3"); true if one existed. */
  unban(target: string): boolean {
    return this.bans.delete(formatCidr(targetOf(target)));
  }

  /** The ban that applies to `ip` (an IP or HOST:PORT) at `now`, if any, ignoring the whitelist. */
  findBan(ip: string, now: number = this.clock.now()): BanEntry | undefined {
    const addr = ipOf(ip);
    if (addr === null) return undefined;
    let found: BanEntry | undefined;
    for (const [key, rule] of this.bans) {
      if (rule.entry.expiresAt <= now) {
        this.bans.delete(key);
        continue;
      }
      if (found === undefined && cidrContains(rule.cidr, addr)) found = rule.entry;
    }
    return found;
  }

  /** True when `ip` (an IP or HOST:PORT) is banned at `now` and not whitelisted. */
  isBanned(ip: string, now: number = this.clock.now()): boolean {
    if (this.isWhitelisted(ip)) return false;
    return this.findBan(ip, now) !== undefined;
  }

  /** Live bans, soonest expiry first. */
  list(now: number = this.clock.now()): BanEntry[] {
    for (const [key, rule] of this.bans) if (rule.entry.expiresAt <= now) this.bans.delete(key);
    return [...this.bans.values()].map((r) => r.entry).sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** Whitelists an IP or subnet. Throws ConfigError for a malformed target. */
  whitelist(target: string): void {
    const c = targetOf(target);
    this.whitelisted.set(formatCidr(c), c);
  }

  unwhitelist(target: string): boolean {
    return this.whitelisted.delete(formatCidr(targetOf(target)));
  }

  /** True when `ip` (an IP or HOST:PORT) lies in a whitelisted range. */
  isWhitelisted(ip: string): boolean {
    const addr = ipOf(ip);
    if (addr === null) return false;
    for (const c of this.whitelisted.values()) if (cidrContains(c, addr)) return true;
    return false;
  }

  whitelistEntries(): string[] {
    return [...this.whitelisted.keys()];
  }

  toJSON(): BanListJSON {
    return {
      version: BAN_LIST_VERSION,
      bans: [...this.bans.values()].map((r) => ({ ...r.entry })),
      whitelist: this.whitelistEntries(),
    };
  }

  /**
   * Rebuilds a list from toJSON() output; bans already expired are dropped. Throws StoreError
   * (ERR_STORE_VERSION, ERR_STORE_CORRUPT).
   */
  static fromJSON(obj: unknown, opts: { clock?: Clock } = {}): BanList {
    const corrupt = (msg: string): StoreError => new StoreError('ERR_STORE_CORRUPT', `ban list: ${msg}`);
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw corrupt('not a JSON object');
    const o = obj as Record<string, unknown>;
    if (o.version !== BAN_LIST_VERSION) {
      throw new StoreError('ERR_STORE_VERSION', `ban list: unknown version ${String(o.version)}`, { version: o.version });
    }
    if (!Array.isArray(o.bans) || !Array.isArray(o.whitelist)) throw corrupt('bans and whitelist must be arrays');
    const list = new BanList(opts);
    const now = list.clock.now();
    o.bans.forEach((b: unknown, i) => {
      if (typeof b !== 'object' || b === null) throw corrupt(`bans[${i}] is not an object`);
      const e = b as Record<string, unknown>;
      const cidr = typeof e.target === 'string' ? parseCidr(e.target) : null;
      if (cidr === null) throw corrupt(`bans[${i}].target is not an IP or CIDR`);
      if (typeof e.expiresAt !== 'number' || !Number.isFinite(e.expiresAt)) throw corrupt(`bans[${i}].expiresAt is not a time`);
      // Creation time and reason may be absent in entries written before they were kept.
      if (e.createdAt !== undefined && e.createdAt !== null && (typeof e.createdAt !== 'number' || !Number.isFinite(e.createdAt))) {
        throw corrupt(`bans[${i}].createdAt is not a time`);
      }
      if (e.reason !== undefined && typeof e.reason !== 'string') throw corrupt(`bans[${i}].reason is not a string`);
      if (e.expiresAt <= now) return;
      const entry: BanEntry = Object.freeze({
        target: formatCidr(cidr),
        expiresAt: e.expiresAt,
        reason: typeof e.reason === 'string' ? e.reason : '',
        createdAt: typeof e.createdAt === 'number' ? e.createdAt : null,
      });
      list.bans.set(entry.target, { cidr, entry });
    });
    o.whitelist.forEach((w: unknown, i) => {
      const c = typeof w === 'string' ? parseCidr(w) : null;
      if (c === null) throw corrupt(`whitelist[${i}] is not an IP or CIDR`);
      list.whitelisted.set(formatCidr(c), c);
    });
    return list;
  }
}
