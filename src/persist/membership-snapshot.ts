/**
 * The membership snapshot, after Serf's (serf/snapshot.go): an append-only text file that lets a
 * restarted node restore its clocks and rejoin the peers it was connected to.
 *
 *   alive: NAME ADDR      a member is up (split on the last space, so NAME may contain spaces)
 *   not-alive: NAME       it went away (kept as "failed" so a full outage can still be rejoined, serf#333)
 *   clock: N              membership Lamport clock: the highest logical time of a membership change
 *                         this node has seen or made. Restored first so a restarted node never issues a
 *                         change that looks older than one it already sent.
 *   event-clock: N        sequence number of the node's relay-event stream; consumers resume from it and
 *                         a restarted node continues above it, so nobody sees the sequence go backwards.
 *   leave                 the node left on purpose: forget the members (unless started to rejoin after leaving)
 *   # ...                 comment; "# shutdown" marks a clean stop
 *
 * Differences from Serf, each for a reported failure: compaction renames over the old file instead of
 * deleting it first (a crash in between lost the snapshot); a torn last line is cut off so the next
 * append does not glue onto it; a write error is retried by compaction at most every 30 s and
 * appending resumes afterwards (consul#1744); clocks never go backwards, not even on `leave`.
 */
import { Clock, systemClock } from '../clock.js';
import { installFile } from './atomic-file.js';
import { FileOps, OpsFile, realFileOps } from './file-ops.js';
import { errText, LogFn, stderrLog } from './logger.js';

/** Serf's snapshotBytesPerNode and snapshotCompactionThreshold: compact past 2 × 128 B per member… */
export const BYTES_PER_MEMBER = 128;
export const COMPACTION_FACTOR = 2;
/** …but never below 128 KiB (Serf's minCompactSize), so a small cluster does not compact constantly. */
export const MIN_COMPACT_SIZE = 128 * 1024;
/** Serf's flushInterval: at most this much of the stream is lost on kill -9. */
export const FLUSH_INTERVAL_MS = 500;
/**
 * Serf's shutdownFlushTimeout: how long close() waits for the last lines to reach the file. A disk
 * that hangs must not hold up a shutdown; what did not make it is what a crash would have lost.
 */
export const SHUTDOWN_FLUSH_TIMEOUT_MS = 250;
/** Serf's snapshotErrorRecoveryInterval. */
export const ERROR_RECOVERY_INTERVAL_MS = 30_000;
/** Failed members kept for rejoining after an outage; bounded so churn cannot grow the file forever. */
export const MAX_FAILED_KEPT = 4096;
const CLEAN_MARK = '# shutdown';
const COMPACT_TMP = '.compact';

export interface MembershipReplay {
  alive: Map<string, string>;
  /** Members last seen going away, name → last address (most recent last). */
  failed: Map<string, string>;
  clock: number;
  eventClock: number;
  left: boolean;
  /**
   * False after a crash: the last up to FLUSH_INTERVAL_MS of clock updates may be missing, so a node
   * that must never reuse an event number should resume a safe margin above `eventClock`.
   */
  clean: boolean;
}

export interface MembershipSnapshotOptions {
  rejoinAfterLeave?: boolean;
  clock?: Clock;
  log?: LogFn;
  ops?: FileOps;
  /** Disable with 0 to flush only on demand (tests drive flush() themselves). */
  flushIntervalMs?: number;
  /** Bound of the final flush in close(); default SHUTDOWN_FLUSH_TIMEOUT_MS. */
  shutdownFlushTimeoutMs?: number;
}

