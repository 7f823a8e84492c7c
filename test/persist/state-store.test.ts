import { readFileSync, writeFileSync, appendFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../dist/src/persist/state-store.js';
import { FileOps, errnoError } from '../../dist/src/persist/file-ops.js';
import { readLogSnapshot, rebuildState, scanLog, HEADER_SIZE } from '../../dist/src/persist/state-log.js';
import type { StateChange } from '../../dist/src/persist/state-model.js';
import { captureLog, tempDir } from './helpers.js';

const meta = (i: number): StateChange => ({ type: 'meta', key: `k${i}`, value: `v${i}` });
const quiet = (): void => undefined;

async function fill(store: StateStore, from: number, n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => store.commit(meta(from + i))));
}

describe('StateStore', () => {
  it('survives a restart with every change, in version order', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    const versions = await fill(s, 0, 100);
    expect(versions).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await s.commit({ type: 'ban', key: '203.0.113.0/24', until: 2e12, reason: 'addr flood', createdAt: 1.7e12 });
    await s.commit({ type: 'flaps', entries: [{ peer: '198.51.100.7:8333', count: 3, lastFlap: 1.7e12 }] });
    await s.commit({ type: 'addrTable', table: { new: [1, 2, 3], tried: [4] } });
    await s.commit({ type: 'clocks', membership: 42, event: 7 });
    const before = structuredClone(s.state);
    await s.close();
    const again = await StateStore.open(dir, { log: quiet });
    expect(again.state).toEqual(before);
    expect(again.version).toBe(104);
    await again.close();
  });

  it('shares one fsync between concurrent commits (group commit)', async () => {
    const dir = tempDir();
    const ops = new FileOps();
    const s = await StateStore.open(dir, { log: quiet, ops });
    const syncs = ops.counters.syncs;
    await fill(s, 0, 500);
    expect(ops.counters.syncs - syncs).toBeLessThan(50);
    await s.close();
  });

  it('rewinds exactly the last change, refuses a second rewind, and the rewound entry stays gone', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    await fill(s, 0, 5);
    await s.commit({ type: 'ban', key: '192.0.2.1', until: 2e12, reason: 'x', createdAt: 1 });
    await s.rewind();
    expect(s.version).toBe(5);
    expect(s.state.bans).toEqual({});
    await expect(s.rewind()).rejects.toMatchObject({ code: 'ERR_STORE_REWIND' });
    await s.close();
    const again = await StateStore.open(dir, { log: quiet });
    expect(again.version).toBe(5);
    expect(again.state.bans).toEqual({});
    await expect(again.rewind()).rejects.toMatchObject({ code: 'ERR_STORE_REWIND' });
    expect(await again.commit(meta(99))).toBe(6);
    await again.close();
    // CLN appends after a rewind with O_APPEND and leaves the old entry; here the log holds 6 entries.
    const { scan } = await readLogSnapshot(join(dir, 'state.log'));
    expect(scan.entries.map((e: { version: number }) => e.version)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('cuts off a torn tail with a warning and keeps writing after it', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    await fill(s, 0, 10);
    await s.close();
    const path = join(dir, 'state.log');
    const size = statSync(path).size;
    appendFileSync(path, Buffer.from([0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 11, 1, 9]));
    const { log, lines } = captureLog();
    const again = await StateStore.open(dir, { log });
    expect(lines.some((l) => l.level === 'warn' && /torn tail/.test(l.msg))).toBe(true);
    expect(statSync(path).size).toBe(size);
    expect(await again.commit(meta(10))).toBe(11);
    await again.close();
    const third = await StateStore.open(dir, { log: quiet });
    expect(third.state.meta.k10).toBe('v10');
    await third.close();
  });

  it('refuses to start on a flipped bit in the middle, naming the file and offset', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    for (let i = 0; i < 20; i++) await s.commit(meta(i));
    await s.close();
    const path = join(dir, 'state.log');
    const buf = readFileSync(path);
    const scan = scanLog(buf, path);
    const victim = scan.entries[7]!;
    buf[victim.offset + 20] ^= 0x04;
    writeFileSync(path, buf);
    const err = await StateStore.open(dir, { log: quiet }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
    );
    expect(err?.code).toBe('ERR_STORE_CORRUPT');
    expect(err?.details).toMatchObject({ path, offset: victim.offset, lastGoodVersion: 7 });
    expect(err?.message).toContain('backup restore');
    // Refusing must not have taken the lock for good or rewritten the file.
    expect(existsSync(join(dir, 'state.lock'))).toBe(false);
    expect(readFileSync(path).equals(buf)).toBe(true);
  });

  it('treats damage in the last, not yet known durable, batch as a torn tail', async () => {
    const dir = tempDir();
    const ops = new FileOps();
    const s = await StateStore.open(dir, { log: quiet, ops });
    for (let i = 0; i < 5; i++) await s.commit(meta(i));
    // Simulate a crash: read the file as the dead process left it (no close, so no final durable mark).
    const path = join(dir, 'state.log');
    const buf = readFileSync(path);
    await s.close();
    const scan = scanLog(buf, path);
    const lastEntry = scan.entries[scan.entries.length - 1]!;
    buf[lastEntry.offset + 18] ^= 0x01;
    writeFileSync(path, buf);
    const again = await StateStore.open(dir, { log: quiet });
    expect(again.version).toBe(4);
    await again.close();
  });

  it('compacts into one snapshot plus the last change, and can still rewind that change', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    await fill(s, 0, 1000);
    await s.commit({ type: 'ban', key: '192.0.2.9', until: 2e12, reason: 'y', createdAt: 1 });
    const expected = structuredClone(s.state);
    const res = await s.compact();
    expect(res.before.entries).toBe(1001);
    expect(res.after.entries).toBe(2);
    expect(s.state).toEqual(expected);
    const { buf, scan } = await readLogSnapshot(join(dir, 'state.log'));
    expect(rebuildState(buf, scan, 'x').state).toEqual(expected);
    await s.rewind();
    expect(s.state.bans).toEqual({});
    expect(s.version).toBe(1000);
    await s.close();
    const again = await StateStore.open(dir, { log: quiet });
    expect(again.version).toBe(1000);
    expect(again.state.meta.k999).toBe('v999');
    await again.close();
  });

  it('keeps changes committed while a compaction runs', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    await fill(s, 0, 3000);
    const compaction = s.compact();
    const during = fill(s, 3000, 500);
    const [res] = await Promise.all([compaction, during]);
    expect(res.carried + res.before.entries).toBeGreaterThanOrEqual(3000);
    await fill(s, 3500, 10);
    await s.close();
    const again = await StateStore.open(dir, { log: quiet });
    expect(again.version).toBe(3510);
    for (let i = 0; i < 3510; i++) expect(again.state.meta[`k${i}`]).toBe(`v${i}`);
    await again.close();
  });

  it('survives ENOSPC and EIO from the file layer and resumes writing', async () => {
    const dir = tempDir();
    let fault: 'ENOSPC' | 'EIO' | null = null;
    const ops = new FileOps({ fault: (op, p) => (fault !== null && (op === 'write' || op === 'sync') && p.endsWith('state.log') ? errnoError(fault, op, p) : undefined) });
    const { log, lines } = captureLog();
    const s = await StateStore.open(dir, { log, ops });
    await fill(s, 0, 3);
    fault = 'ENOSPC';
    await expect(s.commit(meta(3))).rejects.toMatchObject({ code: 'ERR_STORE_IO' });
    fault = 'EIO';
    await expect(s.commit(meta(4))).rejects.toMatchObject({ code: 'ERR_STORE_IO' });
    expect(s.version).toBe(3);
    expect(s.state.meta.k3).toBeUndefined();
    expect(lines.some((l) => l.level === 'error')).toBe(true);
    fault = null;
    expect(await s.commit(meta(5))).toBe(4);
    await s.close();
    const again = await StateStore.open(dir, { log: quiet });
    expect(again.version).toBe(4);
    expect(again.state.meta).toEqual({ k0: 'v0', k1: 'v1', k2: 'v2', k5: 'v5' });
    await again.close();
  });

  it('refuses a second writer on the same data directory, but lets a reader see the state', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    await fill(s, 0, 3);
    await expect(StateStore.open(dir, { log: quiet })).rejects.toMatchObject({ code: 'ERR_STORE_IO' });
    const { buf, scan } = await readLogSnapshot(join(dir, 'state.log'));
    expect(rebuildState(buf, scan, 'x').state.version).toBe(3);
    await s.close();
  });

  it('rejects a malformed change before it reaches the log', async () => {
    const dir = tempDir();
    const s = await StateStore.open(dir, { log: quiet });
    await expect(s.commit({ type: 'ban', key: '', until: -1, reason: 'x', createdAt: 0 })).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
    expect(s.version).toBe(0);
    expect(statSync(join(dir, 'state.log')).size).toBe(HEADER_SIZE);
    await s.close();
  });
});
