/**
 * A minimal Bitcoin peer over a real socket, for driving a node from tests: it frames with the
 * project's own scanner and codecs, handshakes, and records what it receives.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { StreamDecoder } from '../../src/framing/stream-decoder.js';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import { decodePayload, encodePayload } from '../../src/wire/codec.js';
import { newVersionMessage } from '../../src/wire/messages/version.js';
import type { Message } from '../../src/wire/codec.js';
import { NETWORKS, PROTOCOL_VERSION } from '../../src/wire/constants.js';

const scanner = new FrameScanner();
export const REGTEST = NETWORKS.regtest.magic;

export function frameOf(msg: Message, magic = REGTEST): Uint8Array {
  return scanner.encodeFrame(magic, msg.command, encodePayload(msg, PROTOCOL_VERSION));
}

export function versionMessage(nonce = 12345n, userAgent = '/raw-peer:0.1/'): Message {
  return newVersionMessage({ nonce, userAgent, timestampSec: Math.floor(Date.now() / 1000) });
}

export class RawPeer {
  readonly received: Message[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  private readonly decoder: StreamDecoder;

  private constructor(readonly socket: Socket) {
    this.decoder = new StreamDecoder(REGTEST, new FrameVerifier(undefined, {}, scanner), {
      onFrame: (f) => {
        if (f.command === undefined) return;
        this.received.push(decodePayload(f.command, f.payload, PROTOCOL_VERSION));
        this.wake();
      },
      onFrameError: () => {},
    });
    socket.on('data', (c) => this.decoder.push(c));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number, localAddress = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, localAddress });
      s.once('connect', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  /** Wraps a socket a test server accepted (the node dialled us). */
  static wrap(socket: Socket): RawPeer {
    return new RawPeer(socket);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(msg: Message): void {
    this.socket.write(frameOf(msg));
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Resolves when `pred` holds (checked on every received message and on close). */
  async until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  has(command: string): boolean {
    return this.received.some((m) => m.command === command);
  }

  async handshake(): Promise<void> {
    this.send(versionMessage());
    await this.until(() => this.has('version') && this.has('verack'), 'version and verack');
    this.send({ command: 'verack' });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Polls `pred` until it holds. */
export async function eventually(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
