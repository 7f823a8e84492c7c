/**
 * Misbehaving peers for the soak: each opens a connection from its own loopback address, completes
 * the handshake, then does one kind of harm that the node must answer with a ban.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { LiteFramer, MAGIC, frame, versionFrame } from '../load/wire-lite.js';

export type Misbehaviour = 'bad_checksum' | 'bad_magic' | 'getdata_flood';
export const KINDS: readonly Misbehaviour[] = ['bad_checksum', 'bad_magic', 'getdata_flood'];

/** Opens a raw connection from `ip`, handshakes, and does one kind of harm. Resolves when closed. */
export function misbehave(port: number, ip: string, kind: Misbehaviour): Promise<void> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port, localAddress: ip });
    let got = { version: false, verack: false };
    const timer = setTimeout(() => s.destroy(), 15_000);
    const framer = new LiteFramer((f) => {
      if (f.command === 'version') {
        got = { ...got, version: true };
        s.write(frame('verack', new Uint8Array(0)));
      }
      if (f.command === 'verack') got = { ...got, verack: true };
      if (got.version && got.verack) {
        got = { version: false, verack: false }; // act once
        if (kind === 'bad_checksum') {
          const bad = frame('ping', randomBytes(8));
          bad[20] = bad[20]! ^ 0xff;
          s.write(bad);
        } else if (kind === 'bad_magic') {
          s.write(frame('ping', randomBytes(8), (MAGIC ^ 0x01010101) >>> 0));
        } else {
          // 50,000 entries score 99 each (btcd's N·99/50000): two of them cross the ban threshold.
          const n = 50_000;
          const p = Buffer.alloc(3 + 36 * n);
          p[0] = 0xfd; // CompactSize must be minimal: 50,000 fits in 16 bits
          p.writeUInt16LE(n, 1);
          const hashes = randomBytes(32 * n);
          for (let i = 0; i < n; i++) {
            p.writeUInt32LE(1, 3 + 36 * i);
            hashes.copy(p, 7 + 36 * i, 32 * i, 32 * i + 32);
          }
          s.write(frame('getdata', p));
          s.write(frame('getdata', p));
        }
      }
    });
    s.on('data', (c: Buffer) => {
      try {
        framer.push(c);
      } catch {
        s.destroy();
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.once('connect', () => s.write(versionFrame(randomBytes(8).readBigUInt64LE() & 0x7fff_ffff_ffff_ffffn, false)));
  });
}

