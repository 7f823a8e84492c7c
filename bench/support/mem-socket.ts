/**
 * An in-memory stand-in for net.Socket with the part a peer uses: what the node writes is counted
 * and kept until taken, and bytes "from the network" are fed with `emit('data', chunk)`. Used by
 * the relay-core benchmark and by unit tests of the peer and the writer.
 */
import { EventEmitter } from 'node:events';

export class MemSocket extends EventEmitter {
  destroyed = false;
  ended = false;
  paused = false;
  /** Bytes the "kernel" has not taken yet (tests raise it to simulate a full socket buffer). */
  writableLength = 0;
  bytesWritten = 0;
  writes = 0;
  /** The chunks written, as given (tests check which buffer a writer handed over). */
  out: Uint8Array[] = [];
  /** Their bytes as they were when written: a writer may reuse a buffer once its write completed. */
  private copies: Uint8Array[] = [];

  constructor(
    readonly remoteAddress = '127.0.0.1',
    readonly remotePort = 40000,
  ) {
    super();
  }

  write(chunk: Uint8Array, done?: (err?: Error | null) => void): boolean {
    if (this.destroyed) {
      // net.Socket: a write after destroy fails, and says so in its callback.
      if (done !== undefined) process.nextTick(done, new Error('write after destroy'));
      return false;
    }
    this.bytesWritten += chunk.byteLength;
    this.writes++;
    // A kernel copies the bytes it takes: once the completion runs, the writer may reuse the buffer
    // (src/peer/write-buffers.ts).
    this.out.push(chunk);
    this.copies.push(Uint8Array.prototype.slice.call(chunk)); // (Buffer#slice would be a view)
    // Like net.Socket, the completion is reported asynchronously.
    if (done !== undefined) process.nextTick(done, null);
    return true;
  }
  setNoDelay(): this {
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
  /** Everything written since the last call, as one buffer. */
  take(): Buffer {
    const o = this.copies;
    this.out = [];
    this.copies = [];
    return Buffer.concat(o);
  }
}
