import { describe, expect, it } from 'vitest';
import { KnownAddress } from '../../src/addr/known-address.js';

const NOW = 1_700_000_000_000;
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function ka(p: Partial<Pick<KnownAddress, 'timestampMs' | 'attempts' | 'lastAttemptMs' | 'lastSuccessMs'>>): KnownAddress {
  const k = new KnownAddress('1.2.3.4:8333', '5.6.7.8:8333', 0n, p.timestampMs ?? NOW - DAY);
  k.attempts = p.attempts ?? 0;
  k.lastAttemptMs = p.lastAttemptMs ?? 0;
  k.lastSuccessMs = p.lastSuccessMs ?? 0;
  return k;
}

describe('chance() (btcd knownaddress.go)', () => {
  it.each([
    ['never attempted', {}, 1],
    ['attempted 11 min ago, 0 attempts', { lastAttemptMs: NOW - 11 * MIN }, 1],
    ['attempted 9 min ago', { lastAttemptMs: NOW - 9 * MIN }, 0.01],
    ['attempted just now', { lastAttemptMs: NOW }, 0.01],
    ['last attempt in the future (clock step) counts as recent', { lastAttemptMs: NOW + 5 * MIN }, 0.01],
    ['1 failed attempt', { attempts: 1 }, 1 / 1.5],
    ['3 failed attempts', { attempts: 3 }, 1 / 1.5 ** 3],
    ['2 attempts, recent', { attempts: 2, lastAttemptMs: NOW - MIN }, 0.01 / 1.5 ** 2],
    ['no age term: a 29-day-old timestamp', { timestampMs: NOW - 29 * DAY }, 1],
  ] as const)('%s', (_name, fields, want) => {
    expect(ka(fields).chance(NOW)).toBeCloseTo(want, 12);
  });
});

describe('isBad() (btcd knownaddress.go)', () => {
  it.each([
    ['fresh', {}, false],
    ['timestamp 11 min in the future', { timestampMs: NOW + 11 * MIN }, true],
    ['timestamp 9 min in the future', { timestampMs: NOW + 9 * MIN }, false],
    ['timestamp 31 days old', { timestampMs: NOW - 31 * DAY }, true],
    ['timestamp 29 days old', { timestampMs: NOW - 29 * DAY }, false],
    ['never succeeded, 3 attempts', { attempts: 3, lastAttemptMs: NOW - 2 * MIN }, true],
    ['never succeeded, 2 attempts', { attempts: 2, lastAttemptMs: NOW - 2 * MIN }, false],
    ['succeeded 8 days ago, 10 attempts', { attempts: 10, lastSuccessMs: NOW - 8 * DAY, lastAttemptMs: NOW - 2 * MIN }, true],
    ['succeeded 6 days ago, 10 attempts', { attempts: 10, lastSuccessMs: NOW - 6 * DAY, lastAttemptMs: NOW - 2 * MIN }, false],
    ['succeeded 8 days ago, 9 attempts', { attempts: 9, lastSuccessMs: NOW - 8 * DAY, lastAttemptMs: NOW - 2 * MIN }, false],
    ['attempted 30 s ago: never bad, even 31 days old', { timestampMs: NOW - 31 * DAY, lastAttemptMs: NOW - 30_000, attempts: 5 }, false],
  ] as const)('%s → %s', (_name, fields, want) => {
    expect(ka(fields).isBad(NOW)).toBe(want);
  });
});
