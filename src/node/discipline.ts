/**
 * Punishment: peer offences scored into ban verdicts, and bans carried out. The one place that
 * turns "this peer misbehaved" into a warning, a disconnect or a durable ban; BanManager keeps the
 * scores and the ban list, this decides what happens to connections.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import type { RelayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OffenceId } from '../ban/ban-policy.js';
import { FRAME_ERROR_CODES } from '../metrics/metrics.js';
import type { FrameErrorCode, RelayMetrics } from '../metrics/metrics.js';
import type { Peer } from '../peer/peer.js';
import { hostOf } from '../util/host-port.js';
import type { BanManager } from './ban-manager.js';
import type { PeerRegistry } from './peer-registry.js';
import type { BanInfo, RelayConfig, RelayEvents } from '../types.js';

export class Discipline {
  constructor(
    private readonly config: RelayConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly banMgr: BanManager,
    private readonly registry: PeerRegistry,
    private readonly metrics: RelayMetrics,
    private readonly events: EventEmitter<RelayEvents>,
  ) {}

  /** A transport or decode error (frame errors counted by code) and its offence, if any. */
  onOffence(peer: Peer, id: OffenceId | null, err: RelayError | null, why: string): void {
    if (err !== null && (FRAME_ERROR_CODES as readonly string[]).includes(err.code)) this.metrics.frameError(err.code as FrameErrorCode);
    if (id === null) return;
    this.punish(peer, id, 1, why);
  }

  /** Scores `count` offences; warns, disconnects or bans as the policy says. Mesh peers are trusted. */
  punish(peer: Peer, id: OffenceId, count: number, why: string): void {
    if (peer.mesh) return;
    const ip = hostOf(peer.addr);
    const outcome = this.banMgr.offence(peer.id, ip, id, count);
    if (outcome.verdict === 'ok' && !outcome.disconnect && outcome.score === peer.banScore) return;
    peer.banScore = outcome.score;
    this.metrics.banScore(outcome.score);
    if (outcome.verdict === 'warn') this.log.warn('peer misbehaving', { peer: peer.addr, offence: id, score: outcome.score });
    if (outcome.verdict === 'ban') {
      peer.destroy('banned');
      void this.ban(ip, { reason: `${id}: ${why}` }).then(
        () => this.events.emit('peerBan', { addr: peer.addr, target: ip, createdAt: this.clock.now(), until: this.clock.now() + this.config.banDurationMs, reason: id }),
        (err: unknown) => this.log.error('recording a ban failed', { err }),
      );
      return;
    }
    if (outcome.disconnect) peer.close('protocol');
  }

  /** Bans durably (resolves once fsynced), then disconnects every peer the ban covers. */
  async ban(target: string, opts: { durationMs?: number; reason?: string } = {}): Promise<void> {
    await this.banMgr.ban(target, opts.durationMs ?? this.config.banDurationMs, opts.reason ?? 'manual');
    this.metrics.banned();
    this.metrics.setActiveBans(this.banMgr.entries().length);
    for (const p of this.registry.list()) {
      if (this.banMgr.isBanned(hostOf(p.addr))) p.destroy('banned');
    }
  }

  async unban(target: string): Promise<boolean> {
    const removed = await this.banMgr.unban(target);
    this.metrics.setActiveBans(this.banMgr.entries().length);
    return removed;
  }

  bans(): BanInfo[] {
    return this.banMgr.entries();
  }
}
