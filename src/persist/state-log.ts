/**
 * The versioned state log: format, verifier and writer.
 *
 *   header (512 bytes, big-endian, zero-padded)
 *     0  magic "WRSTLOG\n"          8  format version u32 (= 1)
 *    12  current version u64        20  write offset u64 (end of the last entry)
 *    28  previous version u64       36  offset of the last entry u64 (0 = cannot rewind)
 *    44  entry count u64            52  base version u64 (the version before the first entry)
 *    60  durable offset u64: the write offset as of the last completed fsync
 *    68  CRC-32 of bytes 0..68 u32
 *   entry (17-byte head + payload)
 *     0  payload length u32          4  version u64          12  kind u8 (1 change, 2 snapshot)
 *    13  CRC-32 of head bytes 0..13 and the payload u32      17  payload (UTF-8 JSON)
 *
 * After CLN's backup FileBackend, with three fixes: every entry carries a CRC so a torn or flipped
 * tail is detected; writes go to the recorded write offset (CLN opens with O_APPEND, so a rewound
 * entry stays in the file and restore can replay it); a rewind truncates the file.
 *
 * The entries are the truth; the header is a cross-check and carries the rewind marker. Header and
 * entries are written before one fsync, so after a crash the header may be ahead of the entries
 * that reached the disk; those changes were never acknowledged. A bad entry before the header's
 * durable offset is damage to acknowledged data (refuse to start); one after it is a torn write of
 * the last batch (cut off). Without a valid header, a bad entry followed by a valid later entry is
 * damage, and a bad entry with nothing valid after it is a torn tail.
 */
import { crc32 } from 'node:zlib';
import { StoreError } from '../errors.js';
import { FileOps, OpsFile, realFileOps } from './file-ops.js';
import { writeFileAtomic } from './atomic-file.js';
import { LogFn, stderrLog } from './logger.js';
import { applyChange, decodeChange, decodeSnapshot, emptyState, NodeState, StateChange, Undo } from './state-model.js';

export const LOG_MAGIC = Buffer.from('WRSTLOG\n', 'latin1');
export const LOG_FORMAT_VERSION = 1;
export const HEADER_SIZE = 512;
export const ENTRY_HEAD_SIZE = 17;
/** Larger entries are rejected: a flipped length bit must not make us allocate gigabytes. */
export const MAX_ENTRY_PAYLOAD = 512 * 1024 * 1024;

export type EntryKind = 'change' | 'snapshot';
const KIND_CODE: Record<EntryKind, number> = { change: 1, snapshot: 2 };

export interface LogHeader {
  formatVersion: number;
  version: number;
  writeOffset: number;
  prevVersion: number;
  lastEntryOffset: number;
  count: number;
  baseVersion: number;
  durableOffset: number;
}

/** One entry as it travels between logs and backups: the CRC is kept so copies can be compared. */
export interface LogRecord {
  version: number;
  kind: EntryKind;
  payload: Buffer;
}

export interface EntryRef {
  offset: number;
  version: number;
  kind: EntryKind;
  length: number;
  crc: number;
}

const readU64 = (b: Buffer, o: number): number => b.readUInt32BE(o) * 2 ** 32 + b.readUInt32BE(o + 4);
function writeU64(b: Buffer, o: number, v: number): void {
  b.writeUInt32BE(Math.floor(v / 2 ** 32), o);
  b.writeUInt32BE(v >>> 0, o + 4);
}

export function encodeHeader(h: LogHeader): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  LOG_MAGIC.copy(b, 0);
  b.writeUInt32BE(h.formatVersion, 8);
  writeU64(b, 12, h.version);
  writeU64(b, 20, h.writeOffset);
  writeU64(b, 28, h.prevVersion);
  writeU64(b, 36, h.lastEntryOffset);
  writeU64(b, 44, h.count);
  writeU64(b, 52, h.baseVersion);
  writeU64(b, 60, h.durableOffset);
  b.writeUInt32BE(crc32(b.subarray(0, 68)), 68);
  return b;
}

