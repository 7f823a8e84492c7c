/**
 * Generator process: N source or sink connections to the target over loopback TCP, driven by the
 * harness through IPC (ipc.ts). Run as `node peer-proc.js '<PeerProcConfig JSON>'` via fork().
 *
 * The generators share two cores with the node under test, so they are built to cost less per
 * message than the node:
 * - Sources encode every frame of a step before it starts ('prepare': one double SHA-256 per
 *   transaction gives both its checksum and its txid), then only slice and write: each 1 ms tick
 *   sends what is due on each connection in one write.
 * - Sinks split frames by the length field without verifying checksums, and answer an inv with a
 *   getdata and a ping with a pong by copying the frame and renaming its command (same payload, so
 *   the same checksum: no hashing at all on the sink side). They read the stamp in each
 *   transaction for accounting and latency.
 *
 * Source: handshake with relay=false (BIP37: the node announces nothing back), then offers
 * transactions on schedule, each either pushed as tx or announced by inv and served on getdata.
 * Sink: handshake with relay=true, getdata for every inv, pong for every ping.
 *
 * With `v2` every connection first runs the BIP324 handshake as initiator (v2-lite.ts, on the
 * node's own session code); each write's frames are then sealed in one batch, each read opened in one.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { LatencyHistogram } from './histogram.js';
import type { ChildEvent, ParentCommand, PeerProcConfig, Snapshot } from './ipc.js';
import { LiteFramer, TX_MAX_BYTES, TX_MIN_BYTES, doubleSha256, frame, nowMs, versionFrame, writeHeader, writeStampedTx } from './wire-lite.js';
import type { LiteFrame } from './wire-lite.js';
import { V2Lite } from './v2-lite.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as PeerProcConfig;
const send = (e: ChildEvent): void => {
  process.send?.(e);
};

/** Don't queue more in Node's socket buffer than this: past it the target is not keeping up. */
const WRITE_HIGH_WATER = 64 * 1024;
/** Entries per inv frame (a one-byte count). */
const INV_MAX = 250;
/**
 * Transactions a source may have offered on one connection before the node has processed them.
 * The node answers a ping after everything sent before it, so a ping every PING_EVERY transactions
 * and its pong bound what waits in the node's socket and framing buffers (8 MiB each by default —
 * seconds of queue that would otherwise measure buffer sizes, not the node).
 */
const WINDOW = 1024;
const PING_EVERY = 32;
/** Continuous mode ('rate') encodes this much ahead at a time. */
const CONTINUOUS_CHUNK_MS = 500;

/** One step's frames, encoded ahead: frame k is due at t0 + k·1000/rate on connection k mod C. */
interface Plan {
  readonly epoch: number;
  readonly rate: number;
  readonly n: number;
  /** Frames before this index are warm-up, the rest are measured. */
  readonly nWarm: number;
  readonly frameLen: number;
  readonly slab: Buffer;
  /** 1 where frame k is announced by inv instead of pushed. */
  readonly announce: Uint8Array;
  /** 36 bytes per frame: inv entry (MSG_TX, txid). */
  readonly entries: Buffer;
  /** 48-bit txid prefix → k, for the announced frames. */
  readonly byKey: Map<number, number>;
  t0: number;
  /** Frames offered so far. */
  offered: number;
}

class Conn {
  readonly framer: LiteFramer;
  /** The v2 session when the generators speak BIP324, else null (v1 frames as they are). */
  readonly v2: V2Lite | null;
  established = false;
  closed = false;
  gotVersion = false;
  gotVerack = false;
  out: Buffer[] = [];
  invs: number[] = [];
  /** Next frame index of the current plan for this connection (≡ its index mod C). */
  nextK = 0;
  /** Offered since the last answered ping, and the pings in flight with what each covers. */
  unacked = 0;
  sincePing = 0;
  readonly pings: Array<{ nonce: bigint; count: number }> = [];

  constructor(
    readonly socket: Socket,
    readonly index: number,
  ) {
    this.framer = new LiteFramer((f) => onFrame(this, f));
    this.v2 = cfg.v2 === true && cfg.handshake ? new V2Lite((f) => onFrame(this, f)) : null;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      try {
        if (this.v2 === null) this.framer.push(c);
        else {
          const hs = this.v2.push(c);
          if (hs !== undefined) socket.write(hs);
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.established = false;
    });
  }

  get writable(): boolean {
    return this.established && !this.closed && this.socket.writableLength < WRITE_HIGH_WATER && this.unacked < WINDOW;
  }

