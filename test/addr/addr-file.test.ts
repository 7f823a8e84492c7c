/**
 * The address file on a real disk: round trip, and every kind of bad file (truncated, random,
 * NUL-filled, wrong version, wrong bucket layout) is moved aside with a warning while the
 * manager starts fresh (Core#26599).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AddrManager } from '../../src/addr/addr-manager.js';
import { ManualClock } from '../../src/clock.js';
import { hasErrorCode } from '../../src/errors.js';
import { seededRandom } from '../../src/util/random.js';
import { entries, T0 } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wirerelay-addr-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function populated(clock: ManualClock): AddrManager {
  const m = new AddrManager({ clock, random: seededRandom(11) });
  for (let g = 0; g < 40; g++) m.addAddresses(entries(g * 256, 20), `${120 + g}.1.1.1:8333`);
  for (let g = 0; g < 40; g += 3) m.good(entries(g * 256, 1)[0]!.addr);
  m.attempt(entries(256, 2)[1]!.addr);
  m.checkInvariants();
  return m;
}

interface Logged {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

describe('address file', () => {
  it('save → load gives an equal table', async () => {
    const clock = new ManualClock(T0);
    const m = populated(clock);
    const path = join(dir, 'peers.json');
    await m.saveAddrFile(path);
    const back = await AddrManager.loadAddrFile(path, { clock, random: seededRandom(12) });
    back.checkInvariants();
    expect(back.toJSON()).toEqual(m.toJSON());
    expect(back.numTried()).toBeGreaterThan(0);
    expect((await readdir(dir)).sort()).toEqual(['peers.json']);
  });

  it('concurrent saves are serialised and leave one complete file', async () => {
    const clock = new ManualClock(T0);
    const m = populated(clock);
    const path = join(dir, 'peers.json');
    await Promise.all([m.saveAddrFile(path), m.saveAddrFile(path), m.saveAddrFile(path)]);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(m.toJSON());
  });

  it('a missing file starts an empty table without a warning', async () => {
    const logs: Logged[] = [];
    const m = await AddrManager.loadAddrFile(join(dir, 'none.json'), { log: (level, message) => logs.push({ level, message }) });
    expect(m.size()).toBe(0);
    expect(logs).toEqual([]);
  });

  const good = (): Record<string, unknown> => populated(new ManualClock(T0)).toJSON() as unknown as Record<string, unknown>;
  const cases: [string, () => Promise<Buffer | string>][] = [
    ['truncated', async () => JSON.stringify(good()).slice(0, 5000)],
    ['random bytes', async () => Buffer.from(seededRandom(3).bytes(4096))],
    ['NUL-filled', async () => Buffer.alloc(8192)],
    ['empty', async () => ''],
    ['wrong version', async () => JSON.stringify({ ...good(), version: 99 })],
    ['not an object', async () => '[1,2,3]'],
    ['bad key', async () => JSON.stringify({ ...good(), key: 'zz' })],
    ['bucket count changed', async () => JSON.stringify({ ...good(), newBuckets: (good().newBuckets as unknown[]).slice(0, 512) })],
    [
      'another key (tried entries mis-bucketed)',
      async () => JSON.stringify({ ...good(), key: 'ab'.repeat(32) }),
    ],
    [
      'address in new and tried',
      async () => {
        const g = good();
        const tried = (g.triedBuckets as string[][]).find((b) => b.length > 0)![0]!;
        (g.newBuckets as string[][])[0]!.push(tried);
        return JSON.stringify(g);
      },
    ],
    [
      'unreferenced address',
      async () => {
        const g = good();
        (g.addresses as unknown[]).push({ addr: '99.1.1.1:8333', src: '1.1.1.1:8333', services: '1', timestampMs: 0, attempts: 0, lastAttemptMs: 0, lastSuccessMs: 0 });
        return JSON.stringify(g);
      },
    ],
  ];

  it.each(cases)('%s: quarantined, warned about, fresh start', async (_name, make) => {
    const clock = new ManualClock(T0 + 123);
    const path = join(dir, 'peers.json');
    await writeFile(path, await make());
    const logs: Logged[] = [];
    const m = await AddrManager.loadAddrFile(path, { clock, log: (level, message, fields) => logs.push({ level, message, fields }) });
    expect(m.size()).toBe(0);
    m.checkInvariants();
    expect(logs).toHaveLength(1);
    expect(logs[0]!.level).toBe('warn');
    expect(logs[0]!.fields!.movedTo).toBe(`${path}.corrupt-${T0 + 123}`);
    expect((await readdir(dir)).sort()).toEqual([`peers.json.corrupt-${T0 + 123}`]);
    // The fresh manager can save over the old name.
    m.addAddresses(entries(0, 3), '9.9.9.9:8333');
    await m.saveAddrFile(path);
    expect((await AddrManager.loadAddrFile(path, { clock })).size()).toBe(3);
  });

  it('fromJSON reports the version with ERR_STORE_VERSION and damage with ERR_STORE_CORRUPT', () => {
    const g = good();
    let err: unknown;
    try {
      AddrManager.fromJSON({ ...g, version: 2 });
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_STORE_VERSION')).toBe(true);
    try {
      AddrManager.fromJSON({ ...g, addresses: 'x' });
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_STORE_CORRUPT')).toBe(true);
  });
});