/** Parses snapshot text; a line without its newline is not part of it (see open()). */
export function replaySnapshot(text: string, rejoinAfterLeave: boolean, log: LogFn, path = ''): MembershipReplay {
  const r: MembershipReplay = { alive: new Map(), failed: new Map(), clock: 0, eventClock: 0, left: false, clean: false };
  let unknown = 0;
  let last = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    last = line;
    if (line.startsWith('#')) continue;
    // NUL-filled lines are what a crash leaves on some filesystems (consul#3362): skip them quietly.
    if (/^\0+$/.test(line)) continue;
    let m: RegExpExecArray | null;
    if ((m = /^alive: (.+) (\S+)$/.exec(line)) !== null) {
      r.alive.set(m[1]!, m[2]!);
      r.failed.delete(m[1]!);
      r.left = false;
    } else if ((m = /^not-alive: (.+)$/.exec(line)) !== null) {
      const addr = r.alive.get(m[1]!);
      r.alive.delete(m[1]!);
      if (addr !== undefined) r.failed.set(m[1]!, addr);
    } else if ((m = /^clock: (\d+)$/.exec(line)) !== null) {
      r.clock = Math.max(r.clock, Number(m[1]));
    } else if ((m = /^event-clock: (\d+)$/.exec(line)) !== null) {
      r.eventClock = Math.max(r.eventClock, Number(m[1]));
    } else if (line === 'leave') {
      if (!rejoinAfterLeave) {
        r.alive.clear();
        r.failed.clear();
        r.left = true;
      }
    } else {
      if (unknown < 10) log('warn', 'membership snapshot: unrecognised line skipped', { path, line: line.slice(0, 120) });
      unknown++;
    }
  }
  if (unknown > 10) log('warn', 'membership snapshot: more unrecognised lines skipped', { path, count: unknown - 10 });
  r.clean = last === CLEAN_MARK;
  while (r.failed.size > MAX_FAILED_KEPT) r.failed.delete(r.failed.keys().next().value!);
  return r;
}

export class MembershipSnapshot {
  private file: OpsFile;
  private offset: number;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly aliveNow: Map<string, string>;
  private readonly failedNow: Map<string, string>;
  private clockNow: number;
  private eventClockNow: number;
  private clockWritten: number;
  private eventClockWritten: number;
  private leaving = false;
  private left: boolean;
  /** Set by a write error; appends are dropped (the state is in memory) until a compaction succeeds. */
  private broken = false;
  private lastRecovery = -Infinity;
  private closed = false;
  /** Counts for status and tests. */
  readonly stats = { writeErrors: 0, compactions: 0, recoveries: 0 };

  private constructor(
    readonly path: string,
    file: OpsFile,
    size: number,
    replay: MembershipReplay,
    private readonly rejoinAfterLeave: boolean,
    private readonly clock: Clock,
    private readonly log: LogFn,
    private readonly ops: FileOps,
    private readonly flushIntervalMs: number,
    private readonly shutdownFlushTimeoutMs: number,
  ) {
    this.file = file;
    this.offset = size;
    this.aliveNow = new Map(replay.alive);
    this.failedNow = new Map(replay.failed);
    this.clockNow = this.clockWritten = replay.clock;
    this.eventClockNow = this.eventClockWritten = replay.eventClock;
    this.left = replay.left;
  }

  /**
   * Replays the file, cutting off a torn last line, and opens it for appending. Call before any
   * network I/O: the restored clocks must be in place before the first message (serf#465).
   */
  static async open(path: string, opts: MembershipSnapshotOptions = {}): Promise<{ snapshot: MembershipSnapshot; replay: MembershipReplay }> {
    const ops = opts.ops ?? realFileOps;
    const log = opts.log ?? stderrLog;
    await ops.unlink(path + COMPACT_TMP);
    let buf: Buffer = Buffer.alloc(0);
    if (await ops.exists(path)) buf = await ops.readFile(path);
    const end = buf.lastIndexOf(0x0a) + 1;
    const replay = replaySnapshot(buf.subarray(0, end).toString('utf8'), opts.rejoinAfterLeave === true, log, path);
    const file = await ops.open(path, 'a');
    if (end < buf.length) {
      log('warn', 'membership snapshot: torn last line cut off', { path, offset: end, bytes: buf.length - end });
      await file.truncate(end);
    }
    const snap = new MembershipSnapshot(path, file, end, replay, opts.rejoinAfterLeave === true, opts.clock ?? systemClock, log, ops, opts.flushIntervalMs ?? FLUSH_INTERVAL_MS, opts.shutdownFlushTimeoutMs ?? SHUTDOWN_FLUSH_TIMEOUT_MS);
    return { snapshot: snap, replay };
  }

