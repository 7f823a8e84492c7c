/**
 * Durable first: a ban or unban whose commit fails (the disk is full) changes nothing, in memory
 * or on disk, and says why. Real files; the fault is injected at the file layer, under the real
 * state store and the real ban manager.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Logger } from '../../src/log.js';
import { resolveConfig } from '../../src/node/config.js';
import { DurableState } from '../../src/node/durable-state.js';
import { BanManager } from '../../src/node/ban-manager.js';
import { FileOps, errnoError } from '../../src/persist/file-ops.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(dataDir: string, ops: FileOps): Promise<{ durable: DurableState; bans: BanManager }> {
  const config = resolveConfig({ dataDir, listen: null, http: null });
  const clock = new ManualClock();
  const log = new Logger('silent');
  const durable = await DurableState.open(config, clock, log, ops);
  const bans = new BanManager(config, clock, log, durable);
  bans.load();
  return { durable, bans };
}

describe('durable first: ban and unban on a full disk', () => {
  it('a failed ban is not in force, a failed unban leaves the ban in force, and a restart agrees', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wirerelay-durable-'));
    dirs.push(dataDir);
    let full = false;
    const ops = new FileOps({ fault: (op, p) => (full && op === 'write' && p.endsWith('state.log') ? errnoError('ENOSPC', op, p) : undefined) });
    const { durable, bans } = await open(dataDir, ops);

    full = true;
    const failedBan = bans.ban('10.1.2.3', 60_000, 'test');
    await expect(failedBan).rejects.toMatchObject({ code: 'ERR_STORE_IO' });
    await expect(bans.ban('10.1.2.3', 60_000, 'test')).rejects.toThrow(/ban of 10\.1\.2\.3 not applied.*ENOSPC.*nothing changed/);
    expect(bans.isBanned('10.1.2.3')).toBe(false);
    expect(bans.entries()).toEqual([]);

    full = false;
    await bans.ban('10.9.9.9', 60_000, 'kept');
    expect(bans.isBanned('10.9.9.9')).toBe(true);

    full = true;
    await expect(bans.unban('10.9.9.9')).rejects.toThrow(/unban of 10\.9\.9\.9 not applied.*ENOSPC/);
    expect(bans.isBanned('10.9.9.9')).toBe(true);
    expect(bans.entries().map((b) => b.target)).toEqual(['10.9.9.9']);

    full = false;
    await durable.close();
    const again = await open(dataDir, new FileOps());
    try {
      expect(again.bans.entries().map((b) => b.target)).toEqual(['10.9.9.9']);
      expect(again.bans.isBanned('10.1.2.3')).toBe(false);
      expect(await again.bans.unban('10.9.9.9')).toBe(true);
      expect(again.bans.isBanned('10.9.9.9')).toBe(false);
      expect(await again.bans.unban('10.9.9.9')).toBe(false);
    } finally {
      await again.durable.close();
    }
  });
});
