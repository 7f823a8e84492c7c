/**
 * The plaintext v1 transport: socket bytes are v1 frames already, so inbound is the stream decoder
 * (one WASM scan per read) and outbound is the identity — a forwarded frame is written as the exact
 * bytes it arrived in.
 */
import { StreamDecoder } from '../framing/stream-decoder.js';
import type { Transport, TransportContext } from './transport.js';

export class V1Transport implements Transport {
  readonly name = 'v1';
  readonly passthrough = true;
  private readonly decoder: StreamDecoder;
  private readonly ctx: TransportContext;

  constructor(ctx: TransportContext) {
    this.ctx = ctx;
    this.decoder = new StreamDecoder(ctx.magic, ctx.verifier, {
      onBatch: (batch) => ctx.sink.onBatch(batch),
      onFrameError: (err, fatal) => ctx.sink.onError(err, fatal),
    });
  }

  start(): void {
    this.ctx.sink.onReady();
  }

  receive(chunk: Uint8Array): void {
    this.decoder.push(chunk);
  }

  wrap(frame: Uint8Array): Uint8Array {
    return frame;
  }

  wrapMany(frames: readonly Uint8Array[]): Uint8Array {
    return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
  }

  get pendingBytes(): number {
    return this.decoder.pendingBytes;
  }

  get busy(): boolean {
    return this.decoder.busy;
  }

  get onIdle(): (() => void) | undefined {
    return this.decoder.onIdle;
  }

  set onIdle(f: (() => void) | undefined) {
    this.decoder.onIdle = f;
  }

  close(): void {
    this.decoder.close();
  }
}

export const v1Transport = (ctx: TransportContext): Transport => new V1Transport(ctx);
