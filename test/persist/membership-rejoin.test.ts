/**
 * What the membership snapshot gives a restarting node: the members to rejoin (alive ones, then
 * the ones that failed while it ran, as Serf does), and a shutdown flush that a hung disk cannot
 * hold up for longer than its bound.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Logger } from '../../src/log.js';
import { resolveConfig } from '../../src/node/config.js';
import { DurableState, MEMBERSHIP_FILE } from '../../src/node/durable-state.js';
import { FileOps, type OpsFile } from '../../src/persist/file-ops.js';
import { MembershipSnapshot } from '../../src/persist/membership-snapshot.js';
import { captureLog, tempDir } from './helpers.js';

const quiet = new Logger('silent');
const seeded = (): (() => number) => {
  let seed = 7;
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
};

describe('DurableState.rejoinPeers', () => {
  it('offers the alive members, then the failed ones, each address once', async () => {
    const config = resolveConfig({ dataDir: tempDir('rejoin'), logLevel: 'silent' });
    const first = await DurableState.open(config, systemClock, quiet);
    const m = first.membership!;
    m.alive('10.0.0.1:8333', '10.0.0.1:8333');
    m.alive('10.0.0.2:8333', '10.0.0.2:8333');
    m.alive('10.0.0.3:8333', '10.0.0.3:8333');
    m.notAlive('10.0.0.3:8333'); // went away while we ran: failed, still worth a dial
    await first.close();

    const again = await DurableState.open(config, systemClock, quiet);
    try {
      const peers = again.rejoinPeers(seeded());
      expect(peers.slice(0, 2).map((p) => p.was)).toEqual(['alive', 'alive']);
      expect(peers.slice(0, 2).map((p) => p.addr).sort()).toEqual(['10.0.0.1:8333', '10.0.0.2:8333']);
      expect(peers[2]).toEqual({ name: '10.0.0.3:8333', addr: '10.0.0.3:8333', was: 'failed' });
      expect(peers).toHaveLength(3);
    } finally {
      await again.close();
    }
  });

  it('offers nobody after a leave, and nobody without a data directory', async () => {
    const config = resolveConfig({ dataDir: tempDir('rejoin-leave'), logLevel: 'silent' });
    const first = await DurableState.open(config, systemClock, quiet);
    first.membership!.alive('10.0.0.1:8333', '10.0.0.1:8333');
    first.membership!.alive('10.0.0.2:8333', '10.0.0.2:8333');
    first.membership!.notAlive('10.0.0.2:8333');
    await first.membership!.leave();
    await first.close();
    const again = await DurableState.open(config, systemClock, quiet);
    expect(again.rejoinPeers()).toEqual([]);
    await again.close();
    const memoryOnly = await DurableState.open(resolveConfig({ logLevel: 'silent' }), systemClock, quiet);
    expect(memoryOnly.rejoinPeers()).toEqual([]);
  });
});

/** A file layer whose fsync never returns: a hung disk. */
class HungSyncOps extends FileOps {
  override async open(path: string, flags: 'r' | 'r+' | 'a' | 'wx' | 'w'): Promise<OpsFile> {
    const f = await super.open(path, flags);
    f.sync = () => new Promise<void>(() => {});
    return f;
  }
}

describe('MembershipSnapshot.close', () => {
  it('writes the clean mark and resolves true on a healthy disk', async () => {
    const path = join(tempDir('members-close'), MEMBERSHIP_FILE);
    const { snapshot } = await MembershipSnapshot.open(path, { flushIntervalMs: 0, log: () => {} });
    snapshot.alive('a', '10.0.0.1:8333');
    expect(await snapshot.close()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('alive: a 10.0.0.1:8333\n# shutdown\n');
  });

  it('gives up after its bound on a hung disk, with a warning, instead of holding the shutdown', async () => {
    const path = join(tempDir('members-hung'), MEMBERSHIP_FILE);
    const { log, lines } = captureLog();
    const { snapshot } = await MembershipSnapshot.open(path, { flushIntervalMs: 0, log, ops: new HungSyncOps(), shutdownFlushTimeoutMs: 20 });
    snapshot.alive('a', '10.0.0.1:8333');
    expect(await snapshot.close()).toBe(false);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringContaining('did not finish in time') })]);
    // The lines were written before the fsync that hung: a restart still sees the member.
    expect(readFileSync(path, 'utf8')).toContain('alive: a 10.0.0.1:8333\n');
  });
});
