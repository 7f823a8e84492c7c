import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FRAME_ERROR_CODES, PEER_DIRECTIONS, PEER_STATES, RelayMetrics } from '../../src/metrics/metrics.js';
import { DROP_REASONS } from '../../src/stats/drop-reasons.js';
import { FlowTable } from '../../src/stats/flow-table.js';
import { parseExposition, value } from '../helpers/prometheus.js';
import { COMMANDS } from '../../src/wire/constants.js';

describe('RelayMetrics', () => {
  it('exposes valid Prometheus text with every series pre-created at zero', async () => {
    const m = new RelayMetrics({ build: { version: '9.9.9', network: 'regtest' } });
    const fams = parseExposition(await m.text());
    for (const d of PEER_DIRECTIONS) for (const s of PEER_STATES) expect(value(fams, 'wirerelay_peers', { direction: d, state: s })).toBe(0);
    for (const r of DROP_REASONS) {
      expect(value(fams, 'wirerelay_dropped_packets_total', { reason: r })).toBe(0);
      expect(value(fams, 'wirerelay_dropped_bytes_total', { reason: r })).toBe(0);
    }
    for (const c of FRAME_ERROR_CODES) expect(value(fams, 'wirerelay_frame_errors_total', { code: c })).toBe(0);
    expect(value(fams, 'wirerelay_received_messages_total', { command: 'inv' })).toBe(0);
    expect(value(fams, 'wirerelay_sent_messages_total', { command: 'other' })).toBe(0);
    expect(value(fams, 'wirerelay_flows')).toBe(0);
    for (const name of ['wirerelay_ban_score', 'wirerelay_pool_task_seconds', 'wirerelay_batch_frames']) {
      expect(fams.get(name)?.type).toBe('histogram');
    }
    // Event-loop lag is prom-client's own; wirerelay adds no second copy of it.
    expect(fams.get('nodejs_eventloop_lag_p99_seconds')?.type).toBe('gauge');
    expect([...fams.keys()].filter((n) => n.startsWith('wirerelay_') && /event_?loop/.test(n))).toEqual([]);
    expect(value(fams, 'wirerelay_build_info', { version: '9.9.9', network: 'regtest', node_version: process.version })).toBe(1);
    expect(value(fams, 'wirerelay_relay_cache_bytes')).toBe(0);
    expect(fams.has('process_cpu_user_seconds_total')).toBe(true);
    expect(fams.has('nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('counts what the node reports, and reads flows and drops from the flow table', async () => {
    const m = new RelayMetrics({ processMetrics: false });
    const table = new FlowTable({ clock: new ManualClock() });
    m.attachFlowTable(table);
    m.messageIn('inv', 61);
    m.messageIn('inv', 97);
    m.messageIn('filterload', 33); // unknown to us: "other", never a new series
    m.messageIn('x"}\n{evil', 1);
    m.messageOutById(1, 126);
    m.messageOutById(999, 5);
    m.frameError('ERR_FRAME_BAD_CHECKSUM');
    m.setPeers('inbound', 'active', 7);
    m.banScore(20);
    m.banScore(120);
    m.banned();
    m.setActiveBans(1);
    m.setRelayCacheSize(5000, 3_000_000, 4_500_000);
    m.setPoolQueueDepth(3);
    m.taskSeconds(0.0003);
    m.batchSize(40);
    table.record(1, 2, 500, 'local');
    table.drop(1, 3, 'queue_head', 200);
    table.drop(1, 3, 'queue_head', 100);
    const fams = parseExposition(await m.text());
    expect(value(fams, 'wirerelay_received_messages_total', { command: 'inv' })).toBe(2);
    expect(value(fams, 'wirerelay_received_bytes_total', { command: 'inv' })).toBe(158);
    expect(value(fams, 'wirerelay_received_messages_total', { command: 'other' })).toBe(2);
    expect(fams.get('wirerelay_received_messages_total')!.samples).toHaveLength(COMMANDS.length + 1);
    expect(value(fams, 'wirerelay_sent_bytes_total', { command: 'version' })).toBe(126);
    expect(value(fams, 'wirerelay_sent_messages_total', { command: 'other' })).toBe(1);
    expect(value(fams, 'wirerelay_frame_errors_total', { code: 'ERR_FRAME_BAD_CHECKSUM' })).toBe(1);
    expect(value(fams, 'wirerelay_peers', { direction: 'inbound', state: 'active' })).toBe(7);
    expect(value(fams, 'wirerelay_ban_score_count')).toBe(2);
    expect(value(fams, 'wirerelay_ban_score_bucket', { le: '100' })).toBe(1);
    expect(value(fams, 'wirerelay_bans_total')).toBe(1);
    expect(value(fams, 'wirerelay_bans_active')).toBe(1);
    expect(value(fams, 'wirerelay_relay_cache_entries')).toBe(5000);
    expect(value(fams, 'wirerelay_relay_cache_reserved_bytes')).toBe(4_500_000);
    expect(value(fams, 'wirerelay_relay_cache_bytes')).toBe(3_000_000);
    expect(m.totals()).toEqual({ messagesIn: 4, bytesIn: 192, messagesOut: 2, bytesOut: 131 });
    expect(value(fams, 'wirerelay_pool_queue_depth')).toBe(3);
    expect(value(fams, 'wirerelay_pool_task_seconds_count')).toBe(1);
    expect(value(fams, 'wirerelay_batch_frames_sum')).toBe(40);
    expect(value(fams, 'wirerelay_flows')).toBe(2);
    expect(value(fams, 'wirerelay_flows_created_total')).toBe(2);
    expect(value(fams, 'wirerelay_flows_evicted_total')).toBe(0);
    expect(value(fams, 'wirerelay_dropped_packets_total', { reason: 'queue_head' })).toBe(2);
    expect(value(fams, 'wirerelay_dropped_bytes_total', { reason: 'queue_head' })).toBe(300);
    expect(value(fams, 'wirerelay_dropped_packets_total', { reason: 'duplicate' })).toBe(0);
    // Scraping twice reports the same totals, not doubled ones.
    expect(value(parseExposition(await m.text()), 'wirerelay_received_bytes_total', { command: 'inv' })).toBe(158);
  });

  it('keeps two instances in one process apart', async () => {
    const a = new RelayMetrics();
    const b = new RelayMetrics();
    a.messageIn('ping', 32);
    expect(value(parseExposition(await a.text()), 'wirerelay_received_messages_total', { command: 'ping' })).toBe(1);
    expect(value(parseExposition(await b.text()), 'wirerelay_received_messages_total', { command: 'ping' })).toBe(0);
  });

  it('rejects malformed exposition in its own checker', () => {
    expect(() => parseExposition('# HELP x a\n# TYPE x gauge\nx{a="1" 3\n')).toThrow();
    expect(() => parseExposition('y 1\n')).toThrow();
    expect(() => parseExposition('# HELP z a\nz 1\n')).toThrow();
  });
});
