/**
 * Baseline (b): the relay a first version would be — plain TypeScript framing with two
 * `crypto.hash('sha256')` calls per checksum (bench/baselines/naive-decoder.ts), our pure-TS payload
 * codec, txids by `node:crypto`, everything on the main thread: no pool, no WASM, no ban scores,
 * no flow table, no persistence. It speaks the same protocol the harness drives wirerelay with:
 * version/verack, inv → getdata → tx, pushed tx, announcements (one inv per transaction per peer, as
 * wirerelay with --trickle-ms 0), getdata served from a bounded cache, ping → pong.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { NaiveDecoder, naiveEncode } from '../baselines/naive-decoder.js';
import { decodePayload, encodePayload } from '../../src/wire/codec.js';
import { newVersionMessage } from '../../src/wire/messages/version.js';
import type { Message } from '../../src/wire/codec.js';
import { PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { MAGIC, doubleSha256, invPayload } from './wire-lite.js';

/** Cached transactions (insertion order = eviction order); ~64 MiB at 250-byte transactions. */
const CACHE_MAX = 200_000;

interface NaivePeer {
  readonly socket: Socket;
  readonly decoder: NaiveDecoder;
  established: boolean;
  gotVersion: boolean;
  gotVerack: boolean;
  relay: boolean;
}

export class NaiveRelay {
  private server: Server | undefined;
  private readonly peers = new Set<NaivePeer>();
  private readonly cache = new Map<string, Uint8Array>();
  private readonly requested = new Set<string>();
  relayed = 0;

  async listen(host = '127.0.0.1', port = 0): Promise<number> {
    const srv = createServer({ noDelay: true }, (s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => resolve());
    });
    this.server = srv;
    return (srv.address() as AddressInfo).port;
  }

  private send(p: NaivePeer, msg: Message): void {
    p.socket.write(naiveEncode(MAGIC, msg.command, encodePayload(msg, PROTOCOL_VERSION)));
  }

  private onConnection(socket: Socket): void {
    const p: NaivePeer = {
      socket,
      established: false,
      gotVersion: false,
      gotVerack: false,
      relay: true,
      decoder: new NaiveDecoder(MAGIC, (f) => {
        try {
          this.onFrame(p, f.command, f.payload);
        } catch {
          socket.destroy();
        }
      }),
    };
    this.peers.add(p);
    socket.on('data', (c: Buffer) => {
      try {
        p.decoder.push(c);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.peers.delete(p));
  }

  private onFrame(p: NaivePeer, command: string, payload: Uint8Array): void {
    switch (command) {
      case 'version': {
        const v = decodePayload('version', payload, PROTOCOL_VERSION);
        p.gotVersion = true;
        p.relay = v.relay ?? true;
        this.send(
          p,
          newVersionMessage({
            nonce: randomBytes(8).readBigUInt64LE() & 0x7fff_ffff_ffff_ffffn,
            userAgent: '/naive-relay:0.1/',
            timestampSec: Math.floor(Date.now() / 1000),
          }),
        );
        this.send(p, { command: 'verack' });
        p.established = p.gotVerack;
        return;
      }
      case 'verack':
        p.gotVerack = true;
        p.established = p.gotVersion;
        return;
      case 'ping':
        this.send(p, { command: 'pong', nonce: decodePayload('ping', payload, PROTOCOL_VERSION).nonce ?? 0n });
        return;
      case 'inv': {
        const inv = decodePayload('inv', payload, PROTOCOL_VERSION).inventory;
        const want = inv.filter((it) => {
          const k = Buffer.from(it.hash).toString('latin1');
          if (this.cache.has(k) || this.requested.has(k)) return false;
          this.requested.add(k);
          return true;
        });
        if (want.length > 0) this.send(p, { command: 'getdata', inventory: want });
        return;
      }
      case 'getdata': {
        for (const it of decodePayload('getdata', payload, PROTOCOL_VERSION).inventory) {
          const raw = this.cache.get(Buffer.from(it.hash).toString('latin1'));
          if (raw === undefined) continue;
          this.relayed++;
          p.socket.write(naiveEncode(MAGIC, 'tx', raw));
        }
        return;
      }
      case 'tx': {
        const txid = doubleSha256(payload);
        const k = txid.toString('latin1');
        this.requested.delete(k);
        if (this.cache.has(k)) return;
        this.cache.set(k, Uint8Array.prototype.slice.call(payload));
        if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
        const announce = naiveEncode(MAGIC, 'inv', invPayload([txid]));
        for (const q of this.peers) if (q !== p && q.established && q.relay) q.socket.write(announce);
        return;
      }
      default:
        return;
    }
  }

  async close(): Promise<void> {
    for (const p of this.peers) p.socket.destroy();
    const srv = this.server;
    if (srv !== undefined) await new Promise<void>((r) => srv.close(() => r()));
  }
}
