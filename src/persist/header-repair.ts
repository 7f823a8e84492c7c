/**
 * Rebuilds a state log's 512-byte header from its entries. The entries are the truth and each
 * carries its own CRC (src/persist/state-log.ts), so a header that was zeroed or overwritten
 * loses nothing: the versions, the write offset and the entry count can all be recounted. A
 * header whose checksum merely fails is already rebuilt at open; this is for the header the
 * store refuses to read at all (bad magic).
 *
 * plan() only reads. apply() takes the data directory's lock, saves the old header next to the log
 * (`state.log.header-was`), writes the new one and fsyncs. Afterwards the log opens as usual. The
 * rebuilt header cannot rewind (the last change's undo record is not in the log), and it records
 * everything up to the last valid entry as durable, which it is: it was read back from the disk.
 */
import { dirname } from 'node:path';
import { StoreError } from '../errors.js';
import { FileOps, realFileOps } from './file-ops.js';
import { decodeHeader, encodeHeader, HEADER_SIZE, LOG_FORMAT_VERSION, LOG_MAGIC, rebuildState, scanEntries } from './state-log.js';
import type { LogHeader } from './state-log.js';
import { takeLock } from './state-store.js';

export const HEADER_BACKUP_SUFFIX = '.header-was';

export interface HeaderRepairPlan {
  readonly path: string;
  /** False when the header is readable and nothing needs doing. */
  readonly needed: boolean;
  /** What is wrong with the header, in words. */
  readonly problem: string;
  readonly entries: number;
  /** Version the log will be at: that of its last valid entry. */
  readonly version: number;
  /** Bytes after the last valid entry (a torn tail, cut off at the next open). */
  readonly tornBytes: number;
  /** The header that will be written. */
  readonly header: LogHeader | null;
}

function describe(b: Buffer, path: string): { problem: string; needed: boolean } {
  const head = b.subarray(0, HEADER_SIZE);
  if (head.every((x) => x === 0)) return { problem: 'the 512-byte header is all zeroes', needed: true };
  try {
    const h = decodeHeader(b, path);
    return h === null ? { problem: 'the header checksum fails', needed: true } : { problem: 'the header is valid', needed: false };
  } catch (err) {
    if (err instanceof StoreError && err.code === 'ERR_STORE_VERSION') throw err;
    return { problem: 'the header is not a wirerelay state log header (bad magic)', needed: true };
  }
}

/** Works out the new header from the entries, without writing. Throws when the entries cannot vouch for one. */
export async function planHeaderRepair(path: string, ops: FileOps = realFileOps): Promise<HeaderRepairPlan> {
  return planFrom(await ops.readFile(path), path);
}

function planFrom(b: Buffer, path: string): HeaderRepairPlan {
  if (b.length < HEADER_SIZE) {
    throw new StoreError('ERR_STORE_CORRUPT', `${path}: ${b.length} bytes, shorter than the ${HEADER_SIZE}-byte header; nothing to rebuild from`, { path });
  }
  const { problem, needed } = describe(b, path);
  const scan = scanEntries(b, path, null);
  if (needed && scan.entries.length === 0 && b.length > HEADER_SIZE) {
    throw new StoreError('ERR_STORE_CORRUPT', `${path}: ${problem}, and no checksummed entry follows it: this does not look like a state log, so it is left alone`, { path });
  }
  // Decoding every entry confirms the rebuilt log will open.
  rebuildState(b, scan, path);
  const first = scan.entries[0];
  const baseVersion = first === undefined ? 0 : first.version - 1;
  const header: LogHeader = {
    formatVersion: LOG_FORMAT_VERSION,
    version: scan.version,
    writeOffset: scan.end,
    prevVersion: 0,
    lastEntryOffset: 0,
    count: scan.entries.length,
    baseVersion,
    durableOffset: scan.end,
  };
  return { path, needed, problem, entries: scan.entries.length, version: scan.version, tornBytes: scan.tornBytes, header: needed ? header : null };
}

/** Applies a plan made by planHeaderRepair(); re-plans under the lock so nothing changed meanwhile. */
export async function applyHeaderRepair(path: string, ops: FileOps = realFileOps): Promise<HeaderRepairPlan> {
  const lock = await takeLock(dirname(path), ops);
  try {
    const b = await ops.readFile(path);
    const plan = planFrom(b, path);
    if (!plan.needed || plan.header === null) return plan;
    const old = b.subarray(0, HEADER_SIZE);
    const backup = await ops.open(path + HEADER_BACKUP_SUFFIX, 'w');
    try {
      await backup.write(old, 0);
      await backup.sync();
    } finally {
      await backup.close();
    }
    const f = await ops.open(path, 'r+');
    try {
      await f.write(encodeHeader(plan.header), 0);
      await f.sync();
    } finally {
      await f.close();
    }
    // Read back: the log must now scan with its new header.
    const check = await ops.readFile(path);
    if (!check.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC) || decodeHeader(check, path) === null) {
      throw new StoreError('ERR_STORE_IO', `${path}: the rebuilt header did not read back`, { path });
    }
    return plan;
  } finally {
    await ops.unlink(lock).catch(() => undefined);
  }
}