/** Returns the header, or null when its CRC fails; throws when the file is not a state log at all. */
export function decodeHeader(b: Buffer, path: string): LogHeader | null {
  if (b.length < HEADER_SIZE) {
    throw new StoreError('ERR_STORE_CORRUPT', `${path}: ${b.length} bytes, shorter than the ${HEADER_SIZE}-byte header`, { path });
  }
  if (!b.subarray(0, 8).equals(LOG_MAGIC)) {
    throw new StoreError('ERR_STORE_CORRUPT', `${path}: not a wirerelay state log (bad magic)`, { path, offset: 0 });
  }
  const formatVersion = b.readUInt32BE(8);
  if (formatVersion !== LOG_FORMAT_VERSION) {
    throw new StoreError('ERR_STORE_VERSION', `${path}: state log format ${formatVersion}, this build reads ${LOG_FORMAT_VERSION}`, { path, formatVersion });
  }
  if (crc32(b.subarray(0, 68)) !== b.readUInt32BE(68)) return null;
  return {
    formatVersion,
    version: readU64(b, 12),
    writeOffset: readU64(b, 20),
    prevVersion: readU64(b, 28),
    lastEntryOffset: readU64(b, 36),
    count: readU64(b, 44),
    baseVersion: readU64(b, 52),
    durableOffset: readU64(b, 60),
  };
}

/** The CRC an entry with these fields has, without building it. */
export function entryCrc(version: number, kind: EntryKind, payload: Uint8Array): number {
  const head = Buffer.allocUnsafe(13);
  head.writeUInt32BE(payload.length, 0);
  writeU64(head, 4, version);
  head.writeUInt8(KIND_CODE[kind], 12);
  return crc32(payload, crc32(head));
}

export function encodeEntry(version: number, kind: EntryKind, payload: Uint8Array): { buf: Buffer; crc: number } {
  const buf = Buffer.allocUnsafe(ENTRY_HEAD_SIZE + payload.length);
  buf.writeUInt32BE(payload.length, 0);
  writeU64(buf, 4, version);
  buf.writeUInt8(KIND_CODE[kind], 12);
  const crc = crc32(payload, crc32(buf.subarray(0, 13)));
  buf.writeUInt32BE(crc, 13);
  buf.set(payload, ENTRY_HEAD_SIZE);
  return { buf, crc };
}

/** Parses the entry at `off`, or returns null if it is incomplete or fails its CRC. */
export function readEntryAt(b: Buffer, off: number, end = b.length): EntryRef | null {
  if (off + ENTRY_HEAD_SIZE > end) return null;
  const length = b.readUInt32BE(off);
  const kindCode = b.readUInt8(off + 12);
  if (length > MAX_ENTRY_PAYLOAD || off + ENTRY_HEAD_SIZE + length > end) return null;
  if (kindCode !== 1 && kindCode !== 2) return null;
  const crc = b.readUInt32BE(off + 13);
  const head = b.subarray(off, off + 13);
  if (crc32(b.subarray(off + ENTRY_HEAD_SIZE, off + ENTRY_HEAD_SIZE + length), crc32(head)) !== crc) return null;
  return { offset: off, version: readU64(b, off + 4), kind: kindCode === 1 ? 'change' : 'snapshot', length, crc };
}

export const entryEnd = (e: EntryRef): number => e.offset + ENTRY_HEAD_SIZE + e.length;
export const entryPayload = (b: Buffer, e: EntryRef): Buffer => b.subarray(e.offset + ENTRY_HEAD_SIZE, entryEnd(e));

export interface ScanResult {
  header: LogHeader | null;
  entries: EntryRef[];
  /** End of the last valid entry: where the next entry goes. */
  end: number;
  /** Bytes after `end` that are a torn or unfinished tail (0 if none). */
  tornBytes: number;
  version: number;
  baseVersion: number;
  /** True when the last entry is a change that has not been rewound. */
  rewindable: boolean;
}

function corruptAt(path: string, offset: number, lastGood: number, why: string): StoreError {
  return new StoreError(
    'ERR_STORE_CORRUPT',
    `${path}: corrupt entry at byte offset ${offset} (after version ${lastGood}): ${why}. ` +
      `This is damage to acknowledged data, not a torn write; wirerelay will not start rather than drop ` +
      `acknowledged changes. To recover: restore from your backup (wirerelay backup restore --backup URL ` +
      `--data-dir DIR --force), or keep a copy of the file and cut it at the damage (truncate -s ${offset} '${path}'), ` +
      `which keeps versions up to ${lastGood} and loses the rest.`,
    { path, offset, lastGoodVersion: lastGood },
  );
}

