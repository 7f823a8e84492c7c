/**
 * Restore a data directory from a backup, and build the records that seed a backup. Both refuse to
 * overwrite silently (CLN test_backup.py: restore refuses an existing file).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { installFile } from './atomic-file.js';
import type { CompactProgress } from './compaction.js';
import { FileOps, realFileOps } from './file-ops.js';
import { LogFn, stderrLog } from './logger.js';
import { entryPayload, LogFile, LogRecord, rebuildState, ScanResult } from './state-log.js';
import { encodeSnapshot } from './state-model.js';
import { openBackend } from './backup/open-backend.js';
import { STATE_LOG_NAME } from './state-store.js';

/** Records appended per fsync while restoring. */
const RESTORE_BATCH = 1024;

export async function restoreDataDir(url: string, dataDir: string, opts: { force?: boolean; ops?: FileOps; log?: LogFn; onProgress?: CompactProgress } = {}): Promise<{ version: number; entries: number }> {
  const ops = opts.ops ?? realFileOps;
  const log = opts.log ?? stderrLog;
  const target = join(dataDir, STATE_LOG_NAME);
  if ((await ops.exists(target)) && opts.force !== true) {
    throw new StoreError('ERR_STORE_IO', `${target} exists; restore does not overwrite a data directory unless given --force (the current log is replaced, not merged)`, { path: target });
  }
  await fsp.mkdir(dataDir, { recursive: true });
  const tmp = target + '.restore';
  await ops.unlink(tmp);
  await LogFile.create(tmp, ops);
  const { log: lf } = await LogFile.open(tmp, { ops, log });
  const backend = openBackend(url, { ops, log });
  let entries = 0;
  try {
    await backend.connect();
    let batch: LogRecord[] = [];
    const version = await backend.restore(async (r) => {
      batch.push(r);
      entries++;
      if (batch.length >= RESTORE_BATCH) {
        await lf.append(batch);
        batch = [];
      }
    }, opts.onProgress);
    await lf.append(batch);
    if (lf.version !== version) throw new StoreError('ERR_BACKUP_MISMATCH', `restore ended at version ${lf.version}, the backup reports ${version}`);
    await lf.close();
    // Only now is the old log replaced: a failed restore leaves the data directory as it was.
    await installFile(tmp, target, ops);
    return { version, entries };
  } catch (err) {
    await lf.close().catch(() => undefined);
    await ops.unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    await backend.close();
  }
}

/** A snapshot of the state before the last change plus that change (so the copy can rewind too). */
export function seedRecords(buf: Buffer, scan: ScanResult, path: string): LogRecord[] {
  const { state, undo } = rebuildState(buf, scan, path);
  const last = scan.entries[scan.entries.length - 1];
  if (last === undefined) return [];
  if (undo !== null) {
    undo(state);
    return [{ version: state.version, kind: 'snapshot', payload: encodeSnapshot(state) }, { version: last.version, kind: 'change', payload: Buffer.from(entryPayload(buf, last)) }];
  }
  return [{ version: state.version, kind: 'snapshot', payload: encodeSnapshot(state) }];
}
