/**
 * The node's durable state streamed to `wirerelay backup-server` (socket://) and restored from it
 * into a fresh data directory: the restored node comes back with the same bans.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupServer } from '../../src/persist/backup/backup-server.js';
import { restoreDataDir } from '../../src/persist/restore.js';
import { createRelay } from '../../src/node/relay-node.js';
import { createServer, type AddressInfo } from 'node:net';

const quiet = () => {};

describe('node with a socket backup', () => {
  it('streams its changes to the backup server, and a restore brings the bans back', async () => {
    const server = await BackupServer.start({ host: '127.0.0.1', port: 0, dir: mkdtempSync(join(tmpdir(), 'wr-bk-srv-')), log: quiet });
    try {
      const url = `socket://127.0.0.1:${server.address().port}`;
      const dataDir = mkdtempSync(join(tmpdir(), 'wr-bk-node-'));
      const node = createRelay({ listen: null, http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, onlynet: ['loopback'], dataDir, backup: url });
      await node.start();
      await node.ban('10.20.0.0/16', { reason: 'backed up' });
      await node.ban('2001:db8:1::/48', { reason: 'v6 too' });
      await node.unban('10.20.0.0/16');
      await node.stop();

      const restored = join(mkdtempSync(join(tmpdir(), 'wr-bk-restore-')), 'data');
      await restoreDataDir(url, restored, { log: quiet });
      const again = createRelay({ listen: null, http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, onlynet: ['loopback'], dataDir: restored });
      await again.start();
      expect(again.bans().map((b) => [b.target, b.reason])).toEqual([['2001:db8:1::/48', 'v6 too']]);
      await again.stop();
    } finally {
      await server.close();
    }
  });
});

describe('the backup policy from createRelay', () => {
  /** A socket:// URL on a port nothing listens on (bound, then closed). */
  async function deadUrl(): Promise<string> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const { port } = srv.address() as AddressInfo;
    await new Promise<void>((r) => srv.close(() => r()));
    return `socket://127.0.0.1:${port}`;
  }
  const options = (dataDir: string, backup: string) => ({ listen: null, http: null, logLevel: 'silent' as const, workers: 0, targetOutbound: 0, onlynet: ['loopback' as const], dataDir, backup });

  it('stop: the node does not start without its backup', async () => {
    const node = createRelay({ ...options(mkdtempSync(join(tmpdir(), 'wr-bk-stop-')), await deadUrl()), backupPolicy: 'stop' });
    await expect(node.start()).rejects.toMatchObject({ code: 'ERR_BACKUP_UNREACHABLE' });
  });

  it('buffer (the default): the node starts and queues its changes', async () => {
    const node = createRelay({ ...options(mkdtempSync(join(tmpdir(), 'wr-bk-buffer-')), await deadUrl()), backupBufferChanges: 50 });
    await node.start();
    try {
      await node.ban('10.30.0.0/16');
      expect(node.status().backup).toMatchObject({ pending: expect.any(Number) });
      expect(node.status().backup!.pending).toBeGreaterThan(0);
    } finally {
      await node.stop();
    }
  });

  it('refuses an unknown policy by name', () => {
    expect(() => createRelay({ backupPolicy: 'drop' as never })).toThrow(/backupPolicy must be one of stop, buffer/);
  });
});
