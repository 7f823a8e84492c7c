/**
 * The installed entry point, `node bin/wirerelay.js <command>`, as a real child process talking to
 * an admin server in this process. Runs the build that `npm test` makes first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminServer } from '../../src/admin/http-server.js';
import { MemoryBackend } from './memory-backend.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirerelay.js');
const COMMANDS = ['status', 'peers', 'ban', 'unban', 'connect', 'disconnect', 'flows', 'health', 'leave'];

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

function wirerelay(args: string[]): Promise<Exit> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

let dataDir: string;
let backend: MemoryBackend;
let server: AdminServer;
let http: string;

beforeAll(async () => {
  // `npm test` builds first. Recompiling here rewrote dist/ under other test files' child processes.
  for (const name of COMMANDS) {
    const out = join(ROOT, `dist/src/cli/commands/${name}.js`);
    if (!existsSync(out)) throw new Error(`tsc did not produce ${out}`);
  }
  dataDir = await mkdtemp(join(tmpdir(), 'wirerelay-spawn-test-'));
  backend = new MemoryBackend();
  backend.addPeer('10.0.0.1:8333');
  server = new AdminServer({ backend, dataDir });
  http = (await server.start('127.0.0.1', 0)).addr;
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('wirerelay binary', () => {
  it('lists the admin commands with their summaries', async () => {
    const r = await wirerelay(['--help']);
    expect(r.code).toBe(0);
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it('prints status and peers as text and JSON, exit 0', async () => {
    const status = await wirerelay(['status', '--http', http]);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/^network: +regtest$/m);
    const peers = await wirerelay(['peers', '--http', http, '--json']);
    expect(peers.code).toBe(0);
    expect(JSON.parse(peers.stdout)).toEqual(backend.peers());
  });

  it('bans with the cookie from --data-dir', async () => {
    const r = await wirerelay(['ban', '10.0.0.5', '--duration', '1h', '--reason', 'spawned', '--http', http, '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^banned 10\.0\.0\.5 until /);
    expect(backend.banMap.get('10.0.0.5')?.reason).toBe('spawned');
  });

  it('exits 1 with "bad or missing cookie, pass --data-dir" when the cookie is elsewhere', async () => {
    const r = await wirerelay(['leave', '--http', http, '--data-dir', join(dataDir, 'other')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^wirerelay leave: bad or missing cookie, pass --data-dir/);
    expect(backend.left).toBe(false);
  });

  it('exits 1 with "cannot reach the admin endpoint" when no node runs', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await wirerelay(['status', '--http', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^wirerelay status: cannot reach the admin endpoint at 127\\.0\\.0\\.1:${port} `));
  });

  it('exits 2 on a usage error', async () => {
    const r = await wirerelay(['unban', '--http', http]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: wirerelay unban TARGET');
  });
});
