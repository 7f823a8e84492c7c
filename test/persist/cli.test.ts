import { spawn, execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../dist/src/persist/state-store.js';
import { tempDir } from './helpers.js';

const bin = fileURLToPath(new URL('../../bin/wirerelay.js', import.meta.url));
const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  promisify(execFile)(process.execPath, [bin, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const quiet = (): void => undefined;

describe('wirerelay state / backup commands', () => {
  it('state show prints the durable state while a node holds the directory', async () => {
    const dir = tempDir('cli');
    const s = await StateStore.open(dir, { log: quiet });
    await s.commit({ type: 'ban', key: '203.0.113.5', until: 2e12, reason: 'bad magic', createdAt: 1.7e12 });
    await s.commit({ type: 'addrTable', table: { new: [1, 2], tried: [3] } });
    await s.commit({ type: 'clocks', membership: 3, event: 44 });
    const { code, stdout } = await run(['state', 'show', '--data-dir', dir]);
    await s.close();
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ version: 3, bans: { '203.0.113.5': { reason: 'bad magic' } }, addrTable: { new: 2, tried: 1 }, clocks: { membership: 3, event: 44 } });
  });

  it('restores from a backup-server child process, and refuses to overwrite without --force', async () => {
    const srvDir = tempDir('cli-srv');
    const server = spawn(process.execPath, [bin, 'backup-server', '--listen', '127.0.0.1:0', '--dir', srvDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (c) => {
        out += c;
        const m = /listening on .*:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', (code) => reject(new Error(`backup-server exited ${code}`)));
    });
    try {
      const url = `socket://127.0.0.1:${port}`;
      const dir = tempDir('cli');
      const s = await StateStore.open(dir, { log: quiet, backup: url, backupPolicy: { mode: 'stop' } });
      await Promise.all(Array.from({ length: 100 }, (_, i) => s.commit({ type: 'meta', key: `k${i}`, value: String(i) })));
      const original = structuredClone(s.state);
      await s.close();
      const status = await run(['backup', 'status', '--data-dir', dir, '--backup', url]);
      expect(JSON.parse(status.stdout).backup).toMatchObject({ version: 100, onStart: { action: 'equal' } });
      const refused = await run(['backup', 'restore', '--backup', url, '--data-dir', dir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('--force');
      const target = join(tempDir('cli'), 'node');
      const restored = await run(['backup', 'restore', '--backup', url, '--data-dir', target]);
      expect(restored.code).toBe(0);
      const back = await StateStore.open(target, { log: quiet });
      expect(back.state).toEqual(original);
      await back.close();
    } finally {
      server.kill('SIGTERM');
    }
  });
});
