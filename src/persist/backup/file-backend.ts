/**
 * `--backup file:///path`: a second state log, same format, typically on another disk or a network
 * mount. A directory (or a path ending in /) holds `state.log`.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import { installFile } from '../atomic-file.js';
import { COMPACT_SUFFIX, compactInWorker, CompactProgress, CompactStats } from '../compaction.js';
import { FileOps, realFileOps } from '../file-ops.js';
import { LogFn, stderrLog } from '../logger.js';
import { LogFile, LogRecord, readLogSnapshot, recordsOf, entryPayload } from '../state-log.js';
import type { BackupBackend, BackupMetadata } from './backend.js';

export const BACKUP_LOG_NAME = 'state.log';

export async function resolveBackupPath(path: string): Promise<string> {
  if (path.endsWith('/')) return join(path, BACKUP_LOG_NAME);
  try {
    if ((await fsp.stat(path)).isDirectory()) return join(path, BACKUP_LOG_NAME);
  } catch {
    // Missing: a file of that name is created.
  }
  return path;
}

/** Metadata of an open log, as the backup protocol reports it. */
export function logMetadata(lf: LogFile): BackupMetadata {
  return { version: lf.version, prevVersion: lf.prevVersion, count: lf.count, lastCrc: lf.lastCrc ?? 0, rewindable: lf.rewindable };
}

/**
 * Owns one log file used as a backup copy; the backup server uses it too. Not shared between
 * processes: the node holds the file while it runs.
 */
export class LogBackup {
  private lf: LogFile | null = null;

  constructor(
    readonly path: string,
    private readonly ops: FileOps = realFileOps,
    private readonly log: LogFn = stderrLog,
  ) {}

  async open(): Promise<LogFile> {
    if (this.lf === null) {
      await fsp.mkdir(join(this.path, '..'), { recursive: true });
      this.lf = (await LogFile.open(this.path, { ops: this.ops, log: this.log, create: true })).log;
    }
    return this.lf;
  }

  async reopen(): Promise<void> {
    const old = this.lf;
    this.lf = null;
    await old?.close().catch(() => undefined);
    await this.open();
  }

  async metadata(): Promise<BackupMetadata> {
    return logMetadata(await this.open());
  }

  async append(records: readonly LogRecord[]): Promise<void> {
    await (await this.open()).append(records);
  }

  async rewind(target: number): Promise<void> {
    const lf = await this.open();
    if (!lf.rewindable || lf.prevVersion !== target) {
      throw new StoreError('ERR_STORE_REWIND', `${this.path}: cannot rewind to ${target} (at ${lf.version}, can rewind: ${lf.rewindable})`, { path: this.path });
    }
    await lf.rewind();
  }

  async replace(records: readonly LogRecord[]): Promise<void> {
    const tmp = this.path + '.seed';
    await this.ops.unlink(tmp);
    await LogFile.create(tmp, this.ops);
    const { log: fresh } = await LogFile.open(tmp, { ops: this.ops, log: this.log });
    await fresh.append(records);
    await fresh.close();
    await this.lf?.close().catch(() => undefined);
    this.lf = null;
    await installFile(tmp, this.path, this.ops);
    await this.open();
  }

  async compact(onProgress?: CompactProgress): Promise<CompactStats> {
    const lf = await this.open();
    const tmp = this.path + COMPACT_SUFFIX;
    const stats = await compactInWorker(this.path, lf.writeOffset, tmp, onProgress);
    await lf.close();
    this.lf = null;
    await installFile(tmp, this.path, this.ops);
    await this.open();
    return stats;
  }

  async restore(onRecord: (r: LogRecord) => Promise<void> | void, onProgress?: CompactProgress): Promise<number> {
    await this.open();
    const { buf, scan } = await readLogSnapshot(this.path, this.ops);
    for (let i = 0; i < scan.entries.length; i++) {
      const e = scan.entries[i]!;
      await onRecord({ version: e.version, kind: e.kind, payload: Buffer.from(entryPayload(buf, e)) });
      if ((i & 1023) === 1023) onProgress?.(e.offset, buf.length);
    }
    onProgress?.(buf.length, buf.length);
    return scan.version;
  }

  /** All records, for tests and `backup status`. */
  async records(): Promise<LogRecord[]> {
    const { buf, scan } = await readLogSnapshot(this.path, this.ops);
    return recordsOf(buf, scan);
  }

  async close(): Promise<void> {
    const lf = this.lf;
    this.lf = null;
    await lf?.close();
  }
}

export class FileBackend implements BackupBackend {
  private store: LogBackup | null = null;

  constructor(
    readonly url: string,
    private readonly path: string,
    private readonly ops: FileOps = realFileOps,
    private readonly log: LogFn = stderrLog,
  ) {}

  private get s(): LogBackup {
    if (this.store === null) throw new StoreError('ERR_BACKUP_UNREACHABLE', `${this.url}: not connected`);
    return this.store;
  }

  async connect(): Promise<void> {
    await this.store?.close().catch(() => undefined);
    this.store = null;
    const s = new LogBackup(await resolveBackupPath(this.path), this.ops, this.log);
    try {
      await s.open();
    } catch (err) {
      throw asUnreachable(this.url, err);
    }
    this.store = s;
  }

  private async io<T>(fn: (s: LogBackup) => Promise<T>): Promise<T> {
    try {
      return await fn(this.s);
    } catch (err) {
      // A backup disk that fails (EIO on SSHFS, plugins#473) is an unreachable backup, not a node crash.
      const code = (err as { code?: string }).code;
      if (code === 'ERR_STORE_REWIND' || code === 'ERR_STORE_VERSION' || code === 'ERR_STORE_CORRUPT') throw err;
      throw asUnreachable(this.url, err);
    }
  }

  metadata(): Promise<BackupMetadata> {
    return this.io((s) => s.metadata());
  }
  append(records: readonly LogRecord[]): Promise<void> {
    return this.io((s) => s.append(records));
  }
  rewind(target: number): Promise<void> {
    return this.io((s) => s.rewind(target));
  }
  replace(records: readonly LogRecord[]): Promise<void> {
    return this.io((s) => s.replace(records));
  }
  compact(onProgress?: CompactProgress): Promise<CompactStats> {
    return this.io((s) => s.compact(onProgress));
  }
  restore(onRecord: (r: LogRecord) => Promise<void> | void, onProgress?: CompactProgress): Promise<number> {
    return this.io((s) => s.restore(onRecord, onProgress));
  }
  async close(): Promise<void> {
    await this.store?.close().catch(() => undefined);
    this.store = null;
  }
}

export function asUnreachable(url: string, err: unknown): StoreError {
  if ((err as { code?: string }).code === 'ERR_BACKUP_UNREACHABLE') return err as StoreError;
  return new StoreError('ERR_BACKUP_UNREACHABLE', `backup ${url}: ${(err as Error).message}`, { url, errno: (err as NodeJS.ErrnoException).code }, { cause: err });
}
