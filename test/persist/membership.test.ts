import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MembershipSnapshot, MIN_COMPACT_SIZE, rejoinOrder } from '../../dist/src/persist/membership-snapshot.js';
import { FileOps, errnoError } from '../../dist/src/persist/file-ops.js';
import { ManualClock } from '../../dist/src/clock.js';
import { captureLog, tempDir } from './helpers.js';

const quiet = (): void => undefined;
const open = (path: string, extra: Record<string, unknown> = {}) => MembershipSnapshot.open(path, { log: quiet, flushIntervalMs: 0, ...extra });

describe('MembershipSnapshot', () => {
  it('round-trips members and clocks, and a shutdown is not a leave', async () => {
    const path = join(tempDir('members'), 'membership.snapshot');
    const { snapshot, replay } = await open(path);
    expect(replay).toMatchObject({ clock: 0, eventClock: 0, left: false });
    snapshot.alive('node a', '10.0.0.1:8333');
    snapshot.alive('b', '[2001:db8::1]:8333');
    snapshot.alive('c', '10.0.0.3:8333');
    snapshot.notAlive('c');
    snapshot.updateClock(17);
    snapshot.updateEventClock(1234);
    await snapshot.close();
    const again = await open(path);
    expect([...again.replay.alive]).toEqual([['node a', '10.0.0.1:8333'], ['b', '[2001:db8::1]:8333']]);
    expect([...again.replay.failed]).toEqual([['c', '10.0.0.3:8333']]);
    expect(again.replay).toMatchObject({ clock: 17, eventClock: 1234, left: false, clean: true });
    await again.snapshot.close();
  });

  it('cuts off a torn last line so the next append starts on its own line', async () => {
    const path = join(tempDir('members'), 'membership.snapshot');
    writeFileSync(path, 'alive: a 10.0.0.1:8333\nclock: 5\nalive: b 10.0.0.2:83');
    const { log, lines } = captureLog();
    const { snapshot, replay } = await open(path, { log });
    expect([...replay.alive.keys()]).toEqual(['a']);
    expect(replay.clean).toBe(false);
    expect(lines.some((l) => /torn/.test(l.msg))).toBe(true);
    snapshot.alive('c', '10.0.0.3:8333');
    await snapshot.flush();
    expect(readFileSync(path, 'utf8')).toBe('alive: a 10.0.0.1:8333\nclock: 5\nalive: c 10.0.0.3:8333\n');
    await snapshot.close();
  });

  it('skips unknown and NUL-filled lines, warning about the unknown ones', async () => {
    const path = join(tempDir('members'), 'membership.snapshot');
    writeFileSync(path, '# hello\nalive: a 10.0.0.1:8333\n\0\0\0\0\ncoordinate: xyz\nclock: x\nevent-clock: 9\n');
    const { log, lines } = captureLog();
    const { snapshot, replay } = await open(path, { log });
    expect([...replay.alive.keys()]).toEqual(['a']);
    expect(replay.eventClock).toBe(9);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    await snapshot.close();
  });

  it('forgets the members after a leave but keeps the clocks; rejoinAfterLeave keeps the members', async () => {
    const path = join(tempDir('members'), 'membership.snapshot');
    const { snapshot } = await open(path);
    snapshot.alive('a', '10.0.0.1:8333');
    snapshot.updateClock(9);
    snapshot.updateEventClock(90);
    await snapshot.flush();
    await snapshot.leave();
    snapshot.alive('late', '10.0.0.9:8333');
    await snapshot.close();
    expect(readFileSync(path, 'utf8')).not.toContain('late');
    const after = await open(path);
    expect(after.replay).toMatchObject({ left: true, clock: 9, eventClock: 90 });
    expect(after.replay.alive.size).toBe(0);
    await after.snapshot.close();
    const rejoin = await open(path, { rejoinAfterLeave: true });
    expect([...rejoin.replay.alive.keys()]).toEqual(['a']);
    expect(rejoin.replay.left).toBe(false);
    await rejoin.snapshot.close();
  });

  it('compacts past the size threshold by renaming a complete copy over the file', async () => {
    const dir = tempDir('members');
    const path = join(dir, 'membership.snapshot');
    const { snapshot } = await open(path);
    for (let i = 0; i < 50; i++) snapshot.alive(`keep${i}`, `10.1.0.${i}:8333`);
    for (let round = 0; round < 400; round++) {
      for (let i = 0; i < 10; i++) snapshot.alive(`churn${i}`, `10.2.${round % 250}.${i}:8333`);
      for (let i = 0; i < 10; i++) snapshot.notAlive(`churn${i}`);
      snapshot.updateClock(round + 1);
      await snapshot.flush();
    }
    expect(snapshot.stats.compactions).toBeGreaterThan(0);
    expect(statSync(path).size).toBeLessThanOrEqual(MIN_COMPACT_SIZE + 4096);
    expect(existsSync(path + '.compact')).toBe(false);
    await snapshot.close();
    const again = await open(path);
    expect(again.replay.alive.size).toBe(50);
    expect(again.replay.failed.size).toBe(10);
    expect(again.replay.clock).toBe(400);
    await again.snapshot.close();
  });

  it('survives ENOSPC: logs, retries by compaction at most every 30 s, and resumes appending', async () => {
    const path = join(tempDir('members'), 'membership.snapshot');
    let full = false;
    const ops = new FileOps({ fault: (op, p) => (full && (op === 'write' || op === 'open') && p.startsWith(path) ? errnoError('ENOSPC', op, p) : undefined) });
    const clock = new ManualClock();
    const { log, lines } = captureLog();
    const { snapshot } = await open(path, { ops, clock, log });
    snapshot.alive('a', '10.0.0.1:8333');
    await snapshot.flush();
    full = true;
    snapshot.alive('b', '10.0.0.2:8333');
    await snapshot.flush();
    expect(snapshot.stats.writeErrors).toBe(1);
    expect(lines.some((l) => l.level === 'error')).toBe(true);
    full = false;
    snapshot.alive('c', '10.0.0.3:8333');
    clock.advance(29_000);
    await snapshot.flush();
    expect(snapshot.stats.recoveries).toBe(0);
    clock.advance(1_000);
    await snapshot.flush();
    expect(snapshot.stats.recoveries).toBe(1);
    snapshot.alive('d', '10.0.0.4:8333');
    await snapshot.close();
    const again = await open(path);
    expect([...again.replay.alive.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    await again.snapshot.close();
  });

  it('orders rejoin attempts reproducibly from a seeded source, alive before failed, skipping itself', () => {
    const replay = { alive: new Map([['self', 'x:1'], ['a', 'a:1'], ['b', 'b:1'], ['c', 'c:1']]), failed: new Map([['f', 'f:1']]), clock: 0, eventClock: 0, left: false, clean: true };
    let seed = 1;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const order = rejoinOrder(replay, 'self', rnd).map((m) => m.name);
    expect(order).toHaveLength(4);
    expect(order[3]).toBe('f');
    expect(order.slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
  });
});