/**
 * Looks past a bad entry for any valid entry with a later version. Finding one means the bad entry
 * is damage in the middle; finding none means a torn tail. Only offsets whose version field is in
 * range get a CRC check, so the scan stays linear.
 */
function validEntryAfter(b: Buffer, from: number, lastGood: number): EntryRef | null {
  for (let p = from; p + ENTRY_HEAD_SIZE <= b.length; p++) {
    const hi = b.readUInt32BE(p + 4);
    if (hi !== Math.floor((lastGood + 1) / 2 ** 32)) continue;
    const v = readU64(b, p + 4);
    if (v <= lastGood || v > lastGood + 1_000_000) continue;
    const e = readEntryAt(b, p);
    if (e !== null) return e;
  }
  return null;
}

/** Verifies every entry of a state log held in `b`. Throws on damage that is not a torn tail. */
export function scanLog(b: Buffer, path: string): ScanResult {
  return scanEntries(b, path, decodeHeader(b, path));
}

/**
 * Verifies the entries after the header slot, cross-checked against `header`, or on their own
 * (null) as when the header's checksum fails or the header was lost (src/persist/header-repair.ts).
 */
export function scanEntries(b: Buffer, path: string, header: LogHeader | null): ScanResult {
  const entries: EntryRef[] = [];
  let off = HEADER_SIZE;
  let version = header?.baseVersion ?? 0;
  const baseVersion = version;
  while (off < b.length) {
    const e = readEntryAt(b, off);
    if (e === null) {
      if (header !== null && off < header.durableOffset) {
        throw corruptAt(path, off, version, `bad checksum or length inside the part the header records as fsynced (up to offset ${header.durableOffset})`);
      }
      const later = header === null ? validEntryAfter(b, off + 1, version) : null;
      if (later !== null) throw corruptAt(path, off, version, `bad checksum or length; a valid entry (version ${later.version}) follows at offset ${later.offset}`);
      break;
    }
    const first = entries.length === 0;
    const expected = version + 1;
    const ok = e.kind === 'snapshot' ? first || e.version >= expected : (first && header === null) || e.version === expected;
    if (!ok) throw corruptAt(path, off, version, `version ${e.version}, expected ${expected}`);
    entries.push(e);
    version = e.version;
    off = entryEnd(e);
  }
  const last = entries[entries.length - 1];
  // The header marks a rewound log with lastEntryOffset 0; it only counts if it describes these entries.
  const rewoundMarker = header !== null && header.version === version && header.lastEntryOffset === 0;
  return {
    header,
    entries,
    end: off,
    tornBytes: b.length - off,
    version,
    baseVersion,
    rewindable: last !== undefined && last.kind === 'change' && !rewoundMarker,
  };
}

export interface Rebuilt {
  state: NodeState;
  /** Undoes the last change, when the log allows a rewind. */
  undo: Undo | null;
}

/** Replays verified entries into a fresh model. `stopBefore` leaves out the last n entries. */
export function rebuildState(b: Buffer, scan: ScanResult, path: string, onProgress?: (done: number) => void): Rebuilt {
  let state = emptyState();
  state.version = scan.baseVersion;
  let undo: Undo | null = null;
  for (let i = 0; i < scan.entries.length; i++) {
    const e = scan.entries[i]!;
    try {
      if (e.kind === 'snapshot') {
        state = decodeSnapshot(entryPayload(b, e));
        state.version = e.version;
        undo = null;
      } else {
        const c: StateChange = decodeChange(entryPayload(b, e));
        undo = applyChange(state, c, e.version);
      }
    } catch (err) {
      throw new StoreError('ERR_STORE_CORRUPT', `${path}: entry at offset ${e.offset} (version ${e.version}) passes its checksum but does not decode: ${(err as Error).message}`, { path, offset: e.offset }, { cause: err });
    }
    if (onProgress !== undefined && (i & 0xfff) === 0) onProgress(e.offset);
  }
  return { state, undo: scan.rewindable ? undo : null };
}

