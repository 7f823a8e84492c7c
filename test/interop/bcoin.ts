/**
 * bcoin 1.0.2 (from npm) as an independent peer: full nodes in memory on regtest, listening on
 * loopback. Our own peers agree with our own mistakes; bcoin scores parse errors (lib/net/peer.js:
 * 10 points per bad 24-byte header, a ban at 100), so it is the peer that catches a dial sending
 * bytes a v1 parser cannot read.
 *
 * Every `increaseBan` bcoin makes in this process is recorded, so a test can say what its traffic
 * cost in bcoin's eyes and not only that nobody was banned.
 */
import { createRequire } from 'node:module';
import { freePort } from '../../bench/load/procs.js';

const require = createRequire(import.meta.url);
// bcoin ships no types; the tests use a handful of its calls.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const bcoin: any = require('bcoin');

export interface BanRecord {
  /** HOST:PORT of the remote side of bcoin's connection (that is, us). */
  readonly peer: string;
  readonly score: number;
  readonly total: number;
}

/** Every `increaseBan` bcoin made in this process, in order. */
export const banRecords: BanRecord[] = [];

const peerProto = bcoin.net.Peer.prototype;
if (peerProto.__wirerelayRecorded !== true) {
  const original = peerProto.increaseBan;
  peerProto.increaseBan = function (this: { hostname(): string; banScore: number }, score: number): boolean {
    const banned = original.call(this, score) as boolean;
    banRecords.push({ peer: this.hostname(), score, total: this.banScore });
    return banned;
  };
  peerProto.__wirerelayRecorded = true;
}

// bcoin flushes queued inv announcements every 5 s (lib/net/peer.js INV_INTERVAL); a shorter
// trickle keeps the suite quick without changing what is announced.
bcoin.net.Peer.INV_INTERVAL = 100;

export interface BcoinPeer {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly node: any;
  readonly addr: string;
  readonly height: number;
  /** Addresses bcoin has banned (its hostlist), as HOST strings. */
  banned(): string[];
  /** Mines `n` blocks paying `address` (bcoin's own miner, via its RPC). */
  mine(n: number, address: string): Promise<void>;
  /** Has the transaction (hex txid, display order) in its mempool. */
  hasTx(txid: string): boolean;
  close(): Promise<void>;
}

/**
 * Opens a bcoin full node in memory on regtest, listening on `host` (a loopback address; another
 * /16 of 127/8 puts it in another address group). Fails if it cannot start.
 */
export async function startBcoin(host = '127.0.0.1'): Promise<BcoinPeer> {
  const port = await freePort();
  // bcoin always opens its HTTP API too: give it a free port rather than regtest's fixed 48332.
  const httpPort = await freePort();
  const node = new bcoin.FullNode({
    network: 'regtest',
    memory: true,
    listen: true,
    host,
    port,
    httpHost: '127.0.0.1',
    httpPort,
    workers: false,
    logLevel: 'none',
    logConsole: false,
    // No DNS, no UPnP, no seeds: nothing leaves this machine.
    discover: false,
    upnp: false,
  });
  await node.open();
  await node.connect();
  // bcoin ignores block announcements until it syncs (lib/net/pool.js handleBlockInv).
  node.startSync();
  return {
    node,
    addr: `${host}:${port}`,
    get height(): number {
      return node.chain.height as number;
    },
    banned: () => [...(node.pool.hosts.banned as Map<string, number>).keys()],
    mine: async (n, address) => {
      await node.rpc.call({ method: 'generatetoaddress', params: [n, address] }, false);
    },
    // bcoin 1.0.2 keys its mempool by the hash as hex in internal (little-endian) order.
    hasTx: (txid) => node.mempool.hasEntry(Buffer.from(txid, 'hex').reverse().toString('hex')) as boolean,
    close: async () => {
      await node.close();
    },
  };
}

/**
 * A regtest key and its address: P2PKH by default, since segwit is not active on a young bcoin
 * regtest chain (its mempool refuses witness spends with "no-witness-yet").
 */
export function newKey(witness = false): { key: unknown; address: string } {
  const key = bcoin.KeyRing.generate();
  key.witness = witness;
  return { key, address: key.getAddress('string', 'regtest') as string };
}

/**
 * A signed segwit transaction spending the coinbase of `from`'s block at `height` (paid to `key`),
 * sent to a fresh P2PKH address. The coinbase must be mature (100 blocks on regtest).
 */
export async function spendCoinbase(from: BcoinPeer, height: number, key: unknown): Promise<{ tx: unknown; txid: string }> {
  const block = await from.node.chain.getBlock(height);
  const cb = block.txs[0];
  const coin = bcoin.Coin.fromTX(cb, 0, height);
  const mtx = new bcoin.MTX();
  mtx.addCoin(coin);
  mtx.addOutput(newKey().address, coin.value - 10_000);
  mtx.sign(key);
  const tx = mtx.toTX();
  return { tx, txid: tx.txid() as string };
}

/** Hands `from`'s blocks 1..tip to `to` in process (the starting chain both sides share). */
export async function copyChain(from: BcoinPeer, to: BcoinPeer): Promise<void> {
  for (let h = to.height + 1; h <= from.height; h++) {
    const block = await from.node.chain.getBlock(h);
    await to.node.chain.add(block);
  }
}

/**
 * Two bcoin nodes sharing a 101-block chain mined on A (the first coinbase, paid to `key`, is
 * mature for a transaction in block 102). Both are pushed onto `open` to be closed by the test.
 */
export async function startBcoinPair(open: Array<{ close(): unknown }>): Promise<{ a: BcoinPeer; b: BcoinPeer; key: unknown }> {
  const a = await startBcoin();
  open.push(a);
  const b = await startBcoin();
  open.push(b);
  const { key, address } = newKey();
  await a.mine(101, address);
  await copyChain(a, b);
  return { a, b, key };
}
