import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminServer, DEFAULT_MAX_BODY_BYTES, METRICS_CONTENT_TYPE } from '../../src/admin/http-server.js';
import { readCookie } from '../../src/admin/cookie.js';
import { http, post } from './http-client.js';
import { DEFAULT_BAN_MS, makeFlow, MemoryBackend } from './memory-backend.js';
import { RelayError } from '../../src/errors.js';

function nonLoopbackIPv4(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

let dataDir: string;
let backend: MemoryBackend;
let server: AdminServer;
let port: number;
let token: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wirerelay-admin-test-'));
  backend = new MemoryBackend();
  backend.addPeer('10.0.0.1:8333');
  backend.addPeer('[2001:db8::1]:8333', { direction: 'inbound' });
  backend.setHealth('10.0.0.1:8333');
  backend.setHealth('[::1]:8333', { tier: 1, flapCount: 9 });
  server = new AdminServer({ backend, dataDir });
  ({ port } = await server.start('127.0.0.1', 0));
  token = await readCookie(server.cookiePath!);
});

afterEach(async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('read routes', () => {
  it('serve status, peers and bans as JSON to a loopback client', async () => {
    const status = await http({ port, path: '/status' });
    expect(status.status).toBe(200);
    expect(status.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(status.json()).toMatchObject({ network: 'regtest', peers: { inbound: 1, outbound: 1, established: 2 } });

    const peers = await http({ port, path: '/peers' });
    expect(peers.json().map((p: { addr: string }) => p.addr)).toEqual(['10.0.0.1:8333', '[2001:db8::1]:8333']);

    backend.banMap.set('10.9.0.0/16', { target: '10.9.0.0/16', createdAt: null, until: 1, reason: 'test' });
    expect((await http({ port, path: '/bans' })).json()).toEqual([{ target: '10.9.0.0/16', createdAt: null, until: 1, reason: 'test' }]);
  });

  it('answers HEAD like GET without a body', async () => {
    const r = await http({ port, method: 'HEAD', path: '/status' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(Number(r.headers['content-length'])).toBeGreaterThan(0);
  });

  it('serves /metrics as Prometheus text', async () => {
    const r = await http({ port, path: '/metrics' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(METRICS_CONTENT_TYPE);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.text).toBe(backend.metrics);
  });

  it('orders and limits flows by the query', async () => {
    backend.flowRows = [
      makeFlow('10.0.0.1:8333', '10.0.0.2:8333', 1000, 5),
      makeFlow('10.0.0.2:8333', '10.0.0.1:8333', 5000, 1),
      makeFlow('10.0.0.3:8333', '10.0.0.1:8333', 10, 900),
    ];
    const byBytes = (await http({ port, path: '/flows?top=2&by=bytes' })).json();
    expect(byBytes.map((f: { bytes: number }) => f.bytes)).toEqual([5000, 1000]);
    const byRate = (await http({ port, path: '/flows?by=rate' })).json();
    expect(byRate.map((f: { rateBps: number }) => f.rateBps)).toEqual([900, 5, 1]);
  });

  it.each([
    ['top=0', 'ERR_BAD_REQUEST'],
    ['top=1001', 'ERR_BAD_REQUEST'],
    ['top=abc', 'ERR_BAD_REQUEST'],
    ['top=-1', 'ERR_BAD_REQUEST'],
    ['by=packets', 'ERR_BAD_REQUEST'],
  ])('rejects /flows?%s with 400', async (q, code) => {
    const r = await http({ port, path: `/flows?${q}` });
    expect(r.status).toBe(400);
    expect(r.json().error.code).toBe(code);
  });
});

describe('/health/<peer> routing', () => {
  it.each([
    ['IPv4', '/health/10.0.0.1:8333', '10.0.0.1:8333'],
    ['IPv4, encoded colon', '/health/10.0.0.1%3A8333', '10.0.0.1:8333'],
    ['IPv6 raw', '/health/[::1]:8333', '[::1]:8333'],
    ['IPv6 fully encoded', '/health/%5B%3A%3A1%5D%3A8333', '[::1]:8333'],
    ['IPv6 lower-case encoding', '/health/%5b%3a%3a1%5d%3a8333', '[::1]:8333'],
  ])('finds the peer: %s', async (_name, path, peer) => {
    const r = await http({ port, path });
    expect(r.status).toBe(200);
    expect(r.json().peer).toBe(peer);
  });

  it.each([
    ['no port', '/health/10.0.0.1', 'ERR_BAD_TARGET'],
    ['unbracketed IPv6', '/health/::1:8333', 'ERR_BAD_TARGET'],
    ['port out of range', '/health/10.0.0.1:70000', 'ERR_BAD_TARGET'],
    ['broken percent-encoding', '/health/%E0%A4%A', 'ERR_BAD_TARGET'],
    ['well-formed but unknown', '/health/10.0.0.99:8333', 'ERR_UNKNOWN_TARGET'],
  ])('answers 400 for %s', async (_name, path, code) => {
    const r = await http({ port, path });
    expect(r.status).toBe(400);
    expect(r.json().error.code).toBe(code);
  });

  it('lists the health of every current peer at /health', async () => {
    const r = (await http({ port, path: '/health' })).json();
    expect(r.map((h: { peer: string }) => h.peer)).toEqual(['10.0.0.1:8333']);
  });
});

describe('access control', () => {
  it('serves reads to IPv4 and IPv6 loopback clients of a dual-stack listener', async () => {
    const dual = new AdminServer({ backend, dataDir: null });
    const { port: p } = await dual.start('::', 0);
    try {
      // 127.0.0.1 arrives as ::ffff:127.0.0.1 on a dual-stack socket.
      expect((await http({ host: '127.0.0.1', port: p, path: '/status' })).status).toBe(200);
      expect((await http({ host: '::1', port: p, path: '/status' })).status).toBe(200);
    } finally {
      await dual.close();
    }
  });

  const lanAddress = nonLoopbackIPv4();
  it.skipIf(lanAddress === null)('requires the token for reads from a non-loopback address', async () => {
    const open = new AdminServer({ backend, dataDir: null });
    const { port: p } = await open.start('0.0.0.0', 0);
    try {
      const t = await readCookie(open.cookiePath!);
      const anon = await http({ host: lanAddress!, port: p, path: '/status' });
      expect(anon.status).toBe(401);
      expect(anon.json().error.code).toBe('ERR_UNAUTHORIZED');
      expect(anon.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await http({ host: lanAddress!, port: p, path: '/', headers: {} })).status).toBe(401);
      expect((await http({ host: lanAddress!, port: p, path: '/status', token: 'f'.repeat(64) })).status).toBe(401);
      const authed = await http({ host: lanAddress!, port: p, path: '/status', token: t });
      expect(authed.status).toBe(200);
      expect(authed.json().network).toBe('regtest');
    } finally {
      await open.close();
    }
  });

  it('refuses a loopback read that names a foreign Host (DNS rebinding) unless the token is sent', async () => {
    const rebound = await http({ port, path: '/peers', headers: { Host: `evil.example:${port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.json().error.code).toBe('ERR_FORBIDDEN');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `127.0.0.1`]) {
      expect((await http({ port, path: '/peers', headers: { Host: host } })).status).toBe(200);
    }
    expect((await http({ port, path: '/peers', headers: { Host: 'evil.example' }, token })).status).toBe(200);
  });

  it('rejects a wrong token even from loopback', async () => {
    const r = await http({ port, path: '/status', token: token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) });
    expect(r.status).toBe(401);
  });

  it.each([
    ['/ban', { target: '10.0.0.5' }],
    ['/unban', { target: '10.0.0.5' }],
    ['/connect', { addr: '10.0.0.5:8333' }],
    ['/disconnect', { addr: '10.0.0.1:8333' }],
    ['/leave', {}],
  ])('POST %s needs the token: none or wrong is 401 and changes nothing', async (path, body) => {
    const before = JSON.stringify([backend.peers(), backend.bans(), backend.left]);
    const none = await post(port, path, body);
    expect(none.status).toBe(401);
    expect(none.json().error.code).toBe('ERR_UNAUTHORIZED');
    const wrong = await post(port, path, body, '0'.repeat(64));
    expect(wrong.status).toBe(401);
    const malformed = await http({ port, method: 'POST', path, body: '{}', headers: { Authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect(JSON.stringify([backend.peers(), backend.bans(), backend.left])).toBe(before);
  });
});

describe('mutating calls with the token', () => {
  it('ban records the ban and answers with it', async () => {
    const r = await post(port, '/ban', { target: '10.0.0.5', durationMs: 60_000, reason: 'spam' }, token);
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ ok: true, ban: { target: '10.0.0.5', createdAt: backend.clock.now(), until: backend.clock.now() + 60_000, reason: 'spam' } });
    const subnet = await post(port, '/ban', { target: '2001:db8::/32' }, token);
    expect(subnet.json().ban.until).toBe(backend.clock.now() + DEFAULT_BAN_MS);
  });

  it('ban answers only once the backend has made it durable', async () => {
    let release!: () => void;
    let entered!: () => void;
    const inBackend = new Promise<void>((r) => (entered = r));
    backend.durable = () =>
      new Promise<void>((r) => {
        release = r;
        entered();
      });
    let answered = false;
    const reply = post(port, '/ban', { target: '10.0.0.6' }, token).then((r) => {
      answered = true;
      return r;
    });
    await inBackend;
    // A full round trip on another connection: had the ban been answered early, it would be here.
    expect((await http({ port, path: '/status' })).status).toBe(200);
    expect(answered).toBe(false);
    expect(backend.banMap.has('10.0.0.6')).toBe(false);
    release();
    expect((await reply).status).toBe(200);
    expect(backend.banMap.has('10.0.0.6')).toBe(true);
  });

  it('unban, connect, disconnect and leave change the backend', async () => {
    backend.banMap.set('10.0.0.7', { target: '10.0.0.7', createdAt: null, until: 1, reason: 'x' });
    expect((await post(port, '/unban', { target: '10.0.0.7' }, token)).status).toBe(200);
    expect(backend.banMap.size).toBe(0);

    expect((await post(port, '/connect', { addr: '[2001:db8::9]:18444', permanent: true }, token)).status).toBe(200);
    expect(backend.peerMap.get('[2001:db8::9]:18444')).toMatchObject({ state: 'connecting', permanent: true });
    expect((await post(port, '/connect', { addr: 'seed.example.org:8333' }, token)).status).toBe(200);
    expect(backend.peerMap.get('seed.example.org:8333')?.permanent).toBe(false);

    expect((await post(port, '/disconnect', { addr: '10.0.0.1:8333' }, token)).status).toBe(200);
    expect(backend.peerMap.has('10.0.0.1:8333')).toBe(false);

    const leave = await http({ port, method: 'POST', path: '/leave', token });
    expect(leave.status).toBe(200);
    expect(backend.left).toBe(true);
  });

  it.each([
    ['not JSON', '/ban', '{"target": ', 'ERR_BAD_JSON'],
    ['a JSON array', '/ban', '["10.0.0.1"]', 'ERR_BAD_JSON'],
    ['a JSON string', '/unban', '"10.0.0.1"', 'ERR_BAD_JSON'],
    ['missing target', '/ban', '{}', 'ERR_BAD_REQUEST'],
    ['a hostname as ban target', '/ban', '{"target":"example.com"}', 'ERR_BAD_TARGET'],
    ['CIDR prefix too long', '/ban', '{"target":"10.0.0.0/33"}', 'ERR_BAD_TARGET'],
    ['a misspelt field', '/ban', '{"target":"10.0.0.1","duration":5}', 'ERR_BAD_REQUEST'],
    ['a negative duration', '/ban', '{"target":"10.0.0.1","durationMs":-1}', 'ERR_BAD_REQUEST'],
    ['a fractional duration', '/ban', '{"target":"10.0.0.1","durationMs":1.5}', 'ERR_BAD_REQUEST'],
    ['a non-string reason', '/ban', '{"target":"10.0.0.1","reason":7}', 'ERR_BAD_REQUEST'],
    ['an unbanned target', '/unban', '{"target":"10.0.0.1"}', 'ERR_UNKNOWN_TARGET'],
    ['addr without port', '/connect', '{"addr":"10.0.0.1"}', 'ERR_BAD_TARGET'],
    ['permanent not boolean', '/connect', '{"addr":"10.0.0.1:8333","permanent":"yes"}', 'ERR_BAD_REQUEST'],
    ['an unknown peer', '/disconnect', '{"addr":"10.0.0.200:8333"}', 'ERR_UNKNOWN_TARGET'],
    ['a body on leave', '/leave', '{"now":true}', 'ERR_BAD_REQUEST'],
  ])('answers 400 for %s', async (_name, path, body, code) => {
    const r = await post(port, path, body, token);
    expect(r.status).toBe(400);
    expect(r.json().error.code).toBe(code);
    expect(typeof r.json().error.message).toBe('string');
  });

  it('passes the backend refusal of a target through as 400 with its code', async () => {
    backend.whitelist.add('10.0.0.8');
    const r = await post(port, '/ban', { target: '10.0.0.8' }, token);
    expect(r.status).toBe(400);
    expect(r.json().error).toEqual({ code: 'ERR_CONFIG', message: '10.0.0.8 is whitelisted' });
  });

  it.each([
    ['ERR_NOT_RUNNING', 503],
    ['ERR_STOPPING', 503],
    ['ERR_PEER_LIMIT', 503],
    ['ERR_DIAL_SCOPE', 403],
    ['ERR_INTERNAL', 500],
    ['ERR_STORE_IO', 500],
  ] as const)('answers a backend %s with %i', async (code, status) => {
    backend.connectError = new RelayError(code, `refused: ${code}`);
    try {
      const r = await post(port, '/connect', { addr: '10.0.0.9:8333' }, token);
      expect(r.status).toBe(status);
      expect(r.json().error).toEqual({ code, message: `refused: ${code}` });
    } finally {
      backend.connectError = null;
    }
  });
});

describe('body size cap', () => {
  it('answers 413 to a declared oversize body without calling the backend', async () => {
    const body = JSON.stringify({ target: '10.0.0.5', reason: 'x'.repeat(DEFAULT_MAX_BODY_BYTES) });
    const r = await post(port, '/ban', body, token);
    expect(r.status).toBe(413);
    expect(r.json().error.code).toBe('ERR_BODY_TOO_LARGE');
    expect(backend.banMap.size).toBe(0);
  });

  it('answers 413 to a chunked body that grows past the cap', async () => {
    const pieces = ['{"target":"10.0.0.5","reason":"', ...Array.from({ length: 20 }, () => 'y'.repeat(8192)), '"}'];
    const r = await http({ port, method: 'POST', path: '/ban', body: pieces, token });
    expect(r.status).toBe(413);
    expect(backend.banMap.size).toBe(0);
  });

  it('accepts a body of exactly the cap', async () => {
    const json = JSON.stringify({ target: '10.0.0.5' });
    const body = json + ' '.repeat(DEFAULT_MAX_BODY_BYTES - json.length);
    const r = await post(port, '/ban', body, token);
    expect(r.status).toBe(200);
  });

  it('does not read the body of an unauthenticated request', async () => {
    const r = await post(port, '/ban', 'z'.repeat(DEFAULT_MAX_BODY_BYTES + 1));
    expect(r.status).toBe(401);
  });
});

describe('routing errors and failures', () => {
  it('answers 404 with a JSON error for an unknown route', async () => {
    for (const path of ['/nope', '/statusx', '/health/', '/peers/extra']) {
      const r = await http({ port, path });
      expect(r.status, path).toBe(path === '/health/' ? 400 : 404);
      expect(r.json().error.code).toMatch(/^ERR_/);
    }
  });

  it('answers 405 with Allow for the wrong method', async () => {
    const getBan = await http({ port, path: '/ban', token });
    expect(getBan.status).toBe(405);
    expect(getBan.headers.allow).toBe('POST');
    const postStatus = await post(port, '/status', {}, token);
    expect(postStatus.status).toBe(405);
    expect(postStatus.headers.allow).toBe('GET, HEAD');
    expect(postStatus.json().error.code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect((await http({ port, method: 'DELETE', path: '/bans' })).status).toBe(405);
  });

  it('turns a backend exception into a 500 JSON error and keeps serving', async () => {
    backend.statusError = new TypeError('boom');
    const r = await http({ port, path: '/status' });
    expect(r.status).toBe(500);
    expect(r.json()).toEqual({ error: { code: 'ERR_INTERNAL', message: 'boom' } });
    backend.statusError = 'not even an Error';
    expect((await http({ port, path: '/status' })).status).toBe(500);
    backend.statusError = null;
    expect((await http({ port, path: '/status' })).status).toBe(200);
  });

  it('turns a rejected metricsText() into a 500', async () => {
    backend.metricsText = () => Promise.reject(new Error('registry closed'));
    const r = await http({ port, path: '/metrics' });
    expect(r.status).toBe(500);
    expect(r.json().error.message).toBe('registry closed');
  });
});

describe('status page', () => {
  it('is HTML whose inline script and style carry the nonce of its CSP', async () => {
    const r = await http({ port, path: '/' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(r.headers['content-security-policy']);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(r.text).toContain(`<script nonce="${nonce}">`);
    expect(r.text).toContain(`<style nonce="${nonce}">`);
    expect(r.text).not.toMatch(/\b(src|href)=["']?https?:/);
    const again = await http({ port, path: '/' });
    expect(String(again.headers['content-security-policy'])).not.toContain(nonce!);
  });
});

describe('cookie', () => {
  it('is __cookie__:<hex>, mode 0600, in the data dir, and removed on close', async () => {
    const path = server.cookiePath!;
    expect(dirname(path)).toBe(dataDir);
    expect(await readFile(path, 'utf8')).toMatch(/^__cookie__:[0-9a-f]{64}$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual(['.cookie']);
    await server.close();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(server.cookiePath).toBeNull();
  });

  it('is new at every start, so an old token stops working', async () => {
    const other = new AdminServer({ backend, dataDir });
    await server.close();
    const { port: p } = await other.start('127.0.0.1', 0);
    try {
      const fresh = await readCookie(other.cookiePath!);
      expect(fresh).not.toBe(token);
      expect((await post(p, '/leave', {}, token)).status).toBe(401);
      expect((await post(p, '/leave', {}, fresh)).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('lives in a private temp dir when the node has no data dir, removed on close', async () => {
    const noDir = new AdminServer({ backend, dataDir: null });
    await noDir.start('127.0.0.1', 0);
    const path = noDir.cookiePath!;
    expect(path.startsWith(tmpdir())).toBe(true);
    expect((await stat(dirname(path))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await noDir.close();
    await expect(stat(dirname(path))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('is removed when the port is taken and start fails', async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'wirerelay-admin-test-'));
    const clash = new AdminServer({ backend, dataDir: dir2 });
    try {
      await expect(clash.start('127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(await readdir(dir2)).toEqual([]);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });
});

describe('close', () => {
  it('does not deadlock when leave() closes the server, and the leave still gets its answer', async () => {
    backend.onLeave = () => server.close();
    const r = await http({ port, method: 'POST', path: '/leave', token });
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBe('close');
    await server.whenDrained();
    await expect(http({ port, path: '/status' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
