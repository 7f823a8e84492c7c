/**
 * Sends committed changes to the backup, reconciles versions on (re)connect and applies the policy
 * for an unreachable backup:
 *
 *  - `buffer` (default, bound 10,000 changes): a commit is acknowledged once it is fsynced locally
 *    and at most `maxChanges` changes are waiting for the backup. While the backup is down the node
 *    keeps running; past the bound, commits wait until the backup catches up. The unsent changes
 *    are in the local log, so a restart catches up too.
 *  - `stop`: a commit is acknowledged only once the backup has it. While the backup is down,
 *    commits wait (the node stops changing state) and reconnection continues with back-off.
 *
 * Neither policy exits the process: a node that exits is restarted by its supervisor into the same
 * unreachable backup (lightningd/plugins#473, #189).
 */
import { StoreError } from '../../errors.js';
import { errText, LogFn } from '../logger.js';
import type { LogRecord } from '../state-log.js';
import type { BackupBackend } from './backend.js';
import { LocalPosition, reconcile } from './reconcile.js';

export type BackupPolicy = { mode: 'stop' } | { mode: 'buffer'; maxChanges: number };
export const DEFAULT_BACKUP_POLICY: BackupPolicy = { mode: 'buffer', maxChanges: 10_000 };

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}
/** CLN starts at 5 s ×1.5 with 5 tries, then kills the node; we keep trying, capped at a minute. */
export const DEFAULT_RETRY: RetryOptions = { initialMs: 1_000, maxMs: 60_000, factor: 1.5 };

/** What the replicator needs from the store. */
export interface LocalSource {
  position(): LocalPosition;
  recordsAfter(version: number): LogRecord[];
  seedRecords(): LogRecord[];
}

export type ReplicatorStatus = 'connecting' | 'ok' | 'down' | 'failed';

/** Largest number of records per append round trip. */
const SEND_BATCH = 512;

