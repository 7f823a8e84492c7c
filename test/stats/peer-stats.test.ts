import { describe, expect, it } from 'vitest';
import { CommandCounts, OTHER_COMMAND } from '../../src/stats/command-counts.js';
import { PeerStats } from '../../src/stats/peer-stats.js';
import { commandId } from '../../src/wire/constants.js';
import { serviceNames } from '../../src/wire/services.js';

describe('PeerStats', () => {
  it('counts bytes per message type, last send and receive, ping and minimum ping', () => {
    const s = new PeerStats();
    expect(s.bytesReceivedPerMessage()).toEqual({});
    expect([s.lastRecv, s.lastSend, s.pingMs, s.minPingMs]).toEqual([null, null, null, null]);
    s.received(commandId('inv'), 61, 1000);
    s.received(commandId('inv'), 97, 2000);
    s.received(0, 40, 3000); // a command we do not know
    s.sent('version', 126);
    s.sent('filterload', 33);
    s.wrote(2500);
    s.pong(40);
    s.pong(12);
    s.pong(30);
    expect(s.bytesReceivedPerMessage()).toEqual({ inv: 158, [OTHER_COMMAND]: 40 });
    expect(s.bytesSentPerMessage()).toEqual({ version: 126, [OTHER_COMMAND]: 33 });
    expect([s.lastRecv, s.lastSend, s.pingMs, s.minPingMs]).toEqual([3000, 2500, 30, 12]);
  });

  it('sums command counts and files out-of-range ids under "other"', () => {
    const c = new CommandCounts();
    c.addById(999, 5);
    c.addById(-3, 7);
    c.add('tx', 300);
    expect(c.totalMessages()).toBe(3);
    expect(c.totalBytes()).toBe(312);
    expect(c.messages(0)).toBe(2);
    expect(c.bytes(commandId('tx'))).toBe(300);
  });
});

describe('serviceNames', () => {
  it('names service bits as getpeerinfo does, unknown bits as UNKNOWN[2^n]', () => {
    expect(serviceNames(0n)).toEqual([]);
    expect(serviceNames(1033n)).toEqual(['NETWORK', 'WITNESS', 'NETWORK_LIMITED']);
    expect(serviceNames((1n << 11n) | (1n << 6n) | 4n | 2n)).toEqual(['GETUTXO', 'BLOOM', 'COMPACT_FILTERS', 'P2P_V2']);
    expect(serviceNames((1n << 24n) | (1n << 63n))).toEqual(['UNKNOWN[2^24]', 'UNKNOWN[2^63]']);
  });
});
