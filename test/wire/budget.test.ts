import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerformanceObserver } from 'node:perf_hooks';
import { WireError } from '../../src/errors.js';
import { decodePayload } from '../../src/wire/codec.js';
import {
  MAX_ADDR_PER_MSG,
  MAX_BLOCK_HEADERS_PER_MSG,
  MAX_BLOCK_LOCATORS_PER_MSG,
  MAX_INV_PER_MSG,
  PROTOCOL_VERSION,
  type Command,
} from '../../src/wire/constants.js';
import { concat, cs, le32 } from './helpers.js';

/**
 * Decode budget (btcd decode_budget_test: a maximum count with no elements): a count
 * is checked against the cap and against the bytes present before anything is reserved.
 */

const PVER = PROTOCOL_VERSION;

function decodeError(command: Command, payload: Uint8Array): WireError {
  try {
    decodePayload(command, payload, PVER);
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error('decoded');
}

const CLAIMS: [Command, number, Uint8Array][] = [
  ['inv', MAX_INV_PER_MSG, new Uint8Array(0)],
  ['getdata', MAX_INV_PER_MSG, new Uint8Array(0)],
  ['notfound', MAX_INV_PER_MSG, new Uint8Array(0)],
  ['addr', MAX_ADDR_PER_MSG, new Uint8Array(0)],
  ['addrv2', MAX_ADDR_PER_MSG, new Uint8Array(0)],
  ['headers', MAX_BLOCK_HEADERS_PER_MSG, new Uint8Array(0)],
  ['getheaders', MAX_BLOCK_LOCATORS_PER_MSG, le32(PVER)],
  ['getblocks', MAX_BLOCK_LOCATORS_PER_MSG, le32(PVER)],
  ['block', 400_000, new Uint8Array(80)],
];

describe('a count at the maximum with no elements', () => {
  it.each(CLAIMS)('%s claiming %i: TRUNCATED at the count itself, before any element is read', (command, n, prefix) => {
    const err = decodeError(command, concat(prefix, cs(n)));
    expect(err.code).toBe('ERR_PAYLOAD_TRUNCATED');
    // The offset is that of the count: nothing after it was read or reserved.
    expect(err.details).toMatchObject({ offset: prefix.length, count: n });
  });

  it('inv claiming 50,000 with 49,999 present fails at the count, not after 49,999 reads', () => {
    const err = decodeError('inv', concat(cs(MAX_INV_PER_MSG), new Uint8Array(36 * (MAX_INV_PER_MSG - 1))));
    expect(err.code).toBe('ERR_PAYLOAD_TRUNCATED');
    expect(err.details).toMatchObject({ offset: 0, count: MAX_INV_PER_MSG, need: 36 * MAX_INV_PER_MSG });
  });
});

describe('allocation stays flat', () => {
  // GC events are a cumulative allocation signal available without --expose-gc: a decoder that
  // reserved a 50,000-entry array per call would allocate ~800 MB over these runs and trigger
  // dozens of collections. The control loop proves the probe sees such an allocation.
  let gcCount = 0;
  const obs = new PerformanceObserver((list) => {
    gcCount += list.getEntries().length;
  });
  beforeAll(() => obs.observe({ entryTypes: ['gc'] }));
  afterAll(() => obs.disconnect());
  // A GC queues its entry in a native immediate, run before the JS immediates of that turn: one
  // turn later every GC of `f` is either delivered to the callback or pending in takeRecords().
  const turn = () => new Promise((r) => setImmediate(r));
  const RUNS = 2000;

  async function gcsDuring(f: () => void): Promise<number> {
    await turn();
    obs.takeRecords();
    gcCount = 0;
    f();
    await turn();
    return gcCount + obs.takeRecords().length;
  }

  it('2,000 decodes of "50,000 inv, no elements" cause far fewer GCs than reserving the array would', async () => {
    const payload = cs(MAX_INV_PER_MSG);
    const control = await gcsDuring(() => {
      let keep: unknown[] = [];
      for (let i = 0; i < RUNS; i++) {
        keep = new Array(MAX_INV_PER_MSG);
        keep[0] = i;
      }
      expect(keep.length).toBe(MAX_INV_PER_MSG);
    });
    const decoding = await gcsDuring(() => {
      for (let i = 0; i < RUNS; i++) {
        try {
          decodePayload('inv', payload, PVER);
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
        }
      }
    });
    expect(control).toBeGreaterThanOrEqual(10);
    expect(decoding).toBeLessThan(control / 4);
  });
});
