/**
 * The attack suite's peers over loopback TCP: a scriptable attacker connection, a good peer that
 * pings the node all through an attack, and a legitimate connector that keeps making fresh
 * handshakes. Frames come from the load harness's lean wire helpers (bench/load/wire-lite.ts).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { frame, LiteFramer, versionFrame } from '../load/wire-lite.js';

export interface PeerOptions {
  readonly port: number;
  /** Source address on loopback (127.0.0.0/8): each attacker gets its own. */
  readonly localAddress: string;
  /** Reply to pings and complete the handshake (default true). */
  readonly handshake?: boolean;
  readonly onFrame?: (command: string, payload: Buffer) => void;
}

/** One connection to the node. `ready` resolves after verack both ways (or at connect without a handshake). */
export class BenchPeer {
  readonly socket: Socket;
  readonly ready: Promise<void>;
  closed = false;
  bytesSent = 0;
  private readonly framer: LiteFramer;

  constructor(opts: PeerOptions) {
    this.socket = connect({ host: '127.0.0.1', port: opts.port, localAddress: opts.localAddress, noDelay: true });
    this.socket.on('error', () => {});
    let gotVersion = false;
    let gotVerack = false;
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    this.ready.catch(() => {});
    const handshake = opts.handshake !== false;
    this.framer = new LiteFramer((f) => {
      if (f.command === 'version' && !gotVersion) {
        gotVersion = true;
        this.send(frame('verack', new Uint8Array(0)));
      } else if (f.command === 'verack') {
        gotVerack = true;
      } else if (f.command === 'ping') {
        this.send(frame('pong', Buffer.from(f.payload)));
      }
      if (gotVersion && gotVerack) resolveReady();
      opts.onFrame?.(f.command, f.payload);
    });
    this.socket.on('data', (c: Buffer) => {
      try {
        this.framer.push(c);
      } catch {
        this.socket.destroy();
      }
    });
    this.socket.once('connect', () => {
      if (!handshake) return resolveReady();
      this.send(versionFrame(randomBytes(8).readBigUInt64LE(0), true, '/wirerelay-attack:0.1/'));
    });
    this.socket.once('close', () => {
      this.closed = true;
      rejectReady(new Error('closed before the handshake completed'));
    });
  }

  /** Writes bytes; returns false when the socket's buffer is full (wait for 'drain'). */
  send(b: Uint8Array): boolean {
    if (this.closed) return false;
    this.bytesSent += b.byteLength;
    return this.socket.write(b);
  }

  /** Resolves when the socket can take more, or closed. */
  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((r) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        r();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resolves with `p`, or rejects after `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

/** A well-behaved peer that pings every `everyMs` and records each round trip. */
export class GoodPeer {
  readonly rtts: number[] = [];
  private peer: BenchPeer | null = null;
  private timer: NodeJS.Timeout | undefined;
  private sent = new Map<bigint, number>();
  private recording = false;
  /** Pings that never came back while recording (counted as lost, not as a time). */
  lost = 0;

  constructor(
    private readonly port: number,
    private readonly localAddress: string,
    private readonly everyMs = 20,
  ) {}

  async start(): Promise<void> {
    const peer = new BenchPeer({
      port: this.port,
      localAddress: this.localAddress,
      onFrame: (command, payload) => {
        if (command !== 'pong' || payload.byteLength < 8) return;
        const nonce = payload.readBigUInt64LE(0);
        const at = this.sent.get(nonce);
        if (at === undefined) return;
        this.sent.delete(nonce);
        if (this.recording) this.rtts.push(performance.now() - at);
      },
    });
    this.peer = peer;
    await within(peer.ready, 10_000);
    let n = 0n;
    this.timer = setInterval(() => {
      const nonce = ++n;
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(nonce);
      this.sent.set(nonce, performance.now());
      peer.send(frame('ping', b));
    }, this.everyMs);
  }

  /** Starts keeping round trips (the attack window). */
  record(on: boolean): void {
    if (!on) this.lost += this.sent.size;
    this.sent.clear();
    this.recording = on;
  }

  get connected(): boolean {
    return this.peer !== null && !this.peer.closed;
  }

  stop(): void {
    clearInterval(this.timer);
    this.peer?.close();
  }
}

/** Makes a fresh handshake every `everyMs` from rotating loopback addresses; counts successes. */
export class LegitConnector {
  attempts = 0;
  accepted = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly port: number,
    private readonly everyMs = 250,
    private readonly timeoutMs = 5_000,
  ) {}

  start(): void {
    let k = 0;
    this.timer = setInterval(() => {
      const ip = `127.0.1.${1 + (k++ % 250)}`;
      this.attempts++;
      const peer = new BenchPeer({ port: this.port, localAddress: ip });
      const p = within(peer.ready, this.timeoutMs).then(
        () => {
          this.accepted++;
          peer.close();
        },
        () => peer.close(),
      );
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
  }
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
