/**
 * The JSON-RPC transport byte for byte over raw HTTP, against Bitcoin Core's rules
 * (src/httprpc.cpp, doc/JSON-RPC-interface.md): Basic auth and 401, POST only, legacy replies with
 * Core's HTTP statuses, JSON-RPC 2.0 replies (Core v28), notifications, batches. And the cookie:
 * `__cookie__:` + 64 hex, mode 0600, new at each start, gone at stop, shared with the admin endpoint.
 */
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(port: number, body: string | null, opts: { auth?: string | null; method?: string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (opts.auth !== null && opts.auth !== undefined) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const req = request({ host: '127.0.0.1', port, path: '/', method: opts.method ?? 'POST', headers }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

let dir: string;
let node: RelayNode;
let port: number;
let auth: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wirerelay-rpc-http-'));
  node = createRelay({ network: 'regtest', listen: null, rpc: '127.0.0.1:0', dataDir: dir, workers: 0, targetOutbound: 0, logLevel: 'silent' });
  await node.start();
  port = Number(node.rpcEndpoint!.addr.split(':').pop());
  auth = (await readFile(join(dir, '.cookie'), 'utf8')).trim();
});

afterAll(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

const rpc = (body: unknown): Promise<Res> => call(port, JSON.stringify(body), { auth });

describe('JSON-RPC over HTTP', () => {
  it('writes the cookie as Core does: __cookie__ and 64 hex digits, mode 0600, in the data dir', async () => {
    expect(auth).toMatch(/^__cookie__:[0-9a-f]{64}$/);
    expect((await stat(join(dir, '.cookie'))).mode & 0o777).toBe(0o600);
    expect(node.rpcEndpoint!.cookiePath).toBe(join(dir, '.cookie'));
  });

  it('401 with WWW-Authenticate for no or wrong credentials; 405 for anything but POST', async () => {
    const none = await call(port, '{"method":"uptime"}', { auth: null });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="jsonrpc"');
    const wrong = await call(port, '{"method":"uptime"}', { auth: '__cookie__:' + '0'.repeat(64) });
    expect(wrong.status).toBe(401);
    const get = await call(port, null, { auth, method: 'GET' });
    expect(get.status).toBe(405);
  });

  it('legacy mode: result, error and id always present; 404, 400, 500 for errors as in Core', async () => {
    const ok = await rpc({ method: 'getconnectioncount', params: [], id: 7 });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ result: 0, error: null, id: 7 });

    const legacy10 = await rpc({ jsonrpc: '1.0', method: 'getconnectioncount', id: 'x' });
    expect(JSON.parse(legacy10.body)).toEqual({ result: 0, error: null, id: 'x' });

    const unknown = await rpc({ method: 'getblock', params: ['00'], id: 1 });
    expect(unknown.status).toBe(404);
    const u = JSON.parse(unknown.body);
    expect(u.result).toBeNull();
    expect(u.error.code).toBe(-32601);
    expect(u.error.message).toMatch(/not supported by a relay/);
    expect(u.id).toBe(1);

    const invalid = await rpc({ method: 42, id: 2 });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).error.code).toBe(-32600);

    const badParam = await rpc({ method: 'setban', params: ['300.1.1.1', 'add'], id: 3 });
    expect(badParam.status).toBe(500);
    expect(JSON.parse(badParam.body)).toEqual({ result: null, error: { code: -30, message: 'Error: Invalid IP/Subnet' }, id: 3 });

    const parse = await call(port, '{"method": ', { auth });
    expect(parse.status).toBe(500);
    expect(JSON.parse(parse.body)).toEqual({ result: null, error: { code: -32700, message: 'Parse error' }, id: null });

    const version = await rpc({ jsonrpc: '3.0', method: 'uptime', id: 4 });
    expect(version.status).toBe(400);
    expect(JSON.parse(version.body).error.code).toBe(-32600);
  });

  it('JSON-RPC 2.0: always 200, result or error but not both; a notification gets 204 and no body', async () => {
    const ok = await rpc({ jsonrpc: '2.0', method: 'getconnectioncount', id: 1 });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ jsonrpc: '2.0', result: 0, id: 1 });

    const unknown = await rpc({ jsonrpc: '2.0', method: 'getblock', id: 2 });
    expect(unknown.status).toBe(200);
    const u = JSON.parse(unknown.body);
    expect(u).not.toHaveProperty('result');
    expect(u.error.code).toBe(-32601);
    expect(u.id).toBe(2);

    const bad = await rpc({ jsonrpc: '2.0', method: 'disconnectnode', params: { address: '127.0.0.1:9' }, id: 3 });
    expect(bad.status).toBe(200);
    expect(JSON.parse(bad.body)).toEqual({ jsonrpc: '2.0', error: { code: -29, message: 'Node not found in connected nodes' }, id: 3 });

    // A 2.0 request that does not parse keeps legacy mode's 400 (Core's JSONErrorReply), in 2.0's shape.
    const invalid = await rpc({ jsonrpc: '2.0', method: 5, id: 9 });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'Method must be a string' }, id: 9 });

    const note = await rpc({ jsonrpc: '2.0', method: 'uptime' });
    expect(note.status).toBe(204);
    expect(note.body).toBe('');
  });

  it('batches: 200 with one reply per request in order, 2.0 notifications left out; all-notification 204; empty []', async () => {
    const res = await rpc([
      { method: 'getconnectioncount', id: 'a' },
      { jsonrpc: '2.0', method: 'uptime' },
      { jsonrpc: '2.0', method: 'nosuchcall', id: 'b' },
      { method: 'nosuchcall', id: 'c' },
      { jsonrpc: '2.0', method: 'help', params: ['uptime'], id: 'd' },
      'not an object',
    ]);
    expect(res.status).toBe(200);
    const out = JSON.parse(res.body);
    expect(out).toHaveLength(5);
    expect(out[0]).toEqual({ result: 0, error: null, id: 'a' });
    expect(out[1]).toMatchObject({ jsonrpc: '2.0', id: 'b', error: { code: -32601 } });
    expect(out[1]).not.toHaveProperty('result');
    expect(out[2]).toMatchObject({ result: null, id: 'c', error: { code: -32601 } });
    expect(out[3]).toMatchObject({ jsonrpc: '2.0', id: 'd' });
    expect(out[3].result).toMatch(/^uptime/);
    expect(out[4]).toMatchObject({ result: null, error: { code: -32600 }, id: null });

    const notes = await rpc([{ jsonrpc: '2.0', method: 'uptime' }, { jsonrpc: '2.0', method: 'getconnectioncount' }]);
    expect(notes.status).toBe(204);
    const empty = await rpc([]);
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body)).toEqual([]);
  });

  it('named parameters map onto the positional ones; an unknown name is -8', async () => {
    const res = await rpc({ jsonrpc: '2.0', method: 'help', params: { command: 'ping' }, id: 1 });
    expect(JSON.parse(res.body).result).toMatch(/^ping/);
    const bad = await rpc({ jsonrpc: '2.0', method: 'help', params: { nope: 1 }, id: 2 });
    expect(JSON.parse(bad.body).error.code).toBe(-8);
  });
});