  /** Writes everything queued (announcements as inv frames, then a ping if due) in one write. */
  flush(plan: Plan | null): void {
    if (this.invs.length > 0 && plan !== null) {
      for (let i = 0; i < this.invs.length; i += INV_MAX) {
        const m = Math.min(INV_MAX, this.invs.length - i);
        const payload = Buffer.allocUnsafe(1 + 36 * m);
        payload[0] = m;
        for (let j = 0; j < m; j++) plan.entries.copy(payload, 1 + 36 * j, this.invs[i + j]! * 36, this.invs[i + j]! * 36 + 36);
        this.out.push(frame('inv', payload));
        stats.sentInv += m;
      }
      this.invs = [];
    }
    if (this.sincePing >= PING_EVERY && cfg.handshake) {
      const nonce = BigInt(++pingSeq);
      const b = Buffer.allocUnsafe(8);
      b.writeBigUInt64LE(nonce);
      this.pings.push({ nonce, count: this.sincePing });
      this.sincePing = 0;
      // After the invs and txs of this batch, so its pong covers them.
      this.out.push(frame('ping', b));
    }
    if (this.out.length === 0) return;
    if (this.closed) {
      this.out = [];
      return;
    }
    const frames = this.out;
    this.out = [];
    this.write(frames);
  }

  /** Writes whole v1 frames now, in one socket write (v2: sealed in one batch). */
  write(frames: Buffer[]): void {
    const b = this.v2 !== null ? this.v2.seal(frames) : frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    if (b === undefined) return;
    stats.sentBytes += b.byteLength;
    this.socket.write(b);
  }

  onPong(nonce: bigint): void {
    while (this.pings.length > 0) {
      const p = this.pings.shift()!;
      this.unacked -= p.count;
      if (p.nonce === nonce) break;
    }
  }
}

const conns: Conn[] = [];
const stats = { offeredTx: 0, sentTx: 0, sentInv: 0, sentBytes: 0, receivedTx: 0, receivedBytes: 0, notfound: 0, getdataSent: 0, behind: 0 };
const measured = { offered: 0, pushed: 0, announced: 0, served: 0, received: 0, notfound: 0 };
/** Sink: latency of measured transactions. Source: lateness of measured sends. */
const hist = new LatencyHistogram();
let elu0 = performance.eventLoopUtilization();
let pingSeq = 0;
/** Sink: the current epoch and its start. */
let epoch = -1;
let epochT0 = 0;
/** Source: the plan being sent, and the one before it (getdata may still ask for its frames). */
let plan: Plan | null = null;
let previous: Plan | null = null;

/** A pong or getdata built from the frame it answers: same payload, same checksum. */
function renamed(f: LiteFrame, command: string): Buffer {
  const out = Buffer.allocUnsafe(24 + f.length);
  f.buf.copy(out, 0, f.offset - 24, f.offset + f.length);
  out.fill(0, 4, 16);
  out.write(command, 4, 'latin1');
  return out;
}

function onFrame(c: Conn, f: LiteFrame): void {
  switch (f.command) {
    case 'tx': {
      stats.receivedTx++;
      stats.receivedBytes += 24 + f.length;
      if (f.length >= TX_MIN_BYTES && f.buf[f.offset + 25] === 1 && f.buf.readUInt32LE(f.offset + 21) === epoch) {
        measured.received++;
        hist.record((nowMs() - epochT0 - f.buf.readDoubleLE(f.offset + 5)) * 1000);
      }
      return;
    }
    case 'inv':
      if (cfg.role === 'sink') {
        // getdata has the inv's exact layout: ask for the same entries.
        stats.getdataSent++;
        c.out.push(renamed(f, 'getdata'));
        scheduleFlush();
      }
      return;
    case 'getdata':
      serve(c, f);
      return;
    case 'ping':
      c.out.push(renamed(f, 'pong'));
      scheduleFlush();
      return;
    case 'pong':
      if (f.length >= 8) c.onPong(f.buf.readBigUInt64LE(f.offset));
      return;
    case 'notfound': {
      const n = f.length > 0 ? f.buf[f.offset]! : 0;
      stats.notfound += n;
      measured.notfound += n;
      return;
    }
    case 'version':
      c.gotVersion = true;
      c.write([frame('verack', new Uint8Array(0))]);
      if (c.gotVerack) c.established = true;
      return;
    case 'verack':
      c.gotVerack = true;
      if (c.gotVersion) c.established = true;
      return;
    default:
      return;
  }
}

function lookup(p: Plan | null, b: Buffer, entry: number): number {
  if (p === null) return -1;
  const k = p.byKey.get(b.readUIntLE(entry + 4, 6));
  if (k === undefined || b.compare(p.entries, k * 36 + 4, k * 36 + 36, entry + 4, entry + 36) !== 0) return -1;
  return k;
}

