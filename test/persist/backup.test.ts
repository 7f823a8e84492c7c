import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { StateStore } from '../../dist/src/persist/state-store.js';
import { FileOps, errnoError } from '../../dist/src/persist/file-ops.js';
import { reconcile } from '../../dist/src/persist/backup/reconcile.js';
import { LogBackup } from '../../dist/src/persist/backup/file-backend.js';
import { BackupServer } from '../../dist/src/persist/backup/backup-server.js';
import { SocketBackend } from '../../dist/src/persist/backup/socket-backend.js';
import { LogFile, rebuildState, readLogSnapshot } from '../../dist/src/persist/state-log.js';
import { encodeChange } from '../../dist/src/persist/state-model.js';
import type { StateChange } from '../../dist/src/persist/state-model.js';
import { tempDir } from './helpers.js';

const quiet = (): void => undefined;
const meta = (i: number): StateChange => ({ type: 'meta', key: `k${i}`, value: `v${i}` });
const fastRetry = { initialMs: 10, maxMs: 50, factor: 1.5 };

async function stateOf(path: string) {
  const { buf, scan } = await readLogSnapshot(path);
  return rebuildState(buf, scan, path).state;
}

describe('version reconciliation', () => {
  const local = (version: number, oldestHeld = 1) => ({ version, lastCrc: 7, oldestHeld, crcAt: () => undefined });
  const backup = (version: number, rewindable = true, lastCrc = 7) => ({ version, prevVersion: version - 1, count: version, lastCrc, rewindable });
  const cases = [
    { name: 'equal', l: local(10), b: backup(10), want: { action: 'equal' } },
    { name: 'backup one ahead', l: local(10), b: backup(11, true, 9), want: { action: 'rewind-backup', target: 10 } },
    { name: 'backup two ahead', l: local(10), b: backup(12, true, 9), want: { action: 'refuse', side: 'backup-ahead' } },
    { name: 'backup behind, local holds the changes', l: local(10, 4), b: backup(6, true, 9), want: { action: 'catch-up', from: 7, count: 4 } },
    { name: 'backup behind with a gap', l: local(10, 9), b: backup(6, true, 9), want: { action: 'refuse', side: 'backup-behind' } },
    { name: 'equal versions, different histories', l: local(10), b: backup(10, true, 8), want: { action: 'refuse', side: 'diverged' } },
    { name: 'empty backup', l: local(10), b: { version: 0, prevVersion: 0, count: 0, lastCrc: 0, rewindable: false }, want: { action: 'seed' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = reconcile(c.l, c.b, 'file:///b');
      expect(d).toMatchObject(c.want);
      if (d.action === 'refuse') expect(d.message).toMatch(/wirerelay backup (restore|init)/);
    });
  }

  it('rewinds a backup that holds one change more, then continues', async () => {
    const dir = tempDir('bk');
    const bpath = join(tempDir('bk'), 'state.log');
    const s = await StateStore.open(dir, { log: quiet, backup: `file://${bpath}` });
    for (let i = 0; i < 5; i++) await s.commit(meta(i));
    await s.close();
    const b = new LogBackup(bpath, undefined, quiet);
    await b.append([{ version: 6, kind: 'change', payload: encodeChange(meta(5)) }]);
    await b.close();
    const again = await StateStore.open(dir, { log: quiet, backup: `file://${bpath}` });
    expect((await stateOf(bpath)).version).toBe(5);
    expect(await again.commit(meta(6))).toBe(6);
    await again.close();
    expect((await stateOf(bpath)).meta).toEqual((await stateOf(join(dir, 'state.log'))).meta);
  });

  it('refuses to start when the backup is two changes ahead, saying which side and how to recover', async () => {
    const dir = tempDir('bk');
    const bpath = join(tempDir('bk'), 'state.log');
    const s = await StateStore.open(dir, { log: quiet, backup: `file://${bpath}` });
    await s.commit(meta(0));
    await s.close();
    const b = new LogBackup(bpath, undefined, quiet);
    await b.append([1, 2].map((i) => ({ version: i + 1, kind: 'change' as const, payload: encodeChange(meta(i)) })));
    await b.close();
    const err = await StateStore.open(dir, { log: quiet, backup: `file://${bpath}` }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'ERR_BACKUP_MISMATCH' });
    expect((err as { message: string }).message).toMatch(/2 changes ahead.*backup restore/);
    // The refusal released the data directory: no stale lock, so the operator's restore can run.
    const s2 = await StateStore.open(dir, { log: quiet });
    await s2.close();
  });

  it('catches up a backup that is behind from the local log', async () => {
    const dir = tempDir('bk');
    const bdir = tempDir('bk');
    const s = await StateStore.open(dir, { log: quiet, backup: `file://${bdir}/` });
    for (let i = 0; i < 3; i++) await s.commit(meta(i));
    await s.close();
    const s2 = await StateStore.open(dir, { log: quiet });
    for (let i = 3; i < 10; i++) await s2.commit(meta(i));
    await s2.close();
    const s3 = await StateStore.open(dir, { log: quiet, backup: `file://${bdir}/` });
    await s3.close();
    expect((await stateOf(join(bdir, 'state.log'))).version).toBe(10);
  });
});

