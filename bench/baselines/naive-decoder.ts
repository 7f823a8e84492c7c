/**
 * Baseline for the wire benchmarks and the load harness: a plain TypeScript framer that verifies each
 * checksum with two `crypto.hash('sha256')` calls — the straightforward way to write this in Node.
 */
import { hash } from 'node:crypto';
import { ChunkList } from './chunk-list.js';

export interface NaiveFrame {
  readonly command: string;
  readonly payload: Uint8Array;
}

const MAX_LENGTH = 4_000_000;

export class NaiveDecoder {
  private input = new ChunkList(24);
  frames = 0;
  errors = 0;

  constructor(
    private readonly magic: number,
    private readonly onFrame: (f: NaiveFrame) => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    const b = this.input.push(chunk);
    if (b === undefined) return;
    let off = 0;
    this.input.need = 24;
    while (b.length - off >= 24) {
      if (b.readUInt32LE(off) !== this.magic) throw new Error('bad magic');
      const len = b.readUInt32LE(off + 16);
      if (len > MAX_LENGTH) throw new Error('oversize');
      if (b.length - off < 24 + len) {
        this.input.need = 24 + len;
        break;
      }
      const payload = b.subarray(off + 24, off + 24 + len);
      const first = hash('sha256', payload, 'buffer');
      const second = hash('sha256', first, 'buffer');
      if (second.readUInt32LE(0) !== b.readUInt32LE(off + 20)) {
        this.errors++;
      } else {
        let end = off + 4;
        while (end < off + 16 && b[end] !== 0) end++;
        this.frames++;
        this.onFrame({ command: b.toString('latin1', off + 4, end), payload });
      }
      off += 24 + len;
    }
    this.input.keep(b, off);
  }
}

/** Encodes one frame the naive way (for baselines of encode throughput). */
export function naiveEncode(magic: number, command: string, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(24 + payload.length);
  out.writeUInt32LE(magic, 0);
  out.fill(0, 4, 16);
  out.write(command, 4, 'latin1');
  out.writeUInt32LE(payload.length, 16);
  const first = hash('sha256', payload, 'buffer');
  hash('sha256', first, 'buffer').copy(out, 20, 0, 4);
  out.set(payload, 24);
  return out;
}
