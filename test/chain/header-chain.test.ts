import { describe, expect, it } from 'vitest';
import { HeaderChain, LOW_WORK_HEADERS_PER_PEER } from '../../src/chain/header-chain.js';
import { CHAIN_PARAMS, type ChainParams } from '../../src/chain/params.js';
import { dsha } from '../../bench/support/blocks.js';
import { chainOf, makeHeader } from './chain-helpers.js';

const R = CHAIN_PARAMS.regtest;
const GENESIS = dsha(R.genesisHeader);
const T0 = R.genesisHeader[68]! | (R.genesisHeader[69]! << 8) | (R.genesisHeader[70]! << 16) | (R.genesisHeader[71]! * 0x1000000);
const NOW = T0 + 10_000_000;

function chainWith(n: number): { chain: HeaderChain; hashes: Uint8Array[] } {
  const chain = new HeaderChain(R);
  const c = chainOf(GENESIS, T0, n);
  const r = chain.acceptHeaders(1, c.bytes, 0, n, NOW);
  expect(r.reject).toBeUndefined();
  return { chain, hashes: c.hashes };
}

describe('HeaderChain', () => {
  it('stores a connected sequence in one call and follows the tip', () => {
    const { chain, hashes } = chainWith(300);
    expect(chain.tipHeight).toBe(300);
    expect(chain.size).toBe(301);
    expect(Buffer.from(chain.hash(chain.tipEntry))).toEqual(Buffer.from(hashes[299]!));
    expect(chain.tipWork).toBe(301n * 2n);
    const again = chain.acceptHeaders(2, chainOf(GENESIS, T0, 3).bytes, 0, 3, NOW);
    expect(again).toMatchObject({ stored: 0, known: 3, tipChanged: false });
  });

  it('builds Core-shaped locators: 10 steps of one, then doubling, then genesis', () => {
    const { chain } = chainWith(300);
    const heights = chain.locator().map((h) => chain.heightOf(chain.find(h)));
    expect(heights.slice(0, 11)).toEqual([300, 299, 298, 297, 296, 295, 294, 293, 292, 291, 290]);
    expect(heights.slice(11, 14)).toEqual([288, 284, 276]);
    expect(heights[heights.length - 1]).toBe(0);
  });

  it('answers getheaders from the first locator hash it knows', () => {
    const { chain, hashes } = chainWith(50);
    const r = chain.headersAfter([new Uint8Array(32).fill(9), hashes[9]!], new Uint8Array(32), 2000);
    expect(r.count).toBe(40);
    expect(Buffer.from(dsha(r.bytes.subarray(0, 80)))).toEqual(Buffer.from(hashes[10]!));
    expect(chain.headersAfter([hashes[9]!], hashes[14]!, 2000).count).toBe(5);
  });

  it.each([
    ['unconnected', () => makeHeader({ prev: new Uint8Array(32).fill(1), time: T0 + 600 })],
    ['bad-pow', () => makeHeader({ prev: GENESIS, time: T0 + 600, badPow: true })],
    ['bad-diffbits', () => makeHeader({ prev: GENESIS, time: T0 + 600, bits: 0x207ffffe })],
    ['time-too-old', () => makeHeader({ prev: GENESIS, time: T0 })],
    ['time-too-new', () => makeHeader({ prev: GENESIS, time: NOW + 7201 })],
    ['bad-version', () => makeHeader({ prev: GENESIS, time: T0 + 600, version: 3 })],
  ])('refuses %s without throwing or storing', (code, make) => {
    const chain = new HeaderChain(R);
    const r = chain.acceptHeaders(1, make(), 0, 1, NOW);
    expect(r.reject).toEqual({ code, index: 0 });
    expect(r.stored).toBe(0);
    expect(chain.size).toBe(1);
  });

  it('accepts a time exactly 2 h ahead', () => {
    const chain = new HeaderChain(R);
    expect(chain.acceptHeaders(1, makeHeader({ prev: GENESIS, time: NOW + 7200 }), 0, 1, NOW).reject).toBeUndefined();
  });

  it('refuses a non-continuous sequence at the break', () => {
    const a = chainOf(GENESIS, T0, 3);
    const b = chainOf(GENESIS, T0, 2, 7);
    const bytes = new Uint8Array(5 * 80);
    bytes.set(a.bytes, 0);
    bytes.set(b.bytes, 240);
    const chain = new HeaderChain(R);
    const r = chain.acceptHeaders(1, bytes, 0, 5, NOW);
    expect(r.reject).toEqual({ code: 'non-continuous', index: 3 });
    expect(r.stored).toBe(3);
  });

  it('moves to a side branch once it has more work, and back', () => {
    const { chain, hashes } = chainWith(20);
    const side = chainOf(hashes[9]!, T0 + 6000, 12, 99);
    const r = chain.acceptHeaders(2, side.bytes, 0, 12, NOW);
    expect(r.reject).toBeUndefined();
    expect(chain.tipHeight).toBe(22);
    expect(chain.onBestChain(chain.find(hashes[15]!))).toBe(false);
    expect(Buffer.from(chain.hash(chain.atHeight(11)))).toEqual(Buffer.from(side.hashes[0]!));
    const more = chainOf(hashes[19]!, T0 + 12_000, 5, 5);
    chain.acceptHeaders(1, more.bytes, 0, 5, NOW);
    expect(chain.tipHeight).toBe(25);
    expect(chain.onBestChain(chain.find(hashes[15]!))).toBe(true);
  });

  it('a failed block (Core BLOCK_FAILED_VALID): it and its descendants leave the best chain, the tip moves back to the most-work valid entry, and headers on it are refused', () => {
    const { chain, hashes } = chainWith(20);
    // A side branch from 9 (heights 10..14): less work than the main chain's 20.
    const side = chainOf(hashes[8]!, T0 + 5400, 5, 77);
    expect(chain.acceptHeaders(2, side.bytes, 0, 5, NOW).reject).toBeUndefined();
    expect(chain.tipHeight).toBe(20);
    const bad = chain.find(hashes[11]!); // height 12 on the main chain
    expect(chain.invalidate(bad)).toBe(true);
    expect(chain.invalidate(bad)).toBe(false);
    expect(chain.isFailed(bad)).toBe(true);
    expect(chain.isFailed(chain.find(hashes[19]!))).toBe(true); // FAILED_CHILD
    expect(chain.isFailed(chain.find(hashes[10]!))).toBe(false);
    // Most work among the valid entries: the side branch's tip (14) beats the main chain's 11.
    expect(chain.tipHeight).toBe(14);
    expect(Buffer.from(chain.hash(chain.tipEntry))).toEqual(Buffer.from(side.hashes[4]!));
    expect(chain.onBestChain(chain.find(hashes[10]!))).toBe(false);
    expect(chain.failedEntries()).toEqual([bad]);
    // A header on a failed entry: bad-prevblk (a peer fault), not stored.
    const onBad = chainOf(hashes[19]!, T0 + 12_000, 1, 5);
    expect(chain.acceptHeaders(3, onBad.bytes, 0, 1, NOW)).toMatchObject({ stored: 0, reject: { code: 'bad-prevblk', index: 0 } });
    // The failed header itself, sent again: duplicate-invalid.
    expect(chain.acceptHeaders(3, chain.header(bad).slice(), 0, 1, NOW).reject?.code).toBe('duplicate-invalid');
    // A valid header on the last good main-chain entry extends from there as any header does.
    const fork = chainOf(hashes[10]!, T0 + 6600, 5, 6);
    expect(chain.acceptHeaders(3, fork.bytes, 0, 5, NOW).reject).toBeUndefined();
    expect(chain.tipHeight).toBe(16);
    expect(chain.onBestChain(chain.find(hashes[10]!))).toBe(true);
  });

  it('a failed tip with no rival falls back to its parent; equal work: the first stored wins', () => {
    const { chain, hashes } = chainWith(5);
    const rival = chainOf(hashes[3]!, T0 + 2400, 1, 9); // height 5, same work as the tip
    chain.acceptHeaders(2, rival.bytes, 0, 1, NOW);
    expect(Buffer.from(chain.hash(chain.tipEntry))).toEqual(Buffer.from(hashes[4]!));
    chain.invalidate(chain.tipEntry);
    expect(Buffer.from(chain.hash(chain.tipEntry))).toEqual(Buffer.from(rival.hashes[0]!));
    chain.invalidate(chain.tipEntry);
    expect(chain.tipHeight).toBe(4);
    expect(chain.invalidate(0)).toBe(false);
  });

  it('bounds what one peer can store below minimum chain work', () => {
    const p: ChainParams = { ...R, minimumChainWork: 1n << 100n };
    const chain = new HeaderChain(p);
    const c = chainOf(GENESIS, T0, LOW_WORK_HEADERS_PER_PEER + 5);
    const r = chain.acceptHeaders(7, c.bytes, 0, LOW_WORK_HEADERS_PER_PEER + 5, NOW);
    expect(r.reject).toEqual({ code: 'low-work-budget', index: LOW_WORK_HEADERS_PER_PEER });
    expect(r.stored).toBe(LOW_WORK_HEADERS_PER_PEER);
    // The node's own sync peer gets an unbounded budget.
    const r2 = chain.acceptHeaders(8, c.bytes, 80 * LOW_WORK_HEADERS_PER_PEER, 5, NOW, Infinity);
    expect(r2.stored).toBe(5);
  });

  it('BIP94 timewarp: the first block of a period may not be more than 600 s before its parent', () => {
    // testnet4's rules over a 4-block period, with a limit of 0x1f00ffff (about 2^240: low enough
    // that the retarget's 256-bit product cannot wrap, high enough to mine in a test). Synthetic.
    const LIMIT_BITS = 0x1f00ffff;
    const genesis = makeHeader({ prev: new Uint8Array(32), time: T0, bits: LIMIT_BITS, version: 1 });
    const p: ChainParams = { ...CHAIN_PARAMS.testnet4, genesisHeader: genesis, powLimit: 0xffffn << 224n, powLimitBits: LIMIT_BITS, targetTimespan: 2400, minimumChainWork: 0n };
    const chain = new HeaderChain(p);
    const c = chainOf(dsha(genesis), T0, 3, 0, 800, LIMIT_BITS);
    expect(chain.acceptHeaders(1, c.bytes, 0, 3, NOW).reject).toBeUndefined();
    const t3 = T0 + 2400;
    expect(chain.acceptHeaders(1, makeHeader({ prev: c.hashes[2]!, time: t3 - 601, bits: LIMIT_BITS }), 0, 1, NOW).reject?.code).toBe('time-timewarp-attack');
    expect(chain.acceptHeaders(1, makeHeader({ prev: c.hashes[2]!, time: t3 - 600, bits: LIMIT_BITS }), 0, 1, NOW).reject).toBeUndefined();
  });
});

