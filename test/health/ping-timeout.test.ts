import { describe, expect, it } from 'vitest';
import { PING_TIMEOUT_MS, pingDecision } from '../../src/health/ping-timeout.js';

describe('ping timeout (Core TIMEOUT_INTERVAL)', () => {
  it.each([
    ['nothing outstanding, not due', { outstandingSince: null, nextPingAt: 2000 }, 1000, 'wait'],
    ['nothing outstanding, due', { outstandingSince: null, nextPingAt: 1000 }, 1000, 'send'],
    ['outstanding and due again: no new ping while one is unanswered', { outstandingSince: 0, nextPingAt: 500 }, 1000, 'wait'],
    ['outstanding for 20 minutes', { outstandingSince: 0, nextPingAt: 500 }, PING_TIMEOUT_MS, 'timeout'],
    ['outstanding just under 20 minutes', { outstandingSince: 0, nextPingAt: 500 }, PING_TIMEOUT_MS - 1, 'wait'],
  ] as const)('%s → %s', (_, state, now, want) => {
    expect(pingDecision(state, now)).toBe(want);
  });
});