/** Source: send the requested transactions; what we do not have is answered with notfound, as a real node does. */
function serve(c: Conn, f: LiteFrame): void {
  const b = f.buf;
  const n = f.length > 0 ? b[f.offset]! : 0;
  const missing: number[] = [];
  for (let i = 0; i < n && 1 + 36 * (i + 1) <= f.length; i++) {
    const entry = f.offset + 1 + 36 * i;
    let p = plan;
    let k = lookup(p, b, entry);
    if (k < 0) {
      p = previous;
      k = lookup(p, b, entry);
    }
    if (k < 0 || p === null) {
      missing.push(entry);
      continue;
    }
    stats.sentTx++;
    if (p === plan && k >= p.nWarm) measured.served++;
    c.out.push(p.slab.subarray(k * p.frameLen, (k + 1) * p.frameLen));
  }
  if (missing.length > 0 && missing.length < 0xfd) {
    const payload = Buffer.allocUnsafe(1 + 36 * missing.length);
    payload[0] = missing.length;
    missing.forEach((e, j) => b.copy(payload, 1 + 36 * j, e, e + 36));
    c.out.push(frame('notfound', payload));
  }
  scheduleFlush();
}

let flushScheduled = false;
function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    for (const c of conns) if (c.out.length > 0 || c.invs.length > 0) c.flush(plan);
  });
}

// ---- connecting -----------------------------------------------------------------------------------

function open(i: number): Promise<Conn | null> {
  return new Promise((resolve) => {
    const localAddress = cfg.localIps.length > 0 ? cfg.localIps[i % cfg.localIps.length] : undefined;
    const s = connect({ host: cfg.host, port: cfg.port, localAddress });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(null);
    }, 15_000);
    s.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    s.once('connect', () => {
      const c = new Conn(s, i);
      if (!cfg.handshake) {
        clearTimeout(timer);
        c.established = true;
        resolve(c);
        return;
      }
      if (c.v2 !== null) s.write(c.v2.start());
      c.write([versionFrame(randomBytes(8).readBigUInt64LE() & 0x7fff_ffff_ffff_ffffn, cfg.role === 'sink')]);
      const poll = setInterval(() => {
        if (c.established || c.closed) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(c.established ? c : null);
        }
      }, 5);
    });
  });
}

async function connectAll(): Promise<void> {
  const batch = cfg.connectBatch ?? 50;
  let failed = 0;
  for (let i = 0; i < cfg.conns; i += batch) {
    const got = await Promise.all(Array.from({ length: Math.min(batch, cfg.conns - i) }, (_, k) => open(i + k)));
    for (const c of got) {
      if (c === null) failed++;
      else conns.push(c);
    }
  }
  send({ evt: 'ready', established: conns.length, failed });
}

// ---- sending (sources) ----------------------------------------------------------------------------

/** Encodes `n` frames; `stampAt(k)` is frame k's stamped send time (epoch-relative, or absolute for epoch 0). */
function encodePlan(ep: number, rate: number, invFraction: number, n: number, nWarm: number, stampAt: (k: number) => number): Plan {
  const txLen = Math.min(TX_MAX_BYTES, Math.max(TX_MIN_BYTES, cfg.txBytes));
  const frameLen = 24 + txLen;
  const slab = Buffer.allocUnsafe(n * frameLen);
  const announce = new Uint8Array(n);
  const entries = Buffer.allocUnsafe(n * 36);
  const byKey = new Map<number, number>();
  const useInv = cfg.handshake && invFraction > 0;
  for (let k = 0; k < n; k++) {
    const off = k * frameLen;
    writeStampedTx(slab, off + 24, txLen, { sourceId: cfg.sourceId, seq: k, epoch: ep, atMs: stampAt(k), measured: k >= nWarm });
    // For a transaction without witness data the txid is the payload's double SHA-256, whose
    // first four bytes are also the frame checksum: one hash gives both.
    const h = doubleSha256(slab.subarray(off + 24, off + frameLen));
    writeHeader(slab, off, 'tx', txLen, h);
    entries.writeUInt32LE(1, k * 36);
    entries.set(h, k * 36 + 4);
    // Evenly spread: k is announced when the running share of announcements steps up.
    if (useInv && Math.floor((k + 1) * invFraction) > Math.floor(k * invFraction)) {
      announce[k] = 1;
      byKey.set(h.readUIntLE(0, 6), k);
    }
  }
  return { epoch: ep, rate, n, nWarm, frameLen, slab, announce, entries, byKey, t0: 0, offered: 0 };
}

function install(p: Plan): void {
  stopSending();
  previous = plan;
  plan = p;
  for (const c of conns) c.nextK = c.index;
}

let pacer: NodeJS.Timeout | undefined;
/** Connections that could not take what was due (full window or socket buffer). */
const lagging = new Set<Conn>();
let due = 0;

function stopSending(): void {
  if (pacer !== undefined) clearInterval(pacer);
  pacer = undefined;
  lagging.clear();
}

