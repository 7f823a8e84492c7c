/**
 * Generator process: N source or sink connections to the target over loopback TCP, driven by the
 * harness through IPC (ipc.ts). Run as `node peer-proc.js '<PeerProcConfig JSON>'` via fork().
 *
 * Source: handshake with relay=false (BIP37: the node announces nothing back), then offers
 * transactions at the commanded rate, `invFraction` of them as inv → getdata → tx, the rest pushed.
 * Sink: handshake with relay=true, answers every inv with a getdata for the same entries and ping
 * with pong, and records each transaction's source→sink latency from the stamp inside it.
 * Frames to one socket in one tick are concatenated into one write: the generators must cost the
 * machine as little as possible, since the node under test shares its two cores.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { LatencyHistogram } from './histogram.js';
import type { ChildEvent, ParentCommand, PeerProcConfig, Snapshot } from './ipc.js';
import { LiteFramer, doubleSha256, frame, invPayload, nowMs, stampedTx, txSentMs, versionFrame } from './wire-lite.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as PeerProcConfig;
const send = (e: ChildEvent): void => {
  process.send?.(e);
};

/** Pending inv'd transactions kept for getdata; past this the oldest are forgotten (bounded memory). */
const MAX_PENDING = 200_000;
/** Don't queue more in Node's socket buffer than this: past it the target is not keeping up. */
const WRITE_HIGH_WATER = 64 * 1024;
/** Paced sending falls back at most this far behind schedule before the debt is written off. */
const MAX_DEBT_MS = 100;
const INV_BATCH = 64;
/**
 * Transactions a source may have offered on one connection before the node has processed them.
 * The node answers a ping after everything sent before it, so a ping after each batch and its pong
 * bound what waits in the node's socket and framing buffers (8 MiB each by default — seconds of
 * queue that would otherwise make "as fast as it accepts" measure buffer sizes, not the node).
 */
const WINDOW = 1024;
const PING_EVERY = 32;

class Conn {
  readonly framer: LiteFramer;
  established = false;
  closed = false;
  gotVersion = false;
  gotVerack = false;
  out: Buffer[] = [];
  invs: Buffer[] = [];
  /** Offered since the last answered ping, and the pings in flight with what each covers. */
  unacked = 0;
  sincePing = 0;
  readonly pings: Array<{ nonce: bigint; count: number }> = [];
  pendingPing: Buffer | null = null;