describe('the cookie across restarts and beside the admin endpoint', () => {
  it('is rewritten with a new token at each start and removed at stop', async () => {
    const d = await mkdtemp(join(tmpdir(), 'wirerelay-rpc-cookie-'));
    try {
      const tokens: string[] = [];
      for (let i = 0; i < 2; i++) {
        const n = createRelay({ network: 'regtest', listen: null, rpc: '127.0.0.1:0', dataDir: d, workers: 0, targetOutbound: 0, logLevel: 'silent' });
        await n.start();
        tokens.push(await readFile(join(d, '.cookie'), 'utf8'));
        await n.stop();
        expect(existsSync(join(d, '.cookie'))).toBe(false);
      }
      expect(tokens[0]).not.toBe(tokens[1]);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it('with the admin endpoint on, both use the one .cookie: RPC accepts the admin token', async () => {
    const d = await mkdtemp(join(tmpdir(), 'wirerelay-rpc-shared-'));
    try {
      const n = createRelay({ network: 'regtest', listen: null, http: '127.0.0.1:0', rpc: '127.0.0.1:0', dataDir: d, workers: 0, targetOutbound: 0, logLevel: 'silent' });
      await n.start();
      expect(n.rpcEndpoint!.cookiePath).toBe(n.adminEndpoint!.cookiePath);
      const cookie = (await readFile(join(d, '.cookie'), 'utf8')).trim();
      const p = Number(n.rpcEndpoint!.addr.split(':').pop());
      const res = await call(p, JSON.stringify({ method: 'uptime', id: 1 }), { auth: cookie });
      expect(res.status).toBe(200);
      await n.stop();
      expect(existsSync(join(d, '.cookie'))).toBe(false);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
