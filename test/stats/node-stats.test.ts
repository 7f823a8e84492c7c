import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyStatsView, NodeStats } from '../../src/stats/node-stats.js';
import { zeroRates } from '../../src/stats/rate-ticker.js';
import { VERSION } from '../../src/version.js';
import { eventually } from '../helpers/raw-peer.js';

describe('NodeStats', () => {
  it('rates, history, the process and the data disk, from what the ticker sampled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirerelay-node-stats-'));
    const totals = zeroRates();
    // 250 ms of CPU over 2 s of wall time: 12.5 % of one core, whatever this machine is doing.
    const cpu = { micros: 1_000_000, ms: 50_000 };
    const stats = new NodeStats(() => ({ ...totals }), dir, { cpuMicros: () => cpu.micros, wallMs: () => cpu.ms });
    try {
      stats.tick(0);
      totals.bytesIn = 3000;
      totals.relayedMsgs = 6;
      cpu.micros += 250_000;
      cpu.ms += 2000;
      stats.tick(2000);
      const v = stats.view();
      expect(v.rates.last10s.bytesIn).toBe(1500);
      expect(v.rates.last1m.relayedMsgs).toBe(3);
      expect(v.history.bytesIn).toEqual([1500]);
      expect(v.process.rssBytes).toBeGreaterThan(0);
      expect(v.process.cpuPercent).toBe(12.5);
      expect(v.process.eventLoopLagMaxMs).toBeGreaterThanOrEqual(v.process.eventLoopLagMs);
      // Reading twice is the same reading.
      expect(stats.view().rates).toEqual(v.rates);
      await eventually(() => stats.view().disk !== null, 'the data disk checked');
      const disk = stats.view().disk!;
      expect(disk.dir).toBe(dir);
      expect(disk.totalBytes).toBeGreaterThan(0);
      expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);
    } finally {
      stats.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checks no disk without a data directory, and is all zero before the first tick', () => {
    const stats = new NodeStats(zeroRates, null);
    try {
      stats.tick(0);
      expect(stats.view().disk).toBeNull();
      expect(stats.view().rates.last10s).toEqual(zeroRates());
      expect(emptyStatsView().rates.last1m).toEqual(zeroRates());
      expect(emptyStatsView().history.relayedBytes).toEqual([]);
    } finally {
      stats.close();
    }
  });

  it('reports the version package.json has', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