/**
 * An open state log for writing. Not safe for two writers: StateStore holds a lock file; every other
 * writer (backup server, file backend, offline tools) owns its file alone.
 */
export class LogFile {
  private header: LogHeader;
  /** CRCs of the last two entries: metadata compares the last one with a backup, rewind needs the one before. */
  private crcs: number[];

  private constructor(
    readonly path: string,
    private readonly file: OpsFile,
    private readonly ops: FileOps,
    header: LogHeader,
    crcs: number[],
  ) {
    this.header = header;
    this.crcs = crcs;
  }

  /** Creates an empty log atomically: a crash leaves no file or a complete header. */
  static async create(path: string, ops: FileOps = realFileOps, baseVersion = 0): Promise<void> {
    await writeFileAtomic(path, encodeHeader({ formatVersion: LOG_FORMAT_VERSION, version: baseVersion, writeOffset: HEADER_SIZE, prevVersion: 0, lastEntryOffset: 0, count: 0, baseVersion, durableOffset: HEADER_SIZE }), ops);
  }

  /**
   * Opens, verifies and repairs the log: a torn tail is cut off with a warning so the next entry
   * does not land behind garbage. Returns the bytes read so the caller can rebuild the model.
   */
  static async open(path: string, opts: { ops?: FileOps; log?: LogFn; create?: boolean } = {}): Promise<{ log: LogFile; buf: Buffer; scan: ScanResult }> {
    const ops = opts.ops ?? realFileOps;
    const log = opts.log ?? stderrLog;
    if (!(await ops.exists(path))) {
      if (opts.create !== true) throw new StoreError('ERR_STORE_IO', `${path}: no state log`, { path });
      await LogFile.create(path, ops);
    }
    const buf = await ops.readFile(path);
    const scan = scanLog(buf, path);
    const file = await ops.open(path, 'r+');
    if (scan.tornBytes > 0) {
      log('warn', 'state log: torn tail cut off (a write that was never acknowledged)', { path, offset: scan.end, bytes: scan.tornBytes });
      await file.truncate(scan.end);
    }
    if (scan.header === null) log('warn', 'state log: header checksum failed; rebuilt from the entries', { path });
    else if (scan.header.version !== scan.version) {
      log('warn', 'state log: header and entries disagree; the entries win', { path, header: scan.header.version, entries: scan.version });
    }
    const last = scan.entries[scan.entries.length - 1];
    const prev = scan.entries[scan.entries.length - 2];
    const header: LogHeader = {
      formatVersion: LOG_FORMAT_VERSION,
      version: scan.version,
      writeOffset: scan.end,
      prevVersion: scan.rewindable ? scan.version - 1 : 0,
      lastEntryOffset: scan.rewindable && last !== undefined ? last.offset : 0,
      count: scan.entries.length,
      baseVersion: scan.baseVersion,
      durableOffset: Math.min(scan.end, scan.header?.durableOffset ?? HEADER_SIZE),
    };
    const lf = new LogFile(path, file, ops, header, [prev?.crc, last?.crc].filter((c): c is number => c !== undefined));
    await lf.markDurable();
    return { log: lf, buf: scan.tornBytes > 0 ? buf.subarray(0, scan.end) : buf, scan };
  }

  get version(): number {
    return this.header.version;
  }
  get writeOffset(): number {
    return this.header.writeOffset;
  }
  get count(): number {
    return this.header.count;
  }
  get rewindable(): boolean {
    return this.header.lastEntryOffset !== 0;
  }
  get prevVersion(): number {
    return this.header.prevVersion;
  }
  get lastCrc(): number | undefined {
    return this.crcs[this.crcs.length - 1];
  }

  /**
   * fsyncs, then records that everything written is durable. Two fsyncs, so the header never claims
   * durability for bytes that might still be lost; used at open and close only.
   */
  private async markDurable(): Promise<void> {
    await this.file.sync();
    this.header = { ...this.header, durableOffset: this.header.writeOffset };
    await this.file.write(encodeHeader(this.header), 0);
    await this.file.sync();
  }

