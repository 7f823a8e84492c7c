/**
 * The admin endpoint under a local nuisance: idle sockets beyond the connection bound must not
 * lock the CLI out, and an endpoint bound beyond loopback starts with a clear warning.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdminServer, MAX_CONNECTIONS, exposureWarning } from '../../src/admin/http-server.js';
import { readCookie } from '../../src/admin/cookie.js';
import { createRelay } from '../../src/node/relay-node.js';
import { Logger } from '../../src/log.js';
import { http, post } from './http-client.js';
import { MemoryBackend } from './memory-backend.js';

describe('admin endpoint hardening', () => {
  it(`${MAX_CONNECTIONS + 2} idle sockets do not lock the CLI out: the longest-idle ones make room`, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wirerelay-admin-idle-'));
    const server = new AdminServer({ backend: new MemoryBackend(), dataDir });
    const { port } = await server.start('127.0.0.1', 0);
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS + 2; i++) {
        const s = connect({ host: '127.0.0.1', port });
        s.on('error', () => {});
        await new Promise<void>((r) => s.once('connect', () => r()));
        idle.push(s);
      }
      const status = await http({ port, path: '/status' });
      expect(status.status).toBe(200);
      const token = await readCookie(server.cookiePath!);
      const ban = await post(port, '/ban', { target: '10.9.9.9' }, token);
      expect(ban.status).toBe(200);
      // The oldest idle sockets were the ones closed.
      await new Promise<void>((r) => (idle[0]!.closed ? r() : idle[0]!.once('close', () => r())));
      expect(idle[0]!.closed).toBe(true);
      expect(idle[idle.length - 1]!.closed).toBe(false);
    } finally {
      for (const s of idle) s.destroy();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('warns when bound beyond loopback, and only then', async () => {
    expect(exposureWarning('127.0.0.1')).toBeNull();
    expect(exposureWarning('::1')).toBeNull();
    expect(exposureWarning('0.0.0.0')).toMatch(/every interface.*firewall.*127\.0\.0\.1/);
    expect(exposureWarning('192.168.1.5')).toMatch(/192\.168\.1\.5, not only loopback/);
    const lines: string[] = [];
    const node = createRelay({ listen: null, http: '0.0.0.0:0', workers: 0, targetOutbound: 0 }, { logger: new Logger('warn', (l) => lines.push(l)) });
    await node.start();
    await node.stop();
    expect(lines.filter((l) => l.includes('"level":40') && l.includes('every interface'))).toHaveLength(1);
  });
});
