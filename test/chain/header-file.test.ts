import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeaderFile, PREAMBLE_SIZE } from '../../src/chain/header-file.js';
import { CHAIN_PARAMS } from '../../src/chain/params.js';
import { dsha } from '../../bench/support/blocks.js';
import { chainOf, makeHeader } from './chain-helpers.js';

const R = CHAIN_PARAMS.regtest;
const GENESIS = dsha(R.genesisHeader);
const T0 = 1296688602;
const NOW = T0 + 10_000_000;

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'wirerelay-headers-'));
}

async function written(path: string, n: number): Promise<Uint8Array[]> {
  const { chain, file } = await HeaderFile.open(path, R);
  const c = chainOf(GENESIS, T0, n);
  chain.acceptHeaders(1, c.bytes, 0, n, NOW);
  expect(await file.flush(chain)).toBe(n);
  await file.close();
  return c.hashes;
}

describe('HeaderFile', () => {
  it('restarts from disk without syncing again', async () => {
    const path = join(dir(), 'headers.dat');
    const hashes = await written(path, 120);
    expect(statSync(path).size).toBe(PREAMBLE_SIZE + 120 * 80);
    const { chain, truncatedBytes, file } = await HeaderFile.open(path, R);
    expect(truncatedBytes).toBe(0);
    expect(chain.tipHeight).toBe(120);
    expect(Buffer.from(chain.hash(chain.tipEntry))).toEqual(Buffer.from(hashes[119]!));
    // New headers append after the restored ones.
    const more = chainOf(hashes[119]!, T0 + 120 * 600, 5, 3);
    chain.acceptHeaders(2, more.bytes, 0, 5, NOW);
    await file.flush(chain);
    await file.close();
    expect((await HeaderFile.open(path, R)).chain.tipHeight).toBe(125);
  });

  it('keeps failed-block marks across a restart (<path>.failed): the tip stays off the failed branch', async () => {
    const path = join(dir(), 'headers.dat');
    const hashes = await written(path, 30);
    const opened = await HeaderFile.open(path, R);
    opened.chain.invalidate(opened.chain.find(hashes[24]!));
    expect(opened.chain.tipHeight).toBe(24);
    await opened.file.saveFailed(opened.chain);
    await opened.file.close();
    expect(readFileSync(`${path}.failed`)).toEqual(Buffer.from(hashes[24]!));
    const re = await HeaderFile.open(path, R);
    expect(re.chain.tipHeight).toBe(24);
    expect(re.chain.isFailed(re.chain.find(hashes[29]!))).toBe(true);
    await re.file.close();
  });

  it('cuts a torn last record (a crash in the middle of an append)', async () => {
    const path = join(dir(), 'headers.dat');
    const hashes = await written(path, 30);
    const extra = makeHeader({ prev: hashes[29]!, time: T0 + 31 * 600 });
    appendFileSync(path, extra.subarray(0, 37));
    const { chain, truncatedBytes } = await HeaderFile.open(path, R);
    expect(truncatedBytes).toBe(37);
    expect(chain.tipHeight).toBe(30);
    expect(statSync(path).size).toBe(PREAMBLE_SIZE + 30 * 80);
  });

  it('cuts from the first record that no longer connects or meets its proof of work', async () => {
    const path = join(dir(), 'headers.dat');
    await written(path, 10);
    const bytes = readFileSync(path);
    bytes[PREAMBLE_SIZE + 6 * 80 + 50] ^= 0xff; // merkle root of record 7 (height 7): its hash changes
    writeFileSync(path, bytes);
    const { chain, truncatedBytes } = await HeaderFile.open(path, R);
    // Record 7 may still meet regtest's easy target; record 8 then no longer connects.
    expect(chain.tipHeight === 6 || chain.tipHeight === 7).toBe(true);
    expect(truncatedBytes).toBe((10 - chain.tipHeight) * 80);
  });

  it('refuses a file of another network or an unknown version', async () => {
    const path = join(dir(), 'headers.dat');
    await written(path, 1);
    await expect(HeaderFile.open(path, CHAIN_PARAMS.testnet4)).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
    const bytes = readFileSync(path);
    bytes.writeUInt16LE(99, 6);
    writeFileSync(path, bytes);
    await expect(HeaderFile.open(path, R)).rejects.toMatchObject({ code: 'ERR_STORE_VERSION' });
  });
});

describe('HeaderFile under I/O errors', () => {
  it('a failed flush marks nothing written; the next one writes the same headers', async () => {
    const { FileOps, errnoError } = await import('../../src/persist/file-ops.js');
    let failNext = false;
    const ops = new FileOps({ fault: (op, p) => (failNext && op === 'write' ? ((failNext = false), errnoError('EIO', op, p)) : undefined) });
    const path = join(dir(), 'headers.dat');
    const { chain, file } = await HeaderFile.open(path, R, ops);
    const c = chainOf(GENESIS, T0, 12);
    chain.acceptHeaders(1, c.bytes, 0, 12, NOW);
    failNext = true;
    await expect(file.flush(chain)).rejects.toMatchObject({ code: 'EIO' });
    expect(await file.flush(chain)).toBe(12);
    await file.close();
    expect((await HeaderFile.open(path, R)).chain.tipHeight).toBe(12);
  });
});