  /** Members currently alive, as the snapshot records them. */
  get members(): ReadonlyMap<string, string> {
    return this.aliveNow;
  }

  get size(): number {
    return this.offset;
  }

  alive(name: string, addr: string): void {
    if (this.leaving || !valid(name) || !/^\S+$/.test(addr)) return;
    if (this.aliveNow.get(name) === addr) return;
    this.aliveNow.set(name, addr);
    this.failedNow.delete(name);
    this.left = false;
    this.append(`alive: ${name} ${addr}`);
  }

  notAlive(name: string): void {
    if (this.leaving || !valid(name)) return;
    const addr = this.aliveNow.get(name);
    if (addr === undefined) return;
    this.aliveNow.delete(name);
    this.failedNow.set(name, addr);
    if (this.failedNow.size > MAX_FAILED_KEPT) this.failedNow.delete(this.failedNow.keys().next().value!);
    this.append(`not-alive: ${name}`);
  }

  /** Clock lines are coalesced: only the highest value since the last flush is written. */
  updateClock(n: number): void {
    if (n > this.clockNow) {
      this.clockNow = n;
      this.schedule();
    }
  }

  updateEventClock(n: number): void {
    if (n > this.eventClockNow) {
      this.eventClockNow = n;
      this.schedule();
    }
  }

