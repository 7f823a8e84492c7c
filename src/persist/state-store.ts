/**
 * The node's durable state: an in-memory model that changes only through versioned changes written
 * to `<dataDir>/state.log`. `commit` resolves once the change is fsynced (and, per the backup policy,
 * held by the backup); concurrent commits share one fsync (group commit). `state` only ever shows
 * durable changes.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { Clock, systemClock } from '../clock.js';
import { installFile } from './atomic-file.js';
import { COMPACT_SUFFIX, compactInWorker, CompactProgress, CompactStats } from './compaction.js';
import { FileOps, realFileOps } from './file-ops.js';
import { errText, LogFn, stderrLog } from './logger.js';
import { entryCrc, entryEnd, LogFile, LogRecord, rebuildState, readEntryAt, recordsOf, entryPayload } from './state-log.js';
import { applyChange, encodeChange, encodeSnapshot, NodeState, StateChange, Undo, validateChange } from './state-model.js';
import { openBackend } from './backup/open-backend.js';
import { BackupPolicy, DEFAULT_BACKUP_POLICY, DEFAULT_RETRY, Replicator, RetryOptions } from './backup/replicator.js';
import type { LocalPosition } from './backup/reconcile.js';

export const STATE_LOG_NAME = 'state.log';
export const LOCK_NAME = 'state.lock';
/** Upper bound on changes per fsync: keeps one write and one header update reasonably sized. */
const MAX_BATCH = 4096;

export interface StateStoreOptions {
  /** `file:///path` or `socket://HOST:PORT`. */
  backup?: string;
  backupPolicy?: BackupPolicy;
  backupRetry?: RetryOptions;
  /** How long close() waits for the backup to take queued changes (ms). */
  backupCloseTimeoutMs?: number;
  clock?: Clock;
  log?: LogFn;
  ops?: FileOps;
}

export interface CompactResult extends CompactStats {
  /** Entries written while the compaction ran, carried over into the new file. */
  carried: number;
  ms: number;
}

interface Pending {
  change: StateChange;
  payload: Buffer;
  resolve: (v: number) => void;
  reject: (e: Error) => void;
}

/** Serialises the steps that move the log's write offset: appends, the compaction swap, rewind. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.tail.then(fn);
    this.tail = r.then(
      () => undefined,
      () => undefined,
    );
    return r;
  }
}

/** Takes the data directory's lock file (refusing while a live process holds it); returns its path. */
export async function takeLock(dir: string, ops: FileOps): Promise<string> {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const f = await ops.open(path, 'wx');
      await f.write(Buffer.from(`${process.pid}\n`), 0);
      await f.close();
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fsp.readFile(path, 'utf8').catch(() => '')).trim());
      let alive = false;
      if (pid === process.pid) alive = true;
      else if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (e) {
          alive = (e as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) throw new StoreError('ERR_STORE_IO', `${dir} is in use by process ${pid} (${path}); stop it first, or use 'wirerelay state show' to read the state`, { path, pid });
      // Left by a process that died (kill -9): take it over.
      await ops.unlink(path);
    }
  }
  throw new StoreError('ERR_STORE_IO', `${dir}: could not take ${path}`, { path });
}