  /**
   * Appends records (versions must continue the log) and fsyncs once for all of them: the group
   * commit. On failure the file is cut back to its previous end, so a retry starts clean.
   */
  async append(records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    let v = this.header.version;
    const parts: Buffer[] = [];
    const crcs: number[] = [];
    let lastOffset = this.header.writeOffset;
    let size = 0;
    for (const r of records) {
      if (r.kind === 'change' ? r.version !== v + 1 : r.version < v) {
        throw new StoreError('ERR_STORE_VERSION', `${this.path}: append of version ${r.version} after ${v}`, { path: this.path });
      }
      const { buf, crc } = encodeEntry(r.version, r.kind, r.payload);
      lastOffset = this.header.writeOffset + size;
      parts.push(buf);
      crcs.push(crc);
      size += buf.length;
      v = r.version;
    }
    const last = records[records.length - 1]!;
    const next: LogHeader = {
      ...this.header,
      version: v,
      writeOffset: this.header.writeOffset + size,
      prevVersion: last.kind === 'change' ? v - 1 : 0,
      lastEntryOffset: last.kind === 'change' ? lastOffset : 0,
      count: this.header.count + records.length,
      // The previous batch's fsync has completed; this one's has not yet.
      durableOffset: this.header.writeOffset,
    };
    try {
      await this.file.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size), this.header.writeOffset);
      await this.file.write(encodeHeader(next), 0);
      await this.file.sync();
    } catch (err) {
      await this.file.truncate(this.header.writeOffset).catch(() => undefined);
      await this.file.write(encodeHeader(this.header), 0).catch(() => undefined);
      throw new StoreError('ERR_STORE_IO', `${this.path}: write failed: ${(err as Error).message}`, { path: this.path, errno: (err as NodeJS.ErrnoException).code }, { cause: err });
    }
    this.header = next;
    this.crcs = [...this.crcs, ...crcs].slice(-2);
  }

  /** Drops the last change. Only one: the change before it has no undo record any more. */
  async rewind(): Promise<number> {
    if (!this.rewindable) {
      throw new StoreError('ERR_STORE_REWIND', `${this.path}: cannot rewind: only the last change can be rewound, once`, { path: this.path, version: this.header.version });
    }
    const next: LogHeader = {
      ...this.header,
      version: this.header.prevVersion,
      writeOffset: this.header.lastEntryOffset,
      prevVersion: 0,
      lastEntryOffset: 0,
      count: this.header.count - 1,
      durableOffset: Math.min(this.header.durableOffset, this.header.lastEntryOffset),
    };
    this.ops.at('rewind:before-truncate');
    await this.file.truncate(this.header.lastEntryOffset);
    await this.file.write(encodeHeader(next), 0);
    await this.file.sync();
    this.header = next;
    this.crcs = this.crcs.slice(0, -1);
    return next.version;
  }

  /** Reads bytes [from, to) of the log, for copying entries written during a compaction. */
  async readRange(from: number, to: number): Promise<Buffer> {
    const b = Buffer.allocUnsafe(to - from);
    const n = await this.file.read(b, from);
    return b.subarray(0, n);
  }

  async close(): Promise<void> {
    try {
      if (this.header.durableOffset !== this.header.writeOffset) await this.markDurable();
    } finally {
      await this.file.close();
    }
  }
}

/** Reads a log without taking it over: for `state show` next to a running node. Never repairs. */
export async function readLogSnapshot(path: string, ops: FileOps = realFileOps): Promise<{ buf: Buffer; scan: ScanResult }> {
  const buf = await ops.readFile(path);
  try {
    return { buf, scan: scanLog(buf, path) };
  } catch (err) {
    // A running writer may be between writing an entry and its fsync; a second read settles it.
    const again = await ops.readFile(path);
    return { buf: again, scan: scanLog(again, path) };
  }
}

/** Records with a version above `after`, copied out of a verified log buffer (for backups and catch-up). */
export function recordsOf(b: Buffer, scan: ScanResult, after = -1): LogRecord[] {
  return scan.entries.filter((e) => e.version > after).map((e) => ({ version: e.version, kind: e.kind, payload: Buffer.from(entryPayload(b, e)) }));
}
