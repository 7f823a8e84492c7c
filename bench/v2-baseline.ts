/**
 * Baseline for bench/v2.bench.ts: the BIP324 receive path written the plain way in Node, with
 * node:crypto doing all the cryptography: a `chacha20` stream cipher per length-key interval for
 * FSChaCha20 (its keystream runs on across update() calls) and one `chacha20-poly1305` decipher per
 * packet for FSChaCha20Poly1305. Chunks wait in a list until a packet is complete, as the v1
 * baseline does; given the network magic, each message becomes the v1 frame a relay passes on
 * (checksum by node:crypto SHA-256), the same output wirerelay's receive path gives.
 */
import { createCipheriv, createDecipheriv, createHash, type Cipher } from 'node:crypto';
import { ChunkList } from './baselines/chunk-list.js';

const REKEY = 224;
const ZERO32 = Buffer.alloc(32);
const SHORT = ['', 'addr', 'block', 'blocktxn', 'cmpctblock', 'feefilter', 'filteradd', 'filterclear', 'filterload', 'getblocks', 'getblocktxn', 'getdata', 'getheaders', 'headers', 'inv', 'mempool', 'merkleblock', 'notfound', 'ping', 'pong', 'sendcmpct', 'tx'];

function nonce(low: number, rekeys: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32LE(low >>> 0, 0);
  n.writeUInt32LE(rekeys % 2 ** 32, 4);
  n.writeUInt32LE(Math.floor(rekeys / 2 ** 32), 8);
  return n;
}

/** FSChaCha20 for the 3-byte lengths: one node:crypto `chacha20` stream per rekey interval. */
class NaiveLengthCipher {
  private key: Buffer;
  private cipher: Cipher;
  private chunks = 0;
  private rekeys = 0;

  constructor(lengthKey: Uint8Array) {
    this.key = Buffer.from(lengthKey);
    this.cipher = this.newCipher();
  }

  private newCipher(): Cipher {
    const iv = Buffer.alloc(16);
    nonce(0, this.rekeys).copy(iv, 4);
    return createCipheriv('chacha20', this.key, iv);
  }

  /** Encrypts or decrypts one 3-byte length; rekeys after every REKEY of them. */
  crypt(len: Buffer): Buffer {
    const out = this.cipher.update(len);
    if (++this.chunks === REKEY) {
      this.key = this.cipher.update(ZERO32);
      this.chunks = 0;
      this.rekeys++;
      this.cipher = this.newCipher();
    }
    return out;
  }
}

/** FSChaCha20Poly1305 packet key once `packets` packets are done: rekeyed after every REKEY of them. */
function nextPacketKey(key: Buffer, packets: number): Buffer {
  if (packets % REKEY !== 0) return key;
  const r = createCipheriv('chacha20-poly1305', key, nonce(0xffffffff, packets / REKEY - 1), { authTagLength: 16 });
  return r.update(ZERO32);
}

export class NaiveV2Decoder {
  private lengths: NaiveLengthCipher;
  private key: Buffer;
  private packets = 0;
  private input = new ChunkList(3);
  private len = -1;
  messages = 0;
  errors = 0;

  /** With `magic`, each message becomes its v1 frame (checksum included); without, it is only split. */
  constructor(
    aeadKey: Uint8Array,
    lengthKey: Uint8Array,
    private readonly magic?: number,
  ) {
    this.key = Buffer.from(aeadKey);
    this.lengths = new NaiveLengthCipher(lengthKey);
  }

  private decryptLength(b: Buffer, off: number): number {
    const l = this.lengths.crypt(b.subarray(off, off + 3));
    return l[0]! | (l[1]! << 8) | (l[2]! << 16);
  }

  private open(ct: Buffer, tag: Buffer): Buffer | undefined {
    const rekeys = Math.floor(this.packets / REKEY);
    const d = createDecipheriv('chacha20-poly1305', this.key, nonce(this.packets % REKEY, rekeys), { authTagLength: 16 });
    d.setAuthTag(tag);
    const plain = d.update(ct);
    try {
      d.final();
    } catch {
      return undefined;
    }
    this.packets++;
    this.key = nextPacketKey(this.key, this.packets);
    return plain;
  }

  push(chunk: Buffer): void {
    const b = this.input.push(chunk);
    if (b === undefined) return;
    let off = 0;
    for (;;) {
      if (this.len < 0) {
        if (b.length - off < 3) {
          this.input.need = 3;
          break;
        }
        this.len = this.decryptLength(b, off);
      }
      const total = 20 + this.len;
      if (b.length - off < total) {
        this.input.need = total;
        break;
      }
      const plain = this.open(b.subarray(off + 3, off + 4 + this.len), b.subarray(off + 4 + this.len, off + total));
      off += total;
      this.len = -1;
      if (plain === undefined) {
        this.errors++;
        continue;
      }
      if ((plain[0]! & 0x80) !== 0) continue;
      // Message type then payload, passed on as the v1 frame a relay works with: its checksum
      // is the first 4 bytes of the payload's double SHA-256 (for a tx, the wtxid it relays by).
      const id = plain[1]!;
      const command = id !== 0 ? SHORT[id] : plain.toString('latin1', 2, plain.indexOf(0, 2) < 0 ? 14 : Math.min(14, plain.indexOf(0, 2)));
      if (command === undefined) continue;
      this.messages++;
      if (this.magic === undefined) continue;
      const payload = plain.subarray(id !== 0 ? 2 : 14);
      const frame = Buffer.allocUnsafe(24 + payload.length);
      frame.writeUInt32LE(this.magic, 0);
      frame.fill(0, 4, 16);
      frame.write(command, 4, 'latin1');
      frame.writeUInt32LE(payload.length, 16);
      createHash('sha256').update(createHash('sha256').update(payload).digest()).digest().copy(frame, 20, 0, 4);
      payload.copy(frame, 24);
    }
    this.input.keep(b, off);
  }
}

/** Seals packets one by one with node:crypto (the write-side baseline); returns the wire bytes. */
export class NaiveV2Encoder {
  private lengths: NaiveLengthCipher;
  private key: Buffer;
  private packets = 0;

  constructor(aeadKey: Uint8Array, lengthKey: Uint8Array) {
    this.key = Buffer.from(aeadKey);
    this.lengths = new NaiveLengthCipher(lengthKey);
  }

  seal(contents: Uint8Array): Buffer {
    const len = Buffer.from([contents.length & 0xff, (contents.length >>> 8) & 0xff, contents.length >>> 16]);
    const encLen = this.lengths.crypt(len);
    const rekeys = Math.floor(this.packets / REKEY);
    const c = createCipheriv('chacha20-poly1305', this.key, nonce(this.packets % REKEY, rekeys), { authTagLength: 16 });
    const head = c.update(Buffer.of(0));
    const body = c.update(contents);
    c.final();
    this.packets++;
    this.key = nextPacketKey(this.key, this.packets);
    return Buffer.concat([encLen, head, body, c.getAuthTag()]);
  }
}
