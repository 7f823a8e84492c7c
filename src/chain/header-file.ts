/**
 * The headers chain on disk: a 16-byte preamble, then the 80-byte headers in the order they were
 * stored (each after its parent), appended and fsynced by flush(). Append-only, so a crash can
 * only leave a torn last record: open() cuts the file back to the last whole record (and to the
 * last one that still connects), and the node restarts from there without syncing again.
 *
 * The preamble is written once through writeFileAtomic (src/persist/atomic-file.ts), so a file
 * either has a complete preamble or does not exist. Writes go through FileOps (fault injection in
 * tests).
 *
 * Failed-block marks (HeaderChain.invalidate) live beside it in `<path>.failed`: the hashes of the
 * FAILED_VALID entries, 32 bytes each, rewritten whole (writeFileAtomic) when one is added; open()
 * marks them again (their descendants follow). Hashes the chain does not have are skipped.
 */
import { StoreError } from '../errors.js';
import { writeFileAtomic } from '../persist/atomic-file.js';
import { realFileOps, type FileOps, type OpsFile } from '../persist/file-ops.js';
import { NETWORKS } from '../wire/constants.js';
import { HeaderChain } from './header-chain.js';
import type { ChainParams } from './params.js';

const MAGIC = 'WRHDRS';
/** Format version: bump when the record layout changes. */
export const HEADER_FILE_VERSION = 1;
export const PREAMBLE_SIZE = 16;
const RECORD = 80;

export interface OpenedChain {
  readonly chain: HeaderChain;
  readonly file: HeaderFile;
  /** Bytes cut from the end at open (a torn or unconnectable tail); 0 after a clean shutdown. */
  readonly truncatedBytes: number;
}

export class HeaderFile {
  private constructor(
    private readonly f: OpsFile,
    private end: number,
    private readonly failedPath: string,
    private readonly ops: FileOps,
  ) {}

  /**
   * Opens (or creates) the file at `path` for `params`' network and rebuilds the chain from it.
   * Throws StoreError for a file of another network or format version.
   */
  static async open(path: string, params: ChainParams, ops: FileOps = realFileOps, capacity?: number): Promise<OpenedChain> {
    const magic = NETWORKS[params.network].magic;
    if (!(await ops.exists(path))) {
      const pre = new Uint8Array(PREAMBLE_SIZE);
      pre.set(Buffer.from(MAGIC, 'ascii'), 0);
      const dv = new DataView(pre.buffer);
      dv.setUint16(6, HEADER_FILE_VERSION, true);
      dv.setUint32(8, magic, true);
      await writeFileAtomic(path, pre, ops);
    }
    const data = await ops.readFile(path);
    if (data.length < PREAMBLE_SIZE || data.toString('ascii', 0, 6) !== MAGIC) {
      throw new StoreError('ERR_STORE_CORRUPT', `${path}: not a headers file`, { path });
    }
    const version = data.readUInt16LE(6);
    if (version !== HEADER_FILE_VERSION) throw new StoreError('ERR_STORE_VERSION', `${path}: headers file version ${version}, expected ${HEADER_FILE_VERSION}`, { path, version });
    if (data.readUInt32LE(8) !== magic) throw new StoreError('ERR_STORE_CORRUPT', `${path}: headers of another network`, { path });
    const whole = Math.floor((data.length - PREAMBLE_SIZE) / RECORD);
    const records = new Uint8Array(data.buffer, data.byteOffset + PREAMBLE_SIZE, whole * RECORD);
    const chain = new HeaderChain(params, { capacity: Math.max(capacity ?? 0, whole + 1024) });
    const kept = chain.restore(records, whole);
    const failedPath = `${path}.failed`;
    if (await ops.exists(failedPath)) {
      const marks = await ops.readFile(failedPath);
      for (let at = 0; at + 32 <= marks.length; at += 32) chain.invalidate(chain.find(marks, at));
    }
    const end = PREAMBLE_SIZE + kept * RECORD;
    const f = await ops.open(path, 'r+');
    if (end < data.length) {
      await f.truncate(end);
      await f.sync();
    }
    return { chain, file: new HeaderFile(f, end, failedPath, ops), truncatedBytes: data.length - end };
  }

  /**
   * Appends the chain's newly stored headers and fsyncs; the caller serialises calls. On an I/O
   * error nothing is marked written, so the next flush writes the same headers at the same offset.
   */
  async flush(chain: HeaderChain): Promise<number> {
    const { bytes, upTo } = chain.pending();
    if (bytes.length === 0) return 0;
    // Copied: the chain may grow (and move its arrays) while the write is in flight.
    const copy = bytes.slice();
    await this.f.write(copy, this.end);
    await this.f.sync();
    this.end += copy.length;
    chain.markWritten(upTo);
    return copy.length / RECORD;
  }

  /** Writes the chain's failed-block marks (replacing the previous list). */
  async saveFailed(chain: HeaderChain): Promise<void> {
    const entries = chain.failedEntries();
    const out = new Uint8Array(32 * entries.length);
    entries.forEach((e, i) => out.set(chain.hash(e), 32 * i));
    await writeFileAtomic(this.failedPath, out, this.ops);
  }

  async close(): Promise<void> {
    await this.f.close();
  }
}
