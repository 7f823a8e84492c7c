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
  out: Uint8Array[] = [];

  constructor(
    readonly remoteAddress = '127.0.0.1',
    readonly remotePort = 40000,
  ) {
    super();
  }

  write(chunk: Uint8Array): boolean {
    this.bytesWritten += chunk.byteLength;
    this.writes++;
    // Kept by reference, like a kernel that has taken the bytes: writers never reuse written buffers.
    this.out.push(chunk);
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
    const o = this.out;
    this.out = [];
    return Buffer.concat(o);
  }
}
