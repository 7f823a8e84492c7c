/**
 * The admin endpoint served by a real relay node (createRelay with `http` set): two nodes on
 * loopback, B dialling A, inspected and changed through A's endpoint and the CLI.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCookie } from '../../src/admin/cookie.js';
import { METRICS_CONTENT_TYPE } from '../../src/admin/http-server.js';
import type { CliIo } from '../../src/admin/cli-runner.js';
import * as banCmd from '../../src/cli/commands/ban.js';
import * as peersCmd from '../../src/cli/commands/peers.js';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import type { NodeStatus, PeerInfo } from '../../src/types.js';
import { eventually } from '../helpers/raw-peer.js';
import { rawTx } from '../helpers/raw-tx.js';
import { http, post } from './http-client.js';

let dirA: string;
let dirB: string;
let a: RelayNode;
let b: RelayNode;
let adminPort: number;
let adminAddr: string;
let cookiePath: string;
let bAddrOnA: string;

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (t) => void (out += t), err: (t) => void (err += t) }, out: () => out, err: () => err };
}

beforeAll(async () => {
  dirA = await mkdtemp(join(tmpdir(), 'wirerelay-admin-node-a-'));
  dirB = await mkdtemp(join(tmpdir(), 'wirerelay-admin-node-b-'));
  a = createRelay({
    network: 'regtest',
    listen: '127.0.0.1:0',
    http: '127.0.0.1:0',
    dataDir: dirA,
    workers: 0,
    targetOutbound: 0,
    trickleIntervalMs: 0,
    logLevel: 'silent',
  });
  await a.start();
  const endpoint = a.adminEndpoint;
  if (endpoint === null) throw new Error('node started with http set but serves no admin endpoint');
  adminAddr = endpoint.addr;
  adminPort = Number(adminAddr.slice(adminAddr.lastIndexOf(':') + 1));
  cookiePath = endpoint.cookiePath!;

  const established = new Promise<PeerInfo>((resolve) => a.once('peerConnect', resolve));
  b = createRelay({
    network: 'regtest',
    listen: null,
    http: '127.0.0.1:0',
    dataDir: dirB,
    workers: 0,
    connect: [a.listenAddress!],
    onlynet: ['loopback'],
    logLevel: 'silent',
  });
  await b.start();
  bAddrOnA = (await established).addr;
}, 60_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await rm(dirA, { recursive: true, force: true });
  await rm(dirB, { recursive: true, force: true });
});

describe('admin endpoint of a real node', () => {
  it('writes the cookie into the data dir, mode 0600', async () => {
    expect(cookiePath).toBe(join(dirA, '.cookie'));
    expect((await stat(cookiePath)).mode & 0o777).toBe(0o600);
  });

  it('serves /status with its own address and the inbound peer', async () => {
    const r = await http({ port: adminPort, path: '/status' });
    expect(r.status).toBe(200);
    const s = r.json() as NodeStatus;
    expect(s.network).toBe('regtest');
    expect(s.http).toBe(adminAddr);
    expect(s.listen).toBe(a.listenAddress);
    expect(s.peers).toEqual({ inbound: 1, outbound: 0, established: 1 });
  });

  it('serves /peers with the connected node', async () => {
    const peers = (await http({ port: adminPort, path: '/peers' })).json() as PeerInfo[];
    expect(peers).toHaveLength(1);
    expect(peers[0]).toMatchObject({ addr: bAddrOnA, direction: 'inbound', state: 'established' });
    expect(peers[0]!.userAgent).toMatch(/wirerelay/);
  });

  it('serves what getpeerinfo shows, with a ping time right after the handshake', async () => {
    // The ping interval is two minutes: a round trip now comes from the ping sent at the handshake.
    await eventually(() => a.peers()[0]?.rttMs !== null, 'a ping time');
    const p = ((await http({ port: adminPort, path: '/peers' })).json() as PeerInfo[])[0]!;
    expect(p.minRttMs).not.toBeNull();
    expect(p.minRttMs!).toBeLessThanOrEqual(p.rttMs!);
    // wirerelay keeps no chain: WITNESS (it relays witness data) and BIP324's NODE_P2P_V2, never NETWORK.
    expect(p.servicesNames).toEqual(['WITNESS', 'P2P_V2']);
    expect(p.services).toBe(String((1 << 11) | (1 << 3)));
    // Two wirerelay nodes speak v2; per-message bytes still count v1 frames (pong: 24 + 8).
    expect(p.transport).toBe('v2');
    expect(p.sessionId).toMatch(/^[0-9a-f]{64}$/);
    expect(p.protocolVersion).toBe(70016);
    expect(p).toMatchObject({ whitelisted: false, permanent: false, mesh: false });
    expect(p.bytesRecvPerMsg.version).toBeGreaterThan(24);
    expect(p.bytesRecvPerMsg.verack).toBe(24);
    expect(p.bytesRecvPerMsg.pong).toBe(32);
    expect(p.bytesSentPerMsg.ping).toBe(32);
    expect(p.lastRecv).toBeGreaterThanOrEqual(p.connectedAt);
    expect(p.lastSend).toBeGreaterThanOrEqual(p.connectedAt);
  });

  it('serves health of an outbound peer (the dialling side tracks it) and Prometheus metrics', async () => {
    const bAdmin = b.adminEndpoint!.addr;
    const bPort = Number(bAdmin.slice(bAdmin.lastIndexOf(':') + 1));
    const aAddr = a.listenAddress!;
    const h = await http({ port: bPort, path: `/health/${encodeURIComponent(aAddr)}` });
    expect(h.status).toBe(200);
    expect(h.json()).toMatchObject({ peer: aAddr, online: true, flapCount: 0 });
    const all = (await http({ port: bPort, path: '/health' })).json();
    expect(all.map((x: { peer: string }) => x.peer)).toEqual([aAddr]);
    // A keeps no health record for an inbound peer's ephemeral port.
    expect((await http({ port: adminPort, path: `/health/${encodeURIComponent(bAddrOnA)}` })).json().error.code).toBe(
      'ERR_UNKNOWN_TARGET',
    );
    const m = await http({ port: adminPort, path: '/metrics' });
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toBe(METRICS_CONTENT_TYPE);
    expect(m.text).toMatch(/^# TYPE \w+/m);
  });

  it('takes a ban through the CLI with the cookie from --data-dir, and lists it', async () => {
    const c = capture();
    const code = await banCmd.run(['--http', adminAddr, '--data-dir', dirA, '10.11.12.0/24', '--duration', '2h', '--reason', 'cli test'], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    expect(a.bans().find((x) => x.target === '10.11.12.0/24')?.reason).toBe('cli test');
    const bans = (await http({ port: adminPort, path: '/bans' })).json();
    expect(bans.map((x: { target: string }) => x.target)).toContain('10.11.12.0/24');
    const token = await readCookie(cookiePath);
    expect((await post(adminPort, '/unban', { target: '10.11.12.0/24' }, token)).status).toBe(200);
    expect(a.bans().some((x) => x.target === '10.11.12.0/24')).toBe(false);
  });

  it('lists the peer through the CLI', async () => {
    const c = capture();
    expect(await peersCmd.run(['--http', adminAddr], c.io)).toBe(0);
    expect(c.out()).toContain(bAddrOnA);
    expect(c.out()).toMatch(/\bin +established\b/);
  });

  it('shows the peers and rates of a relaying node on the status page in a real browser', async () => {
    // A relays transactions to B; the rates come from the ticker's marks, so wait for one.
    let got = 0;
    b.on('tx', () => got++);
    for (let i = 1; i <= 20; i++) a.relayTransaction(rawTx(i));
    await eventually(() => got === 20, 'B gets every transaction');
    await eventually(() => a.status().rates.last10s.relayedBytes > 0, 'a relay rate');
    expect(a.status().relayed.messages).toBe(20);
    const executablePath = process.env.WIRERELAY_CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(executablePath)) throw new Error(`needs Chromium at ${executablePath}: apt-get install -y chromium`);
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://${adminAddr}/`);
      const row = `#peers tbody tr[data-peer="${bAddrOnA}"]`;
      await page.waitForSelector(row, { timeout: 15_000 });
      expect(await page.textContent(`${row} td[data-col="state"]`)).toBe('established');
      expect(await page.textContent(`${row} td[data-col="direction"]`)).toBe('inbound');
      expect(await page.textContent('#status [data-field="network"]')).toBe('regtest');
      expect(await page.textContent('#status [data-field="admin"]')).toBe(adminAddr);
      expect(await page.textContent('#status [data-field="data-dir"]')).toBe(dirA);
      expect(await page.textContent('#status [data-field="relayed"]')).toMatch(/^20 msgs \//);
      expect(await page.textContent('#status [data-field="rate-10s-bytes-relayed"]')).toMatch(/^[1-9][0-9.]* (B|KiB)\/s$/);
      expect(await page.textContent('#status [data-field="rate-1m-msgs-relayed"]')).not.toBe('0.00');
      expect(await page.getAttribute('svg[data-spark="bytes-relayed"] polyline', 'points')).toMatch(/\d/);
      expect(await page.textContent(`${row} td[data-col="agent"]`)).toBe('/wirerelay:0.1.0/');
      expect(await page.textContent(`${row} td[data-col="rtt"]`)).toMatch(/^\d+ ms$/);
      // For a look at the page: WIRERELAY_SCREENSHOT=/tmp/status.png npx vitest run test/admin/relay-node.test.ts
      if (process.env.WIRERELAY_SCREENSHOT !== undefined) await page.screenshot({ path: process.env.WIRERELAY_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('removes the cookie when the node stops', async () => {
    await a.stop();
    await expect(stat(cookiePath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
