/**
 * What a backup destination offers. Two transports implement it: a second log file
 * (`file:///path`) and our backup server (`socket://HOST:PORT`).
 */
import { ConfigError } from '../../errors.js';
import type { LogRecord } from '../state-log.js';
import type { CompactStats, CompactProgress } from '../compaction.js';

export interface BackupMetadata {
  version: number;
  prevVersion: number;
  count: number;
  /** CRC of the last entry (0 for an empty backup), to tell equal versions with different histories apart. */
  lastCrc: number;
  rewindable: boolean;
}

export interface BackupBackend {
  readonly url: string;
  /** (Re)establishes the connection or reopens the file; called before every use after a failure. */
  connect(): Promise<void>;
  metadata(): Promise<BackupMetadata>;
  /** Durable when it resolves. */
  append(records: readonly LogRecord[]): Promise<void>;
  /** Drops the backup's last change, which must take it to `target`. */
  rewind(target: number): Promise<void>;
  /** Replaces the whole backup with `records` (seeding, `backup init --force`). */
  replace(records: readonly LogRecord[]): Promise<void>;
  compact(onProgress?: CompactProgress): Promise<CompactStats>;
  /** Streams every record; returns the final version. */
  restore(onRecord: (r: LogRecord) => Promise<void> | void, onProgress?: CompactProgress): Promise<number>;
  close(): Promise<void>;
}

export type BackupTarget = { kind: 'file'; path: string } | { kind: 'socket'; host: string; port: number };

/** Parses `file:///path` and `socket://HOST:PORT` (CLN writes `socket:host:port`; both are accepted). */
export function parseBackupUrl(url: string): BackupTarget {
  if (url.startsWith('file://')) {
    const path = decodeURIComponent(url.slice('file://'.length));
    if (!path.startsWith('/')) throw new ConfigError(`--backup ${url}: a file URL needs an absolute path (file:///var/backups/wirerelay)`);
    return { kind: 'file', path };
  }
  const m = /^socket:(?:\/\/)?(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url);
  if (m !== null) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new ConfigError(`--backup ${url}: port out of range`);
    return { kind: 'socket', host: m[1]!.replace(/^\[|\]$/g, ''), port };
  }
  throw new ConfigError(`--backup ${url}: expected file:///PATH or socket://HOST:PORT`);
}
