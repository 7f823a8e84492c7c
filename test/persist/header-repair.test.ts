/**
 * `wirerelay state repair`: a state log whose 512-byte header was zeroed is rebuilt from its
 * checksummed entries after confirmation, and loses nothing. Real files throughout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore, STATE_LOG_NAME } from '../../src/persist/state-store.js';
import { HEADER_SIZE } from '../../src/persist/state-log.js';
import { HEADER_BACKUP_SUFFIX, planHeaderRepair } from '../../src/persist/header-repair.js';
import { runRepair } from '../../src/cli/commands/_state-repair.js';
import type { RepairIo } from '../../src/cli/commands/_state-repair.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const quiet = (): void => {};

async function logWithChanges(n: number): Promise<{ dir: string; path: string; state: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'wirerelay-repair-'));
  dirs.push(dir);
  const store = await StateStore.open(dir, { log: quiet });
  for (let i = 0; i < n; i++) await store.commit({ type: 'ban', key: `10.0.0.${i + 1}`, until: 4_000_000_000_000, reason: `r${i}`, createdAt: 1_700_000_000_000 });
  await store.commit({ type: 'unban', key: '10.0.0.1' });
  const state = structuredClone(store.state);
  await store.close();
  return { dir, path: join(dir, STATE_LOG_NAME), state };
}

async function zeroHeader(path: string): Promise<void> {
  const f = await open(path, 'r+');
  await f.write(Buffer.alloc(HEADER_SIZE), 0, HEADER_SIZE, 0);
  await f.close();
}

function io(answer: boolean | null): RepairIo & { text: string[] } {
  const text: string[] = [];
  return { text, out: (t) => text.push(t), err: (t) => text.push(t), ask: answer === null ? null : async () => answer };
}

describe('state repair', () => {
  it('rebuilds a zeroed header from the entries after confirmation; the state is whole again', async () => {
    const { dir, path, state } = await logWithChanges(5);
    await zeroHeader(path);
    await expect(StateStore.open(dir, { log: quiet })).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
    const damaged = readFileSync(path);

    // No terminal and no --yes: nothing changes.
    const noTty = io(null);
    expect(await runRepair(['--data-dir', dir], noTty)).toBe(2);
    expect(noTty.text.join('')).toMatch(/all zeroes[\s\S]*6 intact entries up to version 6[\s\S]*pass --yes/);
    expect(readFileSync(path).equals(damaged)).toBe(true);

    // Declined at the prompt: nothing changes.
    expect(await runRepair(['--data-dir', dir], io(false))).toBe(1);
    expect(readFileSync(path).equals(damaged)).toBe(true);

    const yes = io(true);
    expect(await runRepair(['--data-dir', dir], yes)).toBe(0);
    expect(yes.text.join('')).toMatch(/Header rebuilt: version 6, 6 entries/);
    expect(readFileSync(path + HEADER_BACKUP_SUFFIX).equals(Buffer.alloc(HEADER_SIZE))).toBe(true);
    const store = await StateStore.open(dir, { log: quiet });
    try {
      expect(store.state).toEqual(state);
      // The repaired log takes new changes.
      await store.commit({ type: 'ban', key: '10.0.0.99', until: 4_000_000_000_000, reason: 'after', createdAt: 1_700_000_000_000 });
      expect(store.version).toBe(7);
    } finally {
      await store.close();
    }
    // A second run finds nothing to do.
    const again = io(null);
    expect(await runRepair(['--data-dir', dir, '--yes'], again)).toBe(0);
    expect(again.text.join('')).toMatch(/header is valid; nothing to repair/);
  });

  it('leaves alone a file whose entries cannot vouch for a header, and a damaged middle entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirerelay-repair-'));
    dirs.push(dir);
    const path = join(dir, STATE_LOG_NAME);
    writeFileSync(path, Buffer.concat([Buffer.alloc(HEADER_SIZE), Buffer.from('not a log at all, just some bytes'.repeat(10))]));
    await expect(planHeaderRepair(path)).rejects.toThrow(/no checksummed entry follows/);
    const t = io(true);
    expect(await runRepair(['--data-dir', dir, '--yes'], t)).toBe(1);
    expect(existsSync(path + HEADER_BACKUP_SUFFIX)).toBe(false);

    const { path: p2 } = await logWithChanges(4);
    await zeroHeader(p2);
    const b = readFileSync(p2);
    b[HEADER_SIZE + 30] = b[HEADER_SIZE + 30]! ^ 0xff; // inside the first entry: valid entries follow it
    writeFileSync(p2, b);
    await expect(planHeaderRepair(p2)).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
  });

  it('refuses while a node holds the data directory', async () => {
    const { dir, path } = await logWithChanges(2);
    const store = await StateStore.open(dir, { log: quiet });
    try {
      await zeroHeader(path);
      const t = io(true);
      expect(await runRepair(['--data-dir', dir, '--yes'], t)).toBe(1);
      expect(t.text.join('')).toMatch(/in use by process/);
    } finally {
      await store.close().catch(() => undefined);
    }
  });
});