/** Offers what is due on `c` up to frame index `upTo`; false if it had to stop early. */
function pump(c: Conn, p: Plan, upTo: number, now: number): boolean {
  const C = conns.length;
  while (c.nextK < upTo) {
    if (!c.writable) return false;
    const k = c.nextK;
    c.nextK += C;
    p.offered++;
    stats.offeredTx++;
    if (cfg.handshake) {
      c.unacked++;
      c.sincePing++;
    }
    const isMeasured = k >= p.nWarm && p.epoch !== 0;
    if (isMeasured) {
      measured.offered++;
      hist.record((now - p.t0 - (k * 1000) / p.rate) * 1000);
    }
    if (p.announce[k] === 1) {
      c.invs.push(k);
      if (isMeasured) measured.announced++;
    } else {
      c.out.push(p.slab.subarray(k * p.frameLen, (k + 1) * p.frameLen));
      stats.sentTx++;
      if (isMeasured) measured.pushed++;
    }
    if (c.sincePing >= PING_EVERY || c.invs.length >= INV_MAX) c.flush(p);
  }
  return true;
}

function tick(): void {
  const p = plan;
  if (p === null) return;
  const now = nowMs();
  const C = conns.length;
  const prev = due;
  due = Math.max(0, Math.min(p.n, Math.floor(((now - p.t0) * p.rate) / 1000) + 1));
  if (due <= 0 || C === 0) return;
  const visit = (c: Conn): void => {
    if (pump(c, p, due, now)) lagging.delete(c);
    else lagging.add(c);
    c.flush(p);
  };
  if (lagging.size > 0) stats.behind++;
  for (const c of [...lagging]) visit(c);
  if (due - prev >= C) for (const c of conns) visit(c);
  else for (let k = prev; k < due; k++) visit(conns[k % C]!);
  if (p.offered >= p.n) {
    if (p.epoch === 0) continuous(p.rate, p.t0 + (p.n * 1000) / p.rate);
    else stopSending();
  }
}

function start(p: Plan, t0: number): void {
  if (plan !== p) install(p);
  else stopSending();
  p.t0 = t0;
  due = 0;
  pacer = setInterval(tick, 1);
}

/** Continuous mode (soak): chunks of CONTINUOUS_CHUNK_MS, stamped with absolute send times (epoch 0). */
function continuous(rate: number, t0: number): void {
  const n = Math.max(1, Math.round((rate * CONTINUOUS_CHUNK_MS) / 1000));
  const p = encodePlan(0, rate, cfg.invFraction, n, n, (k) => t0 + (k * 1000) / rate);
  start(p, t0);
}

// ---- control ---------------------------------------------------------------------------------------

function snapshot(reset: boolean): Snapshot {
  const s: Snapshot = {
    role: cfg.role,
    atMs: nowMs(),
    open: conns.filter((c) => !c.closed).length,
    ...stats,
    elu: performance.eventLoopUtilization(elu0).utilization,
    measured: { ...measured, latency: hist.toJSON() },
    planDone: plan === null || plan.offered >= plan.n,
  };
  if (reset) {
    elu0 = performance.eventLoopUtilization();
    for (const k of Object.keys(stats) as Array<keyof typeof stats>) stats[k] = 0;
  }
  return s;
}

function resetMeasured(): void {
  hist.reset();
  for (const k of Object.keys(measured) as Array<keyof typeof measured>) measured[k] = 0;
}

process.on('message', (m: ParentCommand) => {
  switch (m.cmd) {
    case 'connect':
      void connectAll().catch((err: unknown) => send({ evt: 'ready', established: conns.length, failed: cfg.conns, error: String(err) }));
      return;
    case 'rate':
      if (m.rate > 0) continuous(m.rate, nowMs());
      else stopSending();
      return;
    case 'prepare': {
      stopSending();
      const t = performance.now();
      const nWarm = Math.round((m.rate * m.warmMs) / 1000);
      const n = nWarm + Math.max(1, Math.round((m.rate * m.stepMs) / 1000));
      const p = encodePlan(m.epoch, m.rate, m.invFraction, n, nWarm, (k) => (k * 1000) / m.rate);
      install(p);
      resetMeasured();
      send({ evt: 'prepared', frames: n, encodeMs: performance.now() - t });
      return;
    }
    case 'go':
      if (plan !== null && plan.epoch === m.epoch) start(plan, m.t0);
      return;
    case 'epoch':
      epoch = m.epoch;
      epochT0 = m.t0;
      resetMeasured();
      return;
    case 'pause':
      stopSending();
      return;
    case 'snapshot':
      send({ evt: 'snapshot', snapshot: snapshot(m.reset) });
      return;
    case 'reading':
      for (const c of conns) (m.on ? c.socket.resume() : c.socket.pause());
      return;
    case 'exit':
      stopSending();
      for (const c of conns) c.socket.destroy();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
