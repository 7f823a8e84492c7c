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