describe('headers payloads and getheaders', () => {
  it('packs a headers message without its tx counts and syncs from it; builds the getheaders', async () => {
    const { packHeadersPayload, getHeadersFor } = await import('../../src/chain/headers-payload.js');
    const { encodePayload } = await import('../../src/wire/codec.js');
    const { decodeHeaders } = await import('../../src/wire/messages/headers.js');
    const c = chainOf(GENESIS, T0, 30);
    const payload = new Uint8Array(1 + 30 * 81);
    payload[0] = 30;
    for (let i = 0; i < 30; i++) payload.set(c.bytes.subarray(80 * i, 80 * i + 80), 1 + 81 * i);
    expect(decodeHeaders(payload).headers.length).toBe(30);
    const { records, count } = packHeadersPayload(payload);
    const chain = new HeaderChain(R);
    expect(chain.acceptHeaders(1, records, 0, count, NOW).stored).toBe(30);
    const gh = getHeadersFor(chain, 70016);
    expect(Buffer.from(gh.locator[0]!)).toEqual(Buffer.from(c.hashes[29]!));
    expect(encodePayload(gh, 70016).length).toBe(4 + 1 + 32 * gh.locator.length + 32);
    payload[81] = 1; // first header's tx count
    expect(() => packHeadersPayload(payload)).toThrow(/txCount/);
  });
});
