/**
 * The JSON-RPC listener against an independent client: python-bitcoinlib's `bitcoin.rpc.Proxy` and
 * `RawProxy` (Debian python3-bitcoinlib) run by /usr/bin/python3. Proxy finds the node the way it
 * finds Bitcoin Core: a bitcoin.conf naming rpcport and datadir, and the `.cookie` in that datadir.
 * A second node is connected so the peer calls have something to report.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import type { PeerInfo } from '../../src/types.js';
import { runPython } from '../helpers/python.js';
import { rawTx } from '../helpers/raw-tx.js';

const SALT = 'a3f1c0ffee';

let dir: string;
let a: RelayNode;
let b: RelayNode;
let rpcPort: number;
let conf: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wirerelay-rpc-py-'));
  // The rpcauth line computed as Core's share/rpcauth/rpcauth.py computes it, in Python.
  const HMAC = (await runPython(`import hmac, sys; print(hmac.new(sys.argv[1].encode('utf-8'), b'secret', 'SHA256').hexdigest())`, [SALT])).trim();
  a = createRelay({
    network: 'regtest',
    listen: '127.0.0.1:0',
    rpc: '127.0.0.1:0',
    rpcAuth: [`alice:${SALT}$${HMAC}`],
    dataDir: join(dir, 'a'),
    workers: 0,
    targetOutbound: 0,
    logLevel: 'silent',
  });
  await a.start();
  rpcPort = Number(a.rpcEndpoint!.addr.split(':').pop());
  const connected = new Promise<PeerInfo>((resolve) => a.once('peerConnect', resolve));
  b = createRelay({ network: 'regtest', listen: null, connect: [a.listenAddress!], workers: 0, targetOutbound: 0, logLevel: 'silent' });
  await b.start();
  await connected;
  conf = join(dir, 'bitcoin.conf');
  await writeFile(conf, `rpcconnect=127.0.0.1\nrpcport=${rpcPort}\ndatadir=${join(dir, 'a')}\n`);
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await rm(dir, { recursive: true, force: true });
});

const SCRIPT = String.raw`
import json, sys, bitcoin, bitcoin.rpc
conf, port = sys.argv[1], int(sys.argv[2])
out = {}
def err(f):
    try:
        f()
        return None
    except bitcoin.rpc.JSONRPCError as e:
        return e.error
p = bitcoin.rpc.Proxy(btc_conf_file=conf)
r = bitcoin.rpc.RawProxy(btc_conf_file=conf)
out['networkinfo'] = r.getnetworkinfo()
out['peers'] = r.getpeerinfo()
out['count'] = r.getconnectioncount()
out['totals'] = r.getnettotals()
out['uptime'] = r.uptime()
out['chain'] = r.getblockchaininfo()
r.setban('10.1.2.3', 'add', 3600)
out['banned'] = r.listbanned()
out['dupban'] = err(lambda: r.setban('10.1.2.3', 'add'))
out['badsubnet'] = err(lambda: r.setban('not-an-ip', 'add'))
r.setban('10.1.2.3', 'remove')
out['unban_again'] = err(lambda: r.setban('10.1.2.3', 'remove'))
out['after_unban'] = r.listbanned()
out['unknown'] = err(lambda: p.getrawmempool())
out['help'] = r.help()
out['help_setban'] = r.help('setban')
out['disc'] = err(lambda: r.disconnectnode('127.0.0.1:1'))
out['disc_both'] = err(lambda: r.disconnectnode('127.0.0.1:1', 5))
p.addnode('127.0.0.1:1')
out['added'] = r.getaddednodeinfo()
out['readd'] = err(lambda: p.addnode('127.0.0.1:1'))
p.removenode('127.0.0.1:1')
out['reremove'] = err(lambda: p.removenode('127.0.0.1:1'))
out['typeerr'] = err(lambda: r.getrelaycache('yes'))
out['relaycache'] = r.getrelaycache(True)
alice = bitcoin.rpc.RawProxy(service_url='http://alice:secret@127.0.0.1:%d' % port)
out['alice'] = alice.getconnectioncount()
wrong = bitcoin.rpc.RawProxy(service_url='http://alice:wrong@127.0.0.1:%d' % port)
out['wrong'] = err(lambda: wrong.getconnectioncount())
print(json.dumps(out, default=str))
`;

describe('JSON-RPC with python-bitcoinlib', () => {
  it('reads the cookie from the data dir and gets Core-shaped answers, errors and codes', async () => {
    const tx = rawTx(7);
    const txid = a.relayTransaction(tx).txid;
    const out = JSON.parse(await runPython(SCRIPT, [conf, String(rpcPort)]));

    expect(out.networkinfo).toMatchObject({ subversion: a.config.userAgent, protocolversion: 70016, connections: 1, connections_in: 1, connections_out: 0, networkactive: true, localrelay: true });
    expect(out.networkinfo.networks.map((n: { name: string }) => n.name)).toEqual(['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns']);
    expect(out.count).toBe(1);
    expect(out.peers).toHaveLength(1);
    const peer = out.peers[0];
    const info = a.peers()[0]!;
    expect(peer).toMatchObject({
      id: info.id,
      addr: info.addr,
      inbound: true,
      connection_type: 'inbound',
      network: 'not_publicly_routable',
      version: 70016,
      subver: b.config.userAgent,
      transport_protocol_type: info.transport,
      synced_headers: -1,
    });
    expect(peer.services).toMatch(/^[0-9a-f]{16}$/);
    // Core's units: whole seconds since the epoch for times, seconds (fractional) for pings.
    expect(Math.abs(peer.conntime - Math.floor(info.connectedAt / 1000))).toBeLessThanOrEqual(1);
    expect(peer.conntime).toBeLessThan(1e10);
    expect(typeof peer.bytessent_per_msg).toBe('object');
    expect(peer.bytesrecv).toBeGreaterThan(0);
    expect(out.totals.totalbytesrecv).toBeGreaterThan(0);
    expect(out.totals).toHaveProperty('uploadtarget');
    expect(out.uptime).toBeGreaterThanOrEqual(0);
    expect(out.chain.chain).toBe('regtest');

    expect(out.banned).toHaveLength(1);
    expect(out.banned[0]).toMatchObject({ address: '10.1.2.3/32', ban_duration: 3600 });
    expect(out.banned[0].banned_until - out.banned[0].ban_created).toBe(3600);
    expect(out.dupban.code).toBe(-23);
    expect(out.badsubnet.code).toBe(-30);
    expect(out.unban_again.code).toBe(-30);
    expect(out.after_unban).toEqual([]);
    expect(out.unknown.code).toBe(-32601);
    expect(out.unknown.message).toMatch(/not supported by a relay/);
    expect(out.help).toMatch(/== Network ==[\s\S]*getpeerinfo/);
    expect(out.help_setban).toMatch(/^setban "subnet" "command"/);
    expect(out.disc.code).toBe(-29);
    expect(out.disc_both.code).toBe(-8);
    expect(out.added).toEqual([{ addednode: '127.0.0.1:1', connected: false, addresses: [] }]);
    expect(out.readd.code).toBe(-23);
    expect(out.reremove.code).toBe(-24);
    expect(out.typeerr.code).toBe(-3);
    expect(Object.keys(out.relaycache)).toEqual([txid]);
    expect(out.relaycache[txid]).toMatchObject({ size: tx.byteLength, peer: -1 });
    expect(out.alice).toBe(1);
    // A wrong password: 401 without a JSON body, which the client reports as a non-JSON reply.
    expect(out.wrong.message).toMatch(/401/);
  });

  it('stop: answers, stops the node and removes the cookie it wrote', async () => {
    const cookie = a.rpcEndpoint!.cookiePath!;
    expect(existsSync(cookie)).toBe(true);
    const out = await runPython(String.raw`
import sys, bitcoin.rpc
print(bitcoin.rpc.RawProxy(btc_conf_file=sys.argv[1]).stop())
`, [conf]);
    expect(out.trim()).toBe('wirerelay stopping');
    await a.whenStopped();
    expect(existsSync(cookie)).toBe(false);
  });
});
