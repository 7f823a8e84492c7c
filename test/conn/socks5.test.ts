/**
 * The SOCKS5 dialer against a SOCKS5 server this test runs on loopback: a Tor v3 address is
 * reached through the proxy (the name is sent to the proxy, never resolved here), refusals and
 * protocol faults are ERR_PROXY, and the route choice follows Core's -proxy / -onion.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { proxySettings, routeFor, socks5Connect } from '../../src/conn/socks5.js';
import { resolveConfig } from '../../src/node/config.js';
import { DialScope } from '../../src/conn/dial-scope.js';
import { overlayKey } from '../../src/util/overlay.js';
import { startSocks5Server, type Socks5Server } from '../helpers/socks5-server.js';

const ONION = overlayKey(4, Uint8Array.from({ length: 32 }, (_, i) => i), 8333)!;
const ONION_HOST = ONION.slice(0, ONION.lastIndexOf(':'));
const I2P = overlayKey(5, new Uint8Array(32).fill(9), 0)!;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function echoServer(): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return (server.address() as { port: number }).port;
}

async function proxy(routes: Map<string, { host: string; port: number }>): Promise<Socks5Server> {
  const p = await startSocks5Server(routes);
  cleanups.push(() => p.close());
  return p;
}

describe('socks5Connect', () => {
  it('reaches a Tor v3 address through the proxy; bytes flow both ways', async () => {
    const port = await echoServer();
    const p = await proxy(new Map([[ONION_HOST, { host: '127.0.0.1', port }]]));
    const socket = await socks5Connect({ host: '127.0.0.1', port: p.port }, ONION);
    cleanups.push(async () => void socket.destroy());
    expect(p.requests).toEqual([{ host: ONION_HOST, port: 8333 }]);
    const echoed = new Promise<string>((r) => socket.once('data', (d) => r(d.toString())));
    socket.write('version');
    expect(await echoed).toBe('version');
  });

  it('a refusal from the proxy is ERR_PROXY naming the reason', async () => {
    const p = await proxy(new Map());
    p.reply = 5;
    await expect(socks5Connect({ host: '127.0.0.1', port: p.port }, ONION)).rejects.toMatchObject({ code: 'ERR_PROXY', message: expect.stringContaining('connection refused') });
  });

  it('a proxy that is not there is ERR_PROXY', async () => {
    const port = await echoServer(); // closed right away below: nothing listens on it afterwards
    await cleanups.pop()!();
    await expect(socks5Connect({ host: '127.0.0.1', port }, '127.0.0.1:1')).rejects.toMatchObject({ code: 'ERR_PROXY' });
  });
});

describe('routeFor and the dial scope', () => {
  const proxyAddr = { host: '127.0.0.1', port: 9050 };
  it.each([
    ['an IP with no proxy', '1.2.3.4:8333', { proxy: null, onion: null }, 'direct'],
    ['an IP with --proxy', '1.2.3.4:8333', { proxy: proxyAddr, onion: null }, 'socks5'],
    ['an onion with --onion only', ONION, { proxy: null, onion: proxyAddr }, 'socks5'],
    ['an onion with --proxy only', ONION, { proxy: proxyAddr, onion: null }, 'socks5'],
    ['an onion with neither', ONION, { proxy: null, onion: null }, 'unreachable'],
    ['an I2P address, whatever the proxies', I2P, { proxy: proxyAddr, onion: proxyAddr }, 'unreachable'],
  ] as const)('%s → %s', (_, addr, settings, kind) => {
    expect(routeFor(addr, settings).kind).toBe(kind);
  });

  it('proxySettings reads the configuration', () => {
    expect(proxySettings(resolveConfig({ onion: '127.0.0.1:9050' }))).toEqual({ proxy: null, onion: { host: '127.0.0.1', port: 9050 } });
    expect(routeFor(ONION, proxySettings(resolveConfig({})))).toMatchObject({ kind: 'unreachable' });
  });

  it('I2P is never dialled; Tor only with an onion route', () => {
    const without = new DialScope(['ipv4', 'ipv6', 'loopback'], 'any');
    const withOnion = new DialScope(['ipv4', 'ipv6', 'loopback'], 'any', { onion: true });
    expect(without.refuseDial(ONION)).toMatch(/no --onion or --proxy/);
    expect(without.allowsGossiped(ONION)).toBe(false);
    expect(withOnion.refuseDial(ONION)).toBeNull();
    expect(withOnion.allowsGossiped(ONION)).toBe(true);
    expect(withOnion.refuseDial(I2P)).toMatch(/never dials/);
    expect(withOnion.allowsGossiped(I2P)).toBe(false);
    expect(new DialScope(['loopback'], 'local', { onion: true }).allowsGossiped(ONION)).toBe(false);
  });
});
