/**
 * The receive side of an established v2 stream: buffers socket bytes until a packet is complete,
 * opens every complete packet of a read with one PacketCipher.open (one WASM call), drops decoys
 * and splits contents into messages. Used by V2Session after the garbage terminator.
 */
import { PacketCipher, V2_IGNORE_BIT, type OpenFailure } from '../../wasm/v2-cipher.js';
import { parseContents } from './message-types.js';

export interface V2Message {
  command: string;
  payload: Uint8Array;
}

/** What one read gave. */
export interface ReadResult {
  messages: V2Message[];
  /** Decoy packets authenticated and dropped. */
  decoys: number;
  /** Packets with a message type we cannot map, dropped (Core drops them and keeps the peer). */
  dropped: number;
  failure?: OpenFailure;
}

export class PacketReader {
  private readonly cipher: PacketCipher;
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private need = 0;
  /** AAD for the first packet (the peer's garbage), until a packet was opened. */
  private aad: Uint8Array | undefined;
  /** Non-decoy packets to swallow before messages start (1: the version packet). */
  private skip: number;

  constructor(cipher: PacketCipher, aad?: Uint8Array, skipFirst = 0) {
    this.cipher = cipher;
    this.aad = aad;
    this.skip = skipFirst;
  }

  /** Bytes received but not yet opened (a partial packet). */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** True until the first `skipFirst` non-decoy packets were read. */
  get skipping(): boolean {
    return this.skip > 0;
  }

  push(chunk: Uint8Array): ReadResult {
    const out: ReadResult = { messages: [], decoys: 0, dropped: 0 };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bytes += chunk.length;
    }
    if (this.bytes < 3 || this.bytes < this.need) return out;
    let all: Uint8Array;
    if (this.chunks.length === 1) all = this.chunks[0]!;
    else {
      // Fully overwritten below: no need to zero-fill (a 1 MiB block would pay ~5 % for it).
      all = Buffer.allocUnsafe(this.bytes);
      let at = 0;
      for (const c of this.chunks) {
        all.set(c, at);
        at += c.length;
      }
    }
    const r = this.cipher.open(all, this.aad);
    for (let i = 0; i < r.headers.length; i++) {
      this.aad = undefined;
      if ((r.headers[i]! & V2_IGNORE_BIT) !== 0) {
        out.decoys++;
        continue;
      }
      if (this.skip > 0) {
        this.skip--;
        continue;
      }
      const parsed = parseContents(r.contents[i]!);
      if (parsed.ok) out.messages.push({ command: parsed.command, payload: parsed.payload });
      else out.dropped++;
    }
    this.bytes -= r.consumed;
    this.chunks = this.bytes === 0 ? [] : [all.subarray(r.consumed)];
    this.need = r.need;
    if (r.failure !== undefined) {
      out.failure = r.failure;
      this.chunks = [];
      this.bytes = 0;
    }
    return out;
  }
}
