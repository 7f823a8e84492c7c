/**
 * `--backup socket://HOST:PORT`: streams changes to `wirerelay backup-server`. Requests are answered
 * in order on one connection, so responses are matched first-in first-out. A dropped connection
 * fails every request in flight with ERR_BACKUP_UNREACHABLE; the replicator reconnects with back-off.
 */
import { connect as netConnect, Socket } from 'node:net';
import { StoreError } from '../../errors.js';
import type { CompactProgress, CompactStats } from '../compaction.js';
import type { LogRecord } from '../state-log.js';
import type { BackupBackend, BackupMetadata } from './backend.js';
import { decodeRecord, encodeFrame, encodeRecord, Frame, FrameDecoder, FrameType, readU64, u64 } from './socket-protocol.js';

interface Waiter {
  /** Returns true when the response is complete. */
  onFrame(f: Frame): boolean;
  reject(err: Error): void;
}

export class SocketBackend implements BackupBackend {
  private sock: Socket | null = null;
  private decoder = new FrameDecoder();
  private waiters: Waiter[] = [];

  constructor(
    readonly url: string,
    private readonly host: string,
    private readonly port: number,
    private readonly connectTimeoutMs = 5_000,
  ) {}

  connect(): Promise<void> {
    this.drop(new StoreError('ERR_BACKUP_UNREACHABLE', `backup ${this.url}: reconnecting`));
    return new Promise((resolve, reject) => {
      const s = netConnect({ host: this.host, port: this.port });
      s.setNoDelay(true);
      const timer = setTimeout(() => s.destroy(new Error(`connect timed out after ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        this.sock = s;
        this.decoder = new FrameDecoder();
        resolve();
      });
      s.on('data', (chunk: Buffer) => this.onData(s, chunk));
      s.on('error', (err) => {
        clearTimeout(timer);
        if (this.sock !== s) reject(new StoreError('ERR_BACKUP_UNREACHABLE', `backup ${this.url}: ${err.message}`, { url: this.url }));
        else this.drop(new StoreError('ERR_BACKUP_UNREACHABLE', `backup ${this.url}: ${err.message}`, { url: this.url }));
      });
      s.on('close', () => {
        if (this.sock === s) this.drop(new StoreError('ERR_BACKUP_UNREACHABLE', `backup ${this.url}: connection closed`, { url: this.url }));
      });
    });
  }

  private drop(err: Error): void {
    const s = this.sock;
    this.sock = null;
    s?.destroy();
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(err);
  }

  private onData(s: Socket, chunk: Buffer): void {
    if (this.sock !== s) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.drop(err as Error);
      return;
    }
    for (const f of frames) {
      const w = this.waiters[0];
      if (w === undefined) {
        this.drop(new StoreError('ERR_BACKUP_MISMATCH', `backup ${this.url}: unsolicited frame type ${f.type}`));
        return;
      }
      let done: boolean;
      try {
        done = w.onFrame(f);
      } catch (err) {
        this.waiters.shift();
        w.reject(err as Error);
        continue;
      }
      if (done) this.waiters.shift();
    }
  }

  private request<T>(frames: Buffer[], make: (resolve: (v: T) => void) => (f: Frame) => boolean): Promise<T> {
    const s = this.sock;
    if (s === null) return Promise.reject(new StoreError('ERR_BACKUP_UNREACHABLE', `backup ${this.url}: not connected`, { url: this.url }));
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ onFrame: make(resolve), reject });
      s.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
    });
  }

  private nack(f: Frame): StoreError {
    const reason = f.payload.subarray(8).toString('utf8');
    return new StoreError('ERR_BACKUP_MISMATCH', `backup ${this.url} refused: ${reason}`, { url: this.url, version: f.payload.length >= 8 ? readU64(f.payload) : undefined });
  }

  metadata(): Promise<BackupMetadata> {
    return this.request([encodeFrame(FrameType.REQ_METADATA)], (resolve) => (f) => {
      if (f.type !== FrameType.METADATA) throw this.nack(f);
      resolve(JSON.parse(f.payload.toString('utf8')) as BackupMetadata);
      return true;
    });
  }

  append(records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let left = records.length;
    let failure: StoreError | null = null;
    return this.request<void>(records.map(encodeRecord), (resolve) => (f) => {
      if (f.type !== FrameType.ACK) failure ??= this.nack(f);
      if (--left > 0) return false;
      if (failure !== null) throw failure;
      resolve();
      return true;
    });
  }

  rewind(target: number): Promise<void> {
    return this.request<void>([encodeFrame(FrameType.REWIND, u64(target))], (resolve) => (f) => {
      if (f.type !== FrameType.ACK) throw this.nack(f);
      resolve();
      return true;
    });
  }

  async replace(records: readonly LogRecord[]): Promise<void> {
    await this.request<void>([encodeFrame(FrameType.RESET)], (resolve) => (f) => {
      if (f.type !== FrameType.ACK) throw this.nack(f);
      resolve();
      return true;
    });
    await this.append(records);
  }

  compact(onProgress?: CompactProgress): Promise<CompactStats> {
    return this.request<CompactStats>([encodeFrame(FrameType.COMPACT)], (resolve) => (f) => {
      if (f.type === FrameType.PROGRESS) {
        const p = JSON.parse(f.payload.toString('utf8')) as { done: number; total: number };
        onProgress?.(p.done, p.total);
        return false;
      }
      if (f.type !== FrameType.COMPACT_RES) throw this.nack(f);
      resolve(JSON.parse(f.payload.toString('utf8')) as CompactStats);
      return true;
    });
  }

  async restore(onRecord: (r: LogRecord) => Promise<void> | void, onProgress?: CompactProgress): Promise<number> {
    // Records are written by the caller at disk speed; pause the socket while too many are queued.
    const queue: LogRecord[] = [];
    let wake: (() => void) | null = null;
    let final: number | null = null;
    let failed: Error | null = null;
    const s = this.sock;
    const done = this.request<number>([encodeFrame(FrameType.RESTORE)], (resolve) => (f) => {
      if (f.type === FrameType.DONE) {
        final = readU64(f.payload);
        resolve(final);
      } else if (f.type === FrameType.PROGRESS) {
        const p = JSON.parse(f.payload.toString('utf8')) as { done: number; total: number };
        onProgress?.(p.done, p.total);
        return false;
      } else if (f.type === FrameType.CHANGE || f.type === FrameType.SNAPSHOT) {
        queue.push(decodeRecord(f));
        if (queue.length > 256) s?.pause();
      } else throw this.nack(f);
      wake?.();
      return f.type === FrameType.DONE;
    });
    done.catch((err: Error) => {
      failed = err;
      wake?.();
    });
    for (;;) {
      while (queue.length > 0) {
        await onRecord(queue.shift()!);
        if (queue.length < 64) s?.resume();
      }
      if (failed !== null) throw failed;
      if (final !== null) return final;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  }

  async close(): Promise<void> {
    this.drop(new StoreError('ERR_BACKUP_UNREACHABLE', `backup ${this.url}: closed`));
  }
}
