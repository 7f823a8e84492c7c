import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { hasErrorCode } from '../../src/errors.js';
import { flapFileSaver, readFlapFile, writeFlapFile } from '../../src/health/flap-file.js';
import { HealthFlusher } from '../../src/health/health-flusher.js';
import { type FlapEntry, HealthStore } from '../../src/health/health-store.js';
import { errnoError, FileOps } from '../../src/persist/file-ops.js';
import type { LogFn } from '../../src/persist/logger.js';

const H = 3_600_000;
let dir: string;
let logged: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
const log: LogFn = (level, msg, fields) => void logged.push({ level, msg, fields });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wirerelay-flaps-'));
  logged = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function flapper(clock: ManualClock, store: HealthStore, peer: string, flaps: number): void {
  store.online(peer);
  for (let k = 0; k < flaps; k++) {
    clock.advance(100);
    store.event(peer, k % 2 === 1);
  }
}

describe('flap state across a restart', () => {
  it('survives through the flap file', async () => {
    const path = join(dir, 'flaps.json');
    const clock = new ManualClock();
    const before = new HealthStore({ clock });
    flapper(clock, before, '203.0.113.5:8333', 1_000);
    flapper(clock, before, '[2001:db8::1]:8333', 250);
    before.online('198.51.100.7:8333'); // never flapped: not saved (lnd skips a nil lastFlap)
    const flusher = new HealthFlusher({ store: before, save: flapFileSaver(path), clock, log });
    expect(await flusher.stop()).toBe(true);

    clock.advance(2 * H);
    const after = new HealthStore({ clock });
    expect(after.importFlaps(await readFlapFile(path, { log }))).toEqual({ imported: 2, skipped: 0 });
    for (const peer of ['203.0.113.5:8333', '[2001:db8::1]:8333']) {
      const { flapCount, lastFlap, tier, rateLimitMs } = before.health(peer)!;
      expect(after.health(peer)).toMatchObject({ flapCount, lastFlap, tier, rateLimitMs });
    }
    expect(after.health('203.0.113.5:8333')!.tier).toBe(5);
    expect(after.health('198.51.100.7:8333')).toBeUndefined();
    expect(await readdir(dir)).toEqual(['flaps.json']);
    expect(logged).toEqual([]);
  });

  it('reads a missing file as no history', async () => {
    expect(await readFlapFile(join(dir, 'none.json'), { log })).toEqual([]);
    expect(logged).toEqual([]);
  });

  it.each([
    ['truncated JSON', '{"version":1,"peers":[{"peer":"a:1","cou'],
    ['NUL-filled', '\0'.repeat(64)],
    ['another version', JSON.stringify({ version: 2, peers: [] })],
    ['a malformed entry', JSON.stringify({ version: 1, peers: [{ peer: 'a:1', count: -4, lastFlap: 1 }] })],
    ['not an object', '[]'],
  ])('moves a file with %s aside and starts empty', async (_name, content) => {
    const path = join(dir, 'flaps.json');
    await writeFile(path, content);
    const clock = new ManualClock(1_700_000_123_000);
    expect(await readFlapFile(path, { log, clock })).toEqual([]);
    expect(await readdir(dir)).toEqual(['flaps.json.corrupt-1700000123000']);
    expect(await readFile(join(dir, 'flaps.json.corrupt-1700000123000'), 'utf8')).toBe(content);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', fields: { path } });
  });

  it('keeps the old file whole when the replacing write fails', async () => {
    const path = join(dir, 'flaps.json');
    const old: FlapEntry[] = [{ peer: 'a:1', count: 3, lastFlap: 1 }];
    await writeFlapFile(path, old);
    const ops = new FileOps({ fault: (op) => (op === 'rename' ? errnoError('ENOSPC', op, path) : undefined) });
    let err: unknown;
    try {
      await writeFlapFile(path, [{ peer: 'b:1', count: 9, lastFlap: 2 }], { ops });
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_STORE_IO')).toBe(true);
    expect(await readFlapFile(path, { log })).toEqual(old);
  });
});

describe('HealthFlusher', () => {
  it('saves hourly on the injected clock, only when something changed', async () => {
    const clock = new ManualClock();
    const store = new HealthStore({ clock });
    const saves: FlapEntry[][] = [];
    const flusher = new HealthFlusher({ store, clock, log, save: (e) => void saves.push([...e]) });
    flapper(clock, store, 'a:1', 3);
    clock.advance(H - 301);
    expect(await flusher.tick()).toBe(false);
    clock.advance(1);
    expect(await flusher.tick()).toBe(true);
    expect(saves).toEqual([[{ peer: 'a:1', count: 3, lastFlap: clock.now() - H + 300 }]]);
    clock.advance(H);
    expect(await flusher.tick()).toBe(false); // nothing changed
    store.offline('b:1');
    store.online('b:1');
    clock.advance(H);
    expect(await flusher.tick()).toBe(true);
    expect(saves).toHaveLength(2);
    expect(await flusher.stop()).toBe(true);
    expect(saves).toHaveLength(2);
  });

  it('logs a failed save, retries it at the next tick, and reports a failed final save', async () => {
    const clock = new ManualClock();
    const store = new HealthStore({ clock });
    let failing = true;
    let saved = 0;
    const flusher = new HealthFlusher({
      store,
      clock,
      log,
      save: async () => {
        if (failing) throw errnoError('EIO', 'write', 'flaps.json');
        saved++;
      },
    });
    flapper(clock, store, 'a:1', 2);
    clock.advance(H);
    expect(await flusher.tick()).toBe(false);
    expect(logged.map((l) => l.level)).toEqual(['warn']);
    failing = false;
    clock.advance(H);
    expect(await flusher.tick()).toBe(true);
    expect(saved).toBe(1);
    store.offline('a:1');
    failing = true;
    expect(await flusher.stop()).toBe(false);
  });

  it('runs one save at a time', async () => {
    const clock = new ManualClock();
    const store = new HealthStore({ clock });
    let running = 0;
    let maxRunning = 0;
    let release: () => void = () => undefined;
    const flusher = new HealthFlusher({
      store,
      clock,
      log,
      save: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((r) => (release = r));
        running--;
      },
    });
    flapper(clock, store, 'a:1', 1);
    const first = flusher.flush();
    expect(store.online('a:1')).toBe(true);
    const second = flusher.flush();
    await Promise.resolve();
    release();
    await first;
    await new Promise((r) => setImmediate(r));
    release();
    expect(await second).toBe(true);
    expect(maxRunning).toBe(1);
  });
});