export class StateStore {
  private model: NodeState;
  private undo: Undo | null;
  private queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private readonly mutex = new Mutex();
  private compacting: Promise<CompactResult> | null = null;
  /** Recent records, so a backup that fell behind can catch up from memory. */
  private recent: LogRecord[];
  private readonly keepRecent: number;
  private replicator: Replicator | null = null;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    readonly path: string,
    private log: LogFile,
    rebuilt: { state: NodeState; undo: Undo | null },
    recent: LogRecord[],
    private readonly lockPath: string,
    private readonly opts: Required<Pick<StateStoreOptions, 'clock' | 'log' | 'ops'>> & StateStoreOptions,
  ) {
    this.model = rebuilt.state;
    this.undo = rebuilt.undo;
    const policy = opts.backupPolicy ?? DEFAULT_BACKUP_POLICY;
    this.keepRecent = Math.max(MAX_BATCH, policy.mode === 'buffer' ? policy.maxChanges : 0);
    this.recent = recent;
  }

  static async open(dataDir: string, options: StateStoreOptions = {}): Promise<StateStore> {
    const opts = { ...options, clock: options.clock ?? systemClock, log: options.log ?? stderrLog, ops: options.ops ?? realFileOps };
    await fsp.mkdir(dataDir, { recursive: true });
    const lockPath = await takeLock(dataDir, opts.ops);
    try {
      const path = join(dataDir, STATE_LOG_NAME);
      // An unfinished compaction: the old log is intact, the partial copy is useless.
      await opts.ops.unlink(path + COMPACT_SUFFIX);
      const t0 = opts.clock.now();
      const { log, buf, scan } = await LogFile.open(path, { ops: opts.ops, log: opts.log, create: true });
      const rebuilt = rebuildState(buf, scan, path);
      const policy = opts.backupPolicy ?? DEFAULT_BACKUP_POLICY;
      const keep = Math.max(MAX_BATCH, policy.mode === 'buffer' ? policy.maxChanges : 0);
      const recent = recordsOf(buf, scan, scan.version - keep);
      const store = new StateStore(dataDir, path, log, rebuilt, recent, lockPath, opts);
      opts.log('info', 'state store open', { path, version: scan.version, entries: scan.entries.length, bytes: buf.length, ms: opts.clock.now() - t0 });
      if (opts.backup !== undefined) {
        store.replicator = new Replicator(openBackend(opts.backup, { ops: opts.ops, log: opts.log }), policy, store.localSource(), opts.log, opts.backupRetry ?? DEFAULT_RETRY);
        try {
          await store.replicator.start();
        } catch (err) {
          await store.replicator.close(0).catch(() => undefined);
          await log.close().catch(() => undefined);
          throw err;
        }
      }
      return store;
    } catch (err) {
      await opts.ops.unlink(lockPath).catch(() => undefined);
      throw err;
    }
  }

  private localSource() {
    return {
      position: (): LocalPosition => ({
        version: this.model.version,
        lastCrc: this.log.lastCrc ?? 0,
        oldestHeld: this.recent[0]?.version ?? this.model.version + 1,
        crcAt: (v: number) => {
          const r = this.recent.find((x) => x.version === v);
          return r === undefined ? undefined : entryCrc(r.version, r.kind, r.payload);
        },
      }),
      recordsAfter: (v: number) => this.recent.filter((r) => r.version > v),
      seedRecords: () => this.seedRecords(),
    };
  }

  /** A snapshot of the state (before the last change, then that change, so the backup can rewind too). */
  private seedRecords(): LogRecord[] {
    const last = this.recent[this.recent.length - 1];
    if (this.undo !== null && last !== undefined && last.kind === 'change' && last.version === this.model.version) {
      const before = structuredClone(this.model);
      this.undo(before);
      return [{ version: before.version, kind: 'snapshot', payload: encodeSnapshot(before) }, last];
    }
    return [{ version: this.model.version, kind: 'snapshot', payload: encodeSnapshot(this.model) }];
  }

  /** The durable state. Read-only: change it through commit(). */
  get state(): Readonly<NodeState> {
    return this.model;
  }

  get version(): number {
    return this.model.version;
  }

  get canRewind(): boolean {
    return this.undo !== null && this.log.rewindable;
  }

  /** For status output. */
  get backupStatus(): { url: string; status: string; acked: number; pending: number; policy: BackupPolicy } | null {
    const r = this.replicator;
    return r === null ? null : { url: r.backend.url, status: r.status, acked: r.acked, pending: r.pending, policy: r.policy };
  }

  /**
   * Resolves with the change's version once it is durable: fsynced locally and, under the `stop`
   * policy, held by the backup. Rejects (ERR_STORE_IO) if the write fails; the change is then not
   * applied and the caller may retry.
   */
  commit(change: StateChange): Promise<number> {
    if (this.closed) return Promise.reject(new StoreError('ERR_STORE_IO', 'state store is closed'));
    try {
      validateChange(change);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ change, payload: encodeChange(change), resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining !== null) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let last = 0;
      const ok = await this.mutex.run(async () => {
        let v = this.log.version;
        const records: LogRecord[] = batch.map((p) => ({ version: ++v, kind: 'change', payload: p.payload }));
        try {
          await this.log.append(records);
        } catch (err) {
          this.opts.log('error', 'state log write failed; changes not applied', { path: this.path, error: errText(err), changes: batch.length });
          for (const p of batch) p.reject(err as Error);
          return false;
        }
        for (let i = 0; i < batch.length; i++) this.undo = applyChange(this.model, batch[i]!.change, records[i]!.version);
        this.remember(records);
        this.replicator?.enqueue(records);
        last = v;
        return true;
      });
      if (!ok) continue;
      if (this.replicator !== null) {
        try {
          await this.replicator.waitAcked(last - this.replicator.window);
        } catch (err) {
          for (const p of batch) p.reject(err as Error);
          continue;
        }
      }
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(last - batch.length + 1 + i);
    }
  }

  private remember(records: LogRecord[]): void {
    this.recent.push(...records);
    if (this.recent.length > 2 * this.keepRecent) this.recent.splice(0, this.recent.length - this.keepRecent);
  }

  /** Waits until every commit made so far has settled. */
  async flush(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  /**
   * Takes back the last change (one that was logged but that the caller could not apply). Exactly
   * one: a second rewind is refused with ERR_STORE_REWIND.
   */
  async rewind(): Promise<void> {
    await this.flush();
    if (this.compacting !== null) await this.compacting.catch(() => undefined);
    await this.mutex.run(async () => {
      if (this.undo === null || !this.log.rewindable) {
        throw new StoreError('ERR_STORE_REWIND', `cannot rewind: only the last change can be rewound, and only once (at version ${this.model.version})`, { version: this.model.version });
      }
      const target = await this.log.rewind();
      this.undo(this.model);
      this.undo = null;
      this.recent = this.recent.filter((r) => r.version <= target);
      await this.replicator?.rewindTo(target);
      this.opts.log('info', 'state log rewound one change', { version: target });
    });
  }

  /**
   * Rewrites the log as one snapshot plus the last change, off the main thread. Commits continue
   * while it runs; the entries they add are carried over before the atomic rename.
   */
  compact(opts: { onProgress?: CompactProgress } = {}): Promise<CompactResult> {
    if (this.compacting !== null) return this.compacting;
    this.compacting = this.runCompaction(opts.onProgress).finally(() => (this.compacting = null));
    return this.compacting;
  }

  private async runCompaction(onProgress?: CompactProgress): Promise<CompactResult> {
    const t0 = this.opts.clock.now();
    const ops = this.opts.ops;
    const tmp = this.path + COMPACT_SUFFIX;
    const upto = await this.mutex.run(async () => this.log.writeOffset);
    ops.at('compact:start');
    let stats: CompactStats;
    try {
      stats = await compactInWorker(this.path, upto, tmp, onProgress);
    } catch (err) {
      await ops.unlink(tmp).catch(() => undefined);
      throw err;
    }
    ops.at('compact:built');
    const carried = await this.mutex.run(async () => {
      let fresh: LogFile | null = null;
      try {
        const tail = await this.log.readRange(upto, this.log.writeOffset);
        const records: LogRecord[] = [];
        for (let off = 0; off < tail.length; ) {
          const e = readEntryAt(tail, off);
          if (e === null) throw new StoreError('ERR_STORE_CORRUPT', `${this.path}: entry at ${upto + off} unreadable while compacting`, { path: this.path, offset: upto + off });
          records.push({ version: e.version, kind: e.kind, payload: Buffer.from(entryPayload(tail, e)) });
          off = entryEnd(e);
        }
        fresh = (await LogFile.open(tmp, { ops, log: this.opts.log })).log;
        await fresh.append(records);
        ops.at('compact:carried');
        await fresh.close();
        fresh = null;
        await installFile(tmp, this.path, ops);
        ops.at('compact:installed');
        await this.log.close().catch(() => undefined);
        this.log = (await LogFile.open(this.path, { ops, log: this.opts.log })).log;
        return records.length;
      } catch (err) {
        await fresh?.close().catch(() => undefined);
        await ops.unlink(tmp).catch(() => undefined);
        throw err;
      }
    });
    const result: CompactResult = { ...stats, after: { ...stats.after, bytes: this.log.writeOffset, entries: this.log.count, version: this.log.version }, carried, ms: this.opts.clock.now() - t0 };
    this.opts.log('info', 'state log compacted', { ...result });
    return result;
  }

  /** Waits for pending commits and a running compaction, then releases the data directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    if (this.compacting !== null) await this.compacting.catch(() => undefined);
    await this.replicator?.close(this.opts.backupCloseTimeoutMs ?? 5_000);
    await this.mutex.run(() => this.log.close());
    await this.opts.ops.unlink(this.lockPath).catch(() => undefined);
  }
}