  constructor(readonly socket: Socket) {
    this.framer = new LiteFramer((f) => onFrame(this, f.command, f.payload));
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      try {
        this.framer.push(c);
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

  queue(b: Buffer): void {
    this.out.push(b);
  }

  flush(): void {
    if (this.sincePing > 0 && cfg.handshake) {
      const nonce = BigInt(++pingSeq);
      const b = Buffer.allocUnsafe(8);
      b.writeBigUInt64LE(nonce);
      this.pings.push({ nonce, count: this.sincePing });
      this.sincePing = 0;
      // After the invs and txs of this batch, so its pong covers them.
      this.pendingPing = b;
    }
    if (this.invs.length > 0) {
      for (let i = 0; i < this.invs.length; i += INV_BATCH) {
        const chunk = this.invs.slice(i, i + INV_BATCH);
        this.out.push(frame('inv', invPayload(chunk)));
        stats.sentInv += chunk.length;
      }
      this.invs = [];
    }
    if (this.pendingPing !== null) {
      this.out.push(frame('ping', this.pendingPing));
      this.pendingPing = null;
    }
    if (this.out.length === 0 || this.closed) {
      this.out = [];
      return;
    }
    const b = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    stats.sentBytes += b.byteLength;
    this.socket.write(b);
  }

  get writable(): boolean {
    return this.established && !this.closed && this.socket.writableLength < WRITE_HIGH_WATER && this.unacked < WINDOW;
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
const hist = new LatencyHistogram();
const pending = new Map<string, Buffer>();
const stats = { offeredTx: 0, sentTx: 0, sentInv: 0, sentBytes: 0, receivedTx: 0, receivedBytes: 0, notfound: 0, getdataSent: 0, behind: 0 };
let seq = 0;
let pingSeq = 0;
let reading = true;

function onFrame(c: Conn, command: string, payload: Buffer): void {
  switch (command) {
    case 'version':
      c.gotVersion = true;
      c.socket.write(frame('verack', new Uint8Array(0)));
      if (c.gotVerack) c.established = true;
      return;
    case 'verack':
      c.gotVerack = true;
      if (c.gotVersion) c.established = true;
      return;
    case 'ping':
      c.socket.write(frame('pong', payload));
      return;
    case 'pong':
      if (payload.byteLength >= 8) c.onPong(payload.readBigUInt64LE(0));
      return;
    case 'inv':
      if (cfg.role === 'sink') {
        // getdata has the inv's exact layout: answer with the same entries.
        stats.getdataSent++;
        c.queue(frame('getdata', payload));
        scheduleFlush();
      }
      return;
    case 'getdata': {
      const n = payload[0]!;
      const missing: Buffer[] = [];
      for (let i = 0; i < n && 1 + 36 * (i + 1) <= payload.byteLength; i++) {
        const key = payload.toString('latin1', 5 + 36 * i, 41 + 36 * i);
        const tx = pending.get(key);
        if (tx === undefined) {
          missing.push(payload.subarray(1 + 36 * i, 1 + 36 * (i + 1)));
          continue;
        }
        pending.delete(key);
        stats.sentTx++;
        c.queue(tx);
      }
      // Like a real node: what we no longer have is answered with notfound, or the relay would
      // wait for it until its stall timeout and drop us.
      if (missing.length > 0 && missing.length < 0xfd) c.queue(frame('notfound', Buffer.concat([Buffer.from([missing.length]), ...missing])));
      scheduleFlush();
      return;
    }
    case 'tx': {
      stats.receivedTx++;
      stats.receivedBytes += 24 + payload.byteLength;
      const sent = txSentMs(payload);
      if (Number.isFinite(sent)) hist.record((nowMs() - sent) * 1000);
      return;
    }
    case 'notfound':
      stats.notfound += payload[0] ?? 0;
      return;
    default:
      return;
  }
}

let flushScheduled = false;
function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    for (const c of conns) if (c.out.length > 0 || c.invs.length > 0) c.flush();
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
      const c = new Conn(s);
      if (!cfg.handshake) {
        clearTimeout(timer);
        c.established = true;
        resolve(c);
        return;
      }
      s.write(versionFrame(randomBytes(8).readBigUInt64LE() & 0x7fff_ffff_ffff_ffffn, cfg.role === 'sink'));
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

let rr = 0;
function nextWritable(): Conn | undefined {
  for (let k = 0; k < conns.length; k++) {
    const c = conns[(rr + k) % conns.length]!;
    if (c.writable) {
      rr = (rr + k + 1) % conns.length;
      return c;
    }
  }
  return undefined;
}

function offerOne(c: Conn): void {
  stats.offeredTx++;
  if (cfg.handshake) {
    c.unacked++;
    c.sincePing++;
  }
  const t = nowMs();
  const raw = stampedTx(cfg.txBytes, cfg.sourceId, seq++, t);
  const f = frame('tx', raw);
  if (cfg.handshake && cfg.invFraction > 0 && Math.random() < cfg.invFraction) {
    const txid = doubleSha256(raw);
    pending.set(txid.toString('latin1'), f);
    if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value!);
    c.invs.push(txid);
    return;
  }
  stats.sentTx++;
  c.queue(f);
}

let pacer: NodeJS.Timeout | undefined;
let maxLoop = false;

function stopSending(): void {
  if (pacer !== undefined) clearInterval(pacer);
  pacer = undefined;
  maxLoop = false;
}

function startPaced(rate: number): void {
  stopSending();
  let base = performance.now();
  let offered = 0;
  pacer = setInterval(() => {
    const now = performance.now();
    let due = Math.floor(((now - base) * rate) / 1000) - offered;
    if (due > (rate * MAX_DEBT_MS) / 1000) {
      // The target (or this process) did not keep up: write the debt off instead of bursting it.
      stats.behind++;
      base = now;
      offered = 0;
      due = Math.ceil(rate / 1000);
    }
    for (let k = 0; k < due; k++) {
      const c = nextWritable();
      if (c === undefined) break;
      offerOne(c);
      offered++;
      if (c.sincePing >= PING_EVERY) c.flush();
    }
    for (const c of conns) c.flush();
  }, 1);
}

function startMax(): void {
  stopSending();
  maxLoop = true;
  const turn = (): void => {
    if (!maxLoop) return;
    const end = performance.now() + 4;
    let wrote = 0;
    while (performance.now() < end) {
      const c = nextWritable();
      if (c === undefined) break;
      for (let k = 0; k < PING_EVERY && c.writable; k++) offerOne(c);
      c.flush();
      wrote++;
    }
    // Every socket full: wait for one to drain rather than spin.
    if (wrote === 0) setTimeout(turn, 1);
    else setImmediate(turn);
  };
  setImmediate(turn);
}

// ---- control ---------------------------------------------------------------------------------------

function snapshot(reset: boolean): Snapshot {
  const s: Snapshot = {
    role: cfg.role,
    atMs: nowMs(),
    open: conns.filter((c) => !c.closed).length,
    ...stats,
    latency: hist.toJSON(),
  };
  if (reset) {
    hist.reset();
    for (const k of Object.keys(stats) as Array<keyof typeof stats>) stats[k] = 0;
  }
  return s;
}

process.on('message', (m: ParentCommand) => {
  switch (m.cmd) {
    case 'connect':
      void connectAll().catch((err: unknown) => send({ evt: 'ready', established: conns.length, failed: cfg.conns, error: String(err) }));
      return;
    case 'rate':
      if (m.rate === 'max') startMax();
      else if (m.rate > 0) startPaced(m.rate);
      else stopSending();
      return;
    case 'pause':
      stopSending();
      return;
    case 'snapshot':
      send({ evt: 'snapshot', snapshot: snapshot(m.reset) });
      return;
    case 'reading':
      reading = m.on;
      for (const c of conns) (reading ? c.socket.resume() : c.socket.pause());
      return;
    case 'exit':
      stopSending();
      for (const c of conns) c.socket.destroy();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
