/**
 * The thin file layer every persistence module goes through. It exists so that tests can inject the
 * failures a real disk produces (ENOSPC, EIO) and crash the process at named points, without mocking
 * our own modules: the real calls still run unless a fault hook fires.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** The operations a fault hook can fail. */
export type FileOp = 'open' | 'write' | 'read' | 'sync' | 'truncate' | 'rename' | 'unlink' | 'close';

/**
 * Returns an errno-style error to make `op` on `path` fail, or undefined to let it run.
 * Called before the real operation, so a failed write leaves the file as it was.
 */
export type FaultHook = (op: FileOp, path: string) => NodeJS.ErrnoException | undefined;

/** Called at named steps of multi-step operations (compaction, rewind) so crash tests can stop there. */
export type StepHook = (step: string) => void;

export function errnoError(code: 'ENOSPC' | 'EIO' | 'EACCES', op: string, path: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: injected fault, ${op} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = op;
  err.path = path;
  return err;
}

/** An open file whose every call passes the fault hook first. */
export class OpsFile {
  constructor(
    private readonly ops: FileOps,
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  async write(buf: Uint8Array, position: number): Promise<void> {
    this.ops.check('write', this.path);
    let done = 0;
    // A short write is legal for write(2); loop rather than assume the kernel took everything.
    while (done < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
  }

  /** Appends at the end of a file opened with flag 'a'. */
  async append(buf: Uint8Array): Promise<void> {
    this.ops.check('write', this.path);
    await this.fh.appendFile(buf);
  }

  async read(buf: Uint8Array, position: number): Promise<number> {
    this.ops.check('read', this.path);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await this.fh.read(buf, done, buf.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async sync(): Promise<void> {
    this.ops.check('sync', this.path);
    this.ops.counters.syncs++;
    await this.fh.sync();
  }

  async truncate(len: number): Promise<void> {
    this.ops.check('truncate', this.path);
    await this.fh.truncate(len);
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export class FileOps {
  /** Counted so tests can see that concurrent commits shared one fsync. */
  readonly counters = { syncs: 0 };
  fault: FaultHook | undefined;
  step: StepHook | undefined;

  constructor(opts: { fault?: FaultHook; step?: StepHook } = {}) {
    this.fault = opts.fault;
    this.step = opts.step;
  }

  check(op: FileOp, path: string): void {
    const err = this.fault?.(op, path);
    if (err !== undefined) throw err;
  }

  /** Marks a named step; a crash test may kill the process here. */
  at(step: string): void {
    this.step?.(step);
  }

  async open(path: string, flags: 'r' | 'r+' | 'a' | 'wx' | 'w'): Promise<OpsFile> {
    this.check('open', path);
    return new OpsFile(this, path, await fsp.open(path, flags, 0o644));
  }

  async readFile(path: string): Promise<Buffer> {
    this.check('read', path);
    return fsp.readFile(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', to);
    await fsp.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    await fsp.rm(path, { force: true });
  }

  /** fsync a directory so a rename or create in it survives power loss. */
  async syncDir(dir: string): Promise<void> {
    this.check('sync', dir);
    this.counters.syncs++;
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

/** Production file layer: no hooks. */
export const realFileOps = new FileOps();