export class Replicator {
  status: ReplicatorStatus = 'connecting';
  acked = 0;
  private queue: LogRecord[] = [];
  private waiters: Array<{ version: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private failure: StoreError | null = null;
  private pumping: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private delay: number;
  private closed = false;

  constructor(
    readonly backend: BackupBackend,
    readonly policy: BackupPolicy,
    private readonly source: LocalSource,
    private readonly log: LogFn,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
  ) {
    this.delay = retry.initialMs;
  }

  /** Highest version a commit may be ahead of the backup before it waits. */
  get window(): number {
    return this.policy.mode === 'stop' ? 0 : this.policy.maxChanges;
  }

  get pending(): number {
    return this.queue.filter((r) => r.version > this.acked).length;
  }

  /**
   * Connects and reconciles. Throws ERR_BACKUP_MISMATCH when the versions cannot be reconciled, and
   * ERR_BACKUP_UNREACHABLE under the `stop` policy when the backup cannot be reached.
   */
  async start(): Promise<void> {
    try {
      await this.backend.connect();
      await this.reconcileNow();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_BACKUP_UNREACHABLE') throw err;
      if (this.policy.mode === 'stop') {
        throw new StoreError('ERR_BACKUP_UNREACHABLE', `${(err as Error).message}; the backup policy is "stop", so the node does not start without its backup. Start the backup server, or use --backup-policy buffer to run and catch up later.`, { url: this.backend.url }, { cause: err });
      }
      this.goDown(err as Error);
    }
  }

  private async reconcileNow(): Promise<void> {
    const meta = await this.backend.metadata();
    const pos = this.source.position();
    const d = reconcile(pos, meta, this.backend.url);
    switch (d.action) {
      case 'equal':
        this.acked = pos.version;
        this.queue = [];
        break;
      case 'seed':
        this.log('info', 'backup is empty: seeding it with a snapshot of the local state', { url: this.backend.url, version: pos.version });
        await this.backend.replace(this.source.seedRecords());
        this.acked = pos.version;
        this.queue = this.source.recordsAfter(pos.version);
        break;
      case 'rewind-backup':
        this.log('warn', 'backup held one change the local log does not: rewinding it on the backup', { url: this.backend.url, backup: meta.version, local: pos.version });
        await this.backend.rewind(d.target);
        this.acked = d.target;
        this.queue = this.source.recordsAfter(d.target);
        break;
      case 'catch-up':
        if (d.count > 0) this.log('warn', 'backup is behind the local log: resending the missing changes', { url: this.backend.url, backup: meta.version, local: pos.version, count: d.count });
        this.acked = meta.version;
        this.queue = this.source.recordsAfter(meta.version);
        break;
      case 'refuse': {
        const err = new StoreError('ERR_BACKUP_MISMATCH', d.message, { url: this.backend.url, side: d.side, local: pos.version, backup: meta.version });
        this.fail(err);
        throw err;
      }
    }
    this.status = 'ok';
    this.delay = this.retry.initialMs;
    this.notify();
    this.kick();
  }

  enqueue(records: readonly LogRecord[]): void {
    if (this.status === 'failed') return;
    this.queue.push(...records);
    this.kick();
  }

  /** Resolves once the backup holds `version` (or immediately for versions <= 0). */
  waitAcked(version: number): Promise<void> {
    if (version <= this.acked) return Promise.resolve();
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ version, resolve, reject }));
  }

  private notify(): void {
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.version <= this.acked) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private kick(): void {
    if (this.pumping === null && this.status === 'ok') this.pumping = this.pump().finally(() => (this.pumping = null));
  }

  private async pump(): Promise<void> {
    while (this.status === 'ok' && !this.closed) {
      let i = 0;
      while (i < this.queue.length && this.queue[i]!.version <= this.acked) i++;
      if (i > 0) this.queue.splice(0, i);
      if (this.queue.length === 0) return;
      const batch = this.queue.slice(0, SEND_BATCH);
      try {
        await this.backend.append(batch);
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BACKUP_UNREACHABLE') this.goDown(err as Error);
        else this.fail(new StoreError('ERR_BACKUP_MISMATCH', `backup ${this.backend.url} refused changes ${batch[0]!.version}..${batch[batch.length - 1]!.version}: ${errText(err)}`, { url: this.backend.url }));
        return;
      }
      this.acked = Math.max(this.acked, batch[batch.length - 1]!.version);
      this.notify();
    }
  }

  private goDown(err: Error): void {
    if (this.closed || this.status === 'failed') return;
    this.status = 'down';
    this.log('error', 'backup unreachable; retrying', { url: this.backend.url, error: errText(err), retryInMs: Math.round(this.delay), policy: this.policy.mode, waiting: this.pending });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.reconnect();
    }, this.delay);
    this.delay = Math.min(this.retry.maxMs, this.delay * this.retry.factor);
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    this.status = 'connecting';
    try {
      await this.backend.connect();
      await this.reconcileNow();
      this.log('info', 'backup reachable again', { url: this.backend.url, acked: this.acked });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BACKUP_UNREACHABLE') this.goDown(err as Error);
      else if ((this.status as ReplicatorStatus) !== 'failed') this.fail(err as StoreError);
    }
  }

  private fail(err: StoreError): void {
    this.status = 'failed';
    this.failure = err;
    this.log('error', 'backup stopped: versions cannot be reconciled', { url: this.backend.url, error: err.message });
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(err);
  }

  /** Follows a local rewind to `target`. A backup that is down is fixed by reconciliation later. */
  async rewindTo(target: number): Promise<void> {
    await this.pumping;
    this.queue = this.queue.filter((r) => r.version <= target);
    if (this.acked > target && this.status === 'ok') {
      try {
        await this.backend.rewind(target);
        this.acked = target;
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BACKUP_UNREACHABLE') this.goDown(err as Error);
        else throw err;
      }
    } else if (this.acked > target) {
      // Reconnection will find the backup one ahead and rewind it there.
      this.acked = target;
    }
  }

  /** Tries to deliver what is queued for up to `timeoutMs`, then disconnects. */
  async close(timeoutMs: number): Promise<void> {
    if (this.status === 'ok' && this.pending > 0) {
      const last = this.queue[this.queue.length - 1]!.version;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([this.waitAcked(last).catch(() => undefined), new Promise<void>((r) => (t = setTimeout(r, timeoutMs)))]);
      clearTimeout(t);
    }
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    await this.pumping?.catch(() => undefined);
    const err = new StoreError('ERR_BACKUP_UNREACHABLE', 'state store closed');
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
    await this.backend.close();
  }
}
