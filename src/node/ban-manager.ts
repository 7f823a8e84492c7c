/**
 * Misbehaviour scores and bans. Scores live in the WASM ban table (btcd's decaying score, one slot
 * per connection); offences and their points come from src/ban/ban-policy.ts; bans are by IP or
 * subnet with an absolute expiry, kept in the durable state so they survive restarts.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { ConfigError, StoreError } from '../errors.js';
import type { StateChange } from '../persist/state-model.js';
import { BanList } from '../ban/ban-list.js';
import { formatCidr, parseCidr } from '../util/ip.js';
import { decideOffence, scoreOffence } from '../ban/ban-policy.js';
import type { OffenceId, Verdict } from '../ban/ban-policy.js';
import { BanTable } from '../wasm/ban-table.js';
import type { BanInfo, RelayConfig } from '../types.js';
import type { DurableState } from './durable-state.js';

export interface OffenceOutcome {
  readonly score: number;
  readonly verdict: Verdict | 'exempt';
  /** Close the connection (the offence says so, or the peer was banned). */
  readonly disconnect: boolean;
}

export class BanManager {
  private readonly table = new BanTable<number>();
  private list: BanList;

  constructor(
    private readonly config: RelayConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly durable: DurableState,
  ) {
    this.list = new BanList({ clock });
    for (const w of config.whitelist) this.list.whitelist(w);
  }

  /** Loads bans from the durable state (expired ones are dropped). */
  load(): void {
    const bans = Object.entries(this.durable.bans()).map(([target, b]) => ({
      target,
      expiresAt: b.until,
      reason: b.reason,
      createdAt: b.createdAt,
    }));
    this.list = BanList.fromJSON({ version: 1, bans, whitelist: [...this.config.whitelist] }, { clock: this.clock });
  }

  isBanned(ip: string): boolean {
    return this.list.isBanned(ip);
  }

  isWhitelisted(ip: string): boolean {
    return this.list.isWhitelisted(ip);
  }

  score(peerId: number): number {
    return this.table.has(peerId) ? this.table.score(peerId, this.nowSec()) : 0;
  }

  /** Frees a closed connection's score slot. */
  release(peerId: number): void {
    this.table.release(peerId);
  }

  /**
   * Scores an offence of a peer. Whitelisted peers are exempt (they are still disconnected when the
   * offence itself calls for it, e.g. a wrong magic: their stream cannot be read either way).
   */
  offence(peerId: number, ip: string, id: OffenceId, count = 1): OffenceOutcome {
    const pts = scoreOffence(id, count);
    // Most getdata messages cost nothing (btcd: ≤ 505 items): skip the whitelist and table lookups.
    if (pts.persistent === 0 && pts.transient === 0 && !pts.instantBan && !pts.disconnect) {
      return { score: this.score(peerId), verdict: 'ok', disconnect: false };
    }
    if (this.list.isWhitelisted(ip)) return { score: this.score(peerId), verdict: 'exempt', disconnect: pts.disconnect };
    const score =
      pts.persistent === 0 && pts.transient === 0
        ? this.score(peerId)
        : this.table.increase(peerId, pts.persistent, pts.transient, this.nowSec());
    const verdict = decideOffence(id, score, this.config.banThreshold);
    return { score, verdict, disconnect: pts.disconnect || verdict === 'ban' };
  }

  /**
   * Bans an IP or subnet. Durable first: the ban takes effect once its commit succeeds; when the
   * commit fails nothing changes and the error (ERR_STORE_IO) says why.
   */
  async ban(target: string, durationMs: number, reason: string): Promise<BanInfo> {
    const entry = this.list.entryFor(target, durationMs, reason);
    await this.commitOrExplain(`ban of ${entry.target}`, { type: 'ban', key: entry.target, until: entry.expiresAt, reason: entry.reason, createdAt: entry.createdAt });
    this.list.add(entry);
    this.log.info('banned', { target: entry.target, until: new Date(entry.expiresAt).toISOString(), reason });
    return { target: entry.target, createdAt: entry.createdAt, until: entry.expiresAt, reason: entry.reason };
  }

  /** Removes a ban once the removal is durable (true); false if there was none. Durable first, like ban(). */
  async unban(target: string): Promise<boolean> {
    const cidr = parseCidr(target);
    if (cidr === null) throw new ConfigError(`not an IP address or CIDR range: "${target}"`, { target });
    const canonical = formatCidr(cidr);
    if (!this.list.has(canonical)) return false;
    await this.commitOrExplain(`unban of ${canonical}`, { type: 'unban', key: canonical });
    this.list.unban(canonical);
    this.log.info('unbanned', { target: canonical });
    return true;
  }

  private async commitOrExplain(what: string, change: StateChange): Promise<void> {
    try {
      await this.durable.commit(change);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      throw new StoreError(err.code, `${what} not applied: the state could not be saved (${err.message}); nothing changed`, { ...err.details, change: change.type }, { cause: err });
    }
  }

  entries(): BanInfo[] {
    return this.list.list().map((b) => ({ target: b.target, createdAt: b.createdAt, until: b.expiresAt, reason: b.reason }));
  }

  private nowSec(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

