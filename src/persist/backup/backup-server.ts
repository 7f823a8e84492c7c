/**
 * `wirerelay backup-server --listen HOST:PORT --dir DIR`: keeps a copy of a node's state log in DIR
 * and answers the socket protocol. One client at a time; a new connection replaces the old one, so a
 * node that restarts is not locked out by its own half-open previous connection.
 */
import { createServer, Server, Socket } from 'node:net';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { FileOps, realFileOps } from '../file-ops.js';
import { LogFn, stderrLog, errText } from '../logger.js';
import { BACKUP_LOG_NAME, LogBackup } from './file-backend.js';
import { decodeRecord, encodeFrame, encodeRecord, Frame, FrameDecoder, FrameType, readU64, u64 } from './socket-protocol.js';

export class BackupServer {
  private current: Socket | null = null;
  /** Requests from all connections run one at a time: the log has a single writer. */
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly server: Server,
    readonly store: LogBackup,
    private readonly log: LogFn,
  ) {}

  static async start(opts: { host: string; port: number; dir: string; log?: LogFn; ops?: FileOps }): Promise<BackupServer> {
    const log = opts.log ?? stderrLog;
    await fsp.mkdir(opts.dir, { recursive: true });
    const store = new LogBackup(join(opts.dir, BACKUP_LOG_NAME), opts.ops ?? realFileOps, log);
    await store.open();
    const server = createServer();
    const bs = new BackupServer(server, store, log);
    server.on('connection', (s) => bs.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
    log('info', 'backup server listening', { address: bs.address(), dir: opts.dir });
    return bs;
  }

  address(): { host: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('backup server is not listening');
    return { host: a.address, port: a.port };
  }

  private accept(s: Socket): void {
    if (this.current !== null) {
      this.log('warn', 'backup server: a new client replaces the current one', { remote: s.remoteAddress });
      this.current.destroy();
    }
    this.current = s;
    s.setNoDelay(true);
    const decoder = new FrameDecoder();
    const inbox: Frame[] = [];
    s.on('data', (chunk: Buffer) => {
      try {
        inbox.push(...decoder.push(chunk));
      } catch (err) {
        this.log('warn', 'backup server: bad frame, dropping client', { error: errText(err) });
        s.destroy();
        return;
      }
      this.chain = this.chain.then(() => this.serve(s, inbox));
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.current === s) this.current = null;
    });
  }

  private async send(s: Socket, buf: Buffer): Promise<void> {
    if (s.destroyed) return;
    if (s.write(buf)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  private async serve(s: Socket, inbox: Frame[]): Promise<void> {
    while (inbox.length > 0 && !s.destroyed) {
      const f = inbox.shift()!;
      try {
        await this.handle(s, f, inbox);
      } catch (err) {
        this.log('warn', 'backup server: request failed', { type: f.type, error: errText(err) });
        await this.send(s, encodeFrame(FrameType.NACK, Buffer.concat([u64(0), Buffer.from(errText(err), 'utf8')])));
      }
    }
  }

  private async handle(s: Socket, f: Frame, inbox: Frame[]): Promise<void> {
    switch (f.type) {
      case FrameType.CHANGE:
      case FrameType.SNAPSHOT: {
        // Everything already received goes into one append: one fsync per burst (group commit).
        const frames = [f];
        while (inbox.length > 0 && (inbox[0]!.type === FrameType.CHANGE || inbox[0]!.type === FrameType.SNAPSHOT)) frames.push(inbox.shift()!);
        const records = frames.map(decodeRecord);
        try {
          await this.store.append(records);
        } catch (err) {
          const reason = Buffer.from(errText(err), 'utf8');
          await this.send(s, Buffer.concat(records.map((r) => encodeFrame(FrameType.NACK, Buffer.concat([u64(r.version), reason])))));
          return;
        }
        await this.send(s, Buffer.concat(records.map((r) => encodeFrame(FrameType.ACK, u64(r.version)))));
        return;
      }
      case FrameType.REQ_METADATA:
        await this.send(s, encodeFrame(FrameType.METADATA, Buffer.from(JSON.stringify(await this.store.metadata()), 'utf8')));
        return;
      case FrameType.REWIND: {
        const target = readU64(f.payload);
        await this.store.rewind(target);
        await this.send(s, encodeFrame(FrameType.ACK, u64(target)));
        return;
      }
      case FrameType.RESET:
        await this.store.replace([]);
        await this.send(s, encodeFrame(FrameType.ACK, u64(0)));
        return;
      case FrameType.RESTORE: {
        let n = 0;
        const v = await this.store.restore(async (r) => {
          await this.send(s, encodeRecord(r));
          n++;
        }, (done, total) => {
          if (s.writable) s.write(encodeFrame(FrameType.PROGRESS, Buffer.from(JSON.stringify({ done, total }))));
        });
        await this.send(s, encodeFrame(FrameType.DONE, u64(v)));
        this.log('info', 'backup server: restore sent', { entries: n, version: v });
        return;
      }
      case FrameType.COMPACT: {
        const stats = await this.store.compact((done, total) => {
          if (s.writable) s.write(encodeFrame(FrameType.PROGRESS, Buffer.from(JSON.stringify({ done, total }))));
        });
        await this.send(s, encodeFrame(FrameType.COMPACT_RES, Buffer.from(JSON.stringify(stats), 'utf8')));
        this.log('info', 'backup server: compacted', { ...stats });
        return;
      }
      default:
        await this.send(s, encodeFrame(FrameType.NACK, Buffer.concat([u64(0), Buffer.from(`unknown request type ${f.type}`)])));
    }
  }

  async close(): Promise<void> {
    this.current?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.chain.catch(() => undefined);
    await this.store.close();
  }
}