describe('backup destinations', () => {
  it('seeds an empty file backup from existing state and mirrors every later change', async () => {
    const dir = tempDir('bk');
    const s0 = await StateStore.open(dir, { log: quiet });
    for (let i = 0; i < 20; i++) await s0.commit(meta(i));
    await s0.close();
    const bpath = join(tempDir('bk'), 'copy.log');
    const s = await StateStore.open(dir, { log: quiet, backup: `file://${bpath}`, backupPolicy: { mode: 'stop' } });
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.commit(meta(100 + i))));
    await s.rewind();
    await s.close();
    expect(await stateOf(bpath)).toEqual(await stateOf(join(dir, 'state.log')));
  });

  it('restoring from the backup server gives the original state, also after a server-side compaction', async () => {
    const server = await BackupServer.start({ host: '127.0.0.1', port: 0, dir: tempDir('srv'), log: quiet });
    const { port } = server.address();
    const url = `socket://127.0.0.1:${port}`;
    const dir = tempDir('bk');
    const s = await StateStore.open(dir, { log: quiet, backup: url, backupPolicy: { mode: 'stop' } });
    await Promise.all(Array.from({ length: 300 }, (_, i) => s.commit(meta(i))));
    await s.commit({ type: 'ban', key: '198.51.100.0/24', until: 2e12, reason: 'r', createdAt: 1 });
    await s.commit({ type: 'addrTable', table: { new: Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}:8333`) } });
    const original = structuredClone(s.state);
    await s.close();
    for (const compactFirst of [false, true]) {
      const client = new SocketBackend(url, '127.0.0.1', port);
      await client.connect();
      if (compactFirst) expect((await client.compact()).after.entries).toBe(2);
      const target = join(tempDir('restore'), 'state.log');
      await LogFile.create(target);
      const { log } = await LogFile.open(target, { log: quiet });
      const version = await client.restore(async (r) => log.append([r]));
      await log.close();
      await client.close();
      expect(version).toBe(original.version);
      expect(await stateOf(target)).toEqual(original);
    }
    await server.close();
  });

  it('buffer policy: keeps committing while the backup disk fails with EIO, then catches up', async () => {
    const dir = tempDir('bk');
    const bpath = join(tempDir('bk'), 'state.log');
    let broken = false;
    const ops = new FileOps({ fault: (op, p) => (broken && p.startsWith(bpath) ? errnoError('EIO', op, p) : undefined) });
    const s = await StateStore.open(dir, { log: quiet, ops, backup: `file://${bpath}`, backupRetry: fastRetry, backupPolicy: { mode: 'buffer', maxChanges: 1000 } });
    await s.commit(meta(0));
    broken = true;
    for (let i = 1; i < 20; i++) await s.commit(meta(i));
    expect(s.backupStatus?.status).not.toBe('ok');
    broken = false;
    await vi.waitFor(() => expect(s.backupStatus).toMatchObject({ status: 'ok', acked: 20 }), { timeout: 5000, interval: 10 });
    await s.close();
    expect((await stateOf(bpath)).version).toBe(20);
  });

  it('stop policy: a commit waits while the backup server is down and completes when it is back', async () => {
    const sdir = tempDir('srv');
    let server = await BackupServer.start({ host: '127.0.0.1', port: 0, dir: sdir, log: quiet });
    const { port } = server.address();
    const dir = tempDir('bk');
    const s = await StateStore.open(dir, { log: quiet, backup: `socket://127.0.0.1:${port}`, backupRetry: fastRetry, backupPolicy: { mode: 'stop' } });
    await s.commit(meta(0));
    await server.close();
    let done = false;
    const pending = s.commit(meta(1)).then((v) => {
      done = true;
      return v;
    });
    await vi.waitFor(() => expect(s.backupStatus?.status).not.toBe('ok'), { timeout: 5000, interval: 10 });
    expect(done).toBe(false);
    server = await BackupServer.start({ host: '127.0.0.1', port, dir: sdir, log: quiet });
    expect(await pending).toBe(2);
    await s.close();
    await server.close();
  });

  it('stop policy refuses to start without the backup; buffer policy starts', async () => {
    const dir = tempDir('bk');
    const url = 'socket://127.0.0.1:9';
    await expect(StateStore.open(dir, { log: quiet, backup: url, backupPolicy: { mode: 'stop' } })).rejects.toMatchObject({ code: 'ERR_BACKUP_UNREACHABLE' });
    const s = await StateStore.open(dir, { log: quiet, backup: url, backupRetry: fastRetry, backupCloseTimeoutMs: 0 });
    expect(await s.commit(meta(0))).toBe(1);
    await s.close();
  });
});