  private append(line: string): void {
    this.buffer.push(line);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.flushIntervalMs <= 0 || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes buffered lines (no fsync). Never throws: a write error is logged and recovered from. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.flushNow());
    return this.writing;
  }

  private takeLines(): string[] {
    const lines = this.buffer;
    this.buffer = [];
    if (this.clockNow > this.clockWritten) lines.push(`clock: ${this.clockNow}`);
    if (this.eventClockNow > this.eventClockWritten) lines.push(`event-clock: ${this.eventClockNow}`);
    return lines;
  }

  private async flushNow(): Promise<void> {
    if (this.broken) {
      // The state is in memory; a successful compaction writes all of it.
      this.buffer = [];
      if (this.clock.now() - this.lastRecovery >= ERROR_RECOVERY_INTERVAL_MS) {
        this.lastRecovery = this.clock.now();
        if (await this.compactNow()) {
          this.broken = false;
          this.stats.recoveries++;
          this.log('info', 'membership snapshot: writing again after an error', { path: this.path });
        }
      }
      return;
    }
    const lines = this.takeLines();
    if (lines.length === 0) return;
    const data = Buffer.from(lines.join('\n') + '\n', 'utf8');
    try {
      await this.file.append(data);
      this.offset += data.length;
      this.clockWritten = this.clockNow;
      this.eventClockWritten = this.eventClockNow;
    } catch (err) {
      this.onWriteError(err);
      return;
    }
    if (this.offset > Math.max(COMPACTION_FACTOR * BYTES_PER_MEMBER * this.aliveNow.size, MIN_COMPACT_SIZE)) await this.compactNow();
  }

  private onWriteError(err: unknown): void {
    this.stats.writeErrors++;
    this.broken = true;
    this.lastRecovery = this.clock.now();
    this.log('error', 'membership snapshot: write failed; the node keeps running and retries by compaction every 30 s', { path: this.path, error: errText(err) });
  }

  /** The live state as snapshot text. */
  private liveText(): string {
    const out = ['# wirerelay membership snapshot (compacted)'];
    for (const [name, addr] of this.failedNow) out.push(`alive: ${name} ${addr}`, `not-alive: ${name}`);
    for (const [name, addr] of this.aliveNow) out.push(`alive: ${name} ${addr}`);
    if (this.left) out.push('leave');
    out.push(`clock: ${this.clockNow}`, `event-clock: ${this.eventClockNow}`);
    return out.join('\n') + '\n';
  }

  /** Rewrites the file with the live state: tmp, fsync, rename over, fsync dir. Returns success. */
  private async compactNow(): Promise<boolean> {
    const tmp = this.path + COMPACT_TMP;
    const data = Buffer.from(this.liveText(), 'utf8');
    let f: OpsFile | null = null;
    try {
      f = await this.ops.open(tmp, 'w');
      await f.write(data, 0);
      await f.sync();
      await f.close();
      f = null;
      this.ops.at('membership:compact-written');
      await installFile(tmp, this.path, this.ops);
      const old = this.file;
      this.file = await this.ops.open(this.path, 'a');
      await old.close().catch(() => undefined);
    } catch (err) {
      await f?.close().catch(() => undefined);
      await this.ops.unlink(tmp).catch(() => undefined);
      if (!this.broken) this.onWriteError(err);
      else this.log('warn', 'membership snapshot: recovery compaction failed', { path: this.path, error: errText(err) });
      return false;
    }
    this.buffer = [];
    this.offset = data.length;
    this.clockWritten = this.clockNow;
    this.eventClockWritten = this.eventClockNow;
    this.stats.compactions++;
    return true;
  }

  /** Forces a compaction now (operator command, tests). */
  compact(): Promise<boolean> {
    let ok = false;
    this.writing = this.writing.then(async () => {
      ok = await this.compactNow();
      if (ok) this.broken = false;
    });
    return this.writing.then(() => ok);
  }

  private async syncNow(): Promise<void> {
    if (this.broken) return;
    try {
      await this.file.sync();
    } catch (err) {
      this.onWriteError(err);
    }
  }

  /**
   * Leaves on purpose: later member events are ignored, the members are forgotten (unless
   * rejoinAfterLeave) and `leave` is written and fsynced. A shutdown is not a leave.
   */
  async leave(): Promise<void> {
    this.leaving = true;
    this.left = true;
    if (!this.rejoinAfterLeave) {
      this.aliveNow.clear();
      this.failedNow.clear();
    }
    this.buffer.push('leave');
    await this.flush();
    this.writing = this.writing.then(() => this.syncNow());
    await this.writing;
  }

  /**
   * Flushes, marks a clean stop, fsyncs and closes, waiting at most shutdownFlushTimeoutMs (Serf:
   * 250 ms). Resolves false if the time ran out: the writes go on in the background, and the next
   * start sees no clean mark and replays what reached the file, as after a crash.
   */
  async close(): Promise<boolean> {
    if (this.closed) return true;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const finish = async (): Promise<true> => {
      await this.flush();
      // After the clock lines the flush may have written: the mark must be the last line.
      this.buffer.push(CLEAN_MARK);
      await this.flush();
      this.writing = this.writing.then(() => this.syncNow());
      await this.writing;
      await this.file.close().catch(() => undefined);
      return true;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.shutdownFlushTimeoutMs);
    });
    const done = await Promise.race([finish(), timeout]);
    clearTimeout(timer);
    if (!done) this.log('warn', 'membership snapshot: the shutdown flush did not finish in time; the next start replays what reached the file', { path: this.path, timeoutMs: this.shutdownFlushTimeoutMs });
    return done;
  }
}

const valid = (name: string): boolean => name.length > 0 && name.length <= 512 && !/[\n\r\0]/.test(name);

/**
 * The order in which to try previously known members at start: the alive ones shuffled (so a
 * restarted cluster does not stampede one node), then the failed ones, also shuffled. `random` is
 * injectable so tests can reproduce the order. The node stops at the first successful join, as Serf does.
 */
export interface RejoinCandidate {
  readonly name: string;
  readonly addr: string;
  /** How the snapshot last saw it: up, or gone (Serf rejoins failed members too, serf#333). */
  readonly was: 'alive' | 'failed';
}

export function rejoinOrder(replay: MembershipReplay, self: string, random: () => number = Math.random): RejoinCandidate[] {
  if (replay.left) return [];
  const shuffle = (m: Map<string, string>, was: RejoinCandidate['was']): RejoinCandidate[] => {
    const a = [...m].filter(([name]) => name !== self).map(([name, addr]) => ({ name, addr, was }));
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  return [...shuffle(replay.alive, 'alive'), ...shuffle(replay.failed, 'failed')];
}
