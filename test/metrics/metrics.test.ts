import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FRAME_ERROR_CODES, PEER_DIRECTIONS, PEER_STATES, RelayMetrics } from '../../src/metrics/metrics.js';
import { DROP_REASONS } from '../../src/stats/drop-reasons.js';
import { FlowTable } from '../../src/stats/flow-table.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  help?: string;
  type?: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
// Values as Prometheus reads them (Go strconv.ParseFloat: NaN and Inf in any case). prom-client
// 15.1.3 writes an unsampled event-loop mean as "Nan", which that accepts.
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? ([+-]?(?:[0-9]*\\.?[0-9]+(?:e[+-]?[0-9]+)?|inf|nan))(?: -?[0-9]+)?$`, 'i');
const COMMENT = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A strict reader of the Prometheus text format (0.0.4), enough to hold our output to it: every
 * line is a HELP, a TYPE or `name{labels} value`, and every sample belongs to a family that has both.
 */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { samples: [] }));
    return f;
  };
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const c = COMMENT.exec(line);
    if (c !== null) {
      const f = family(c[2]!);
      if (c[1] === 'HELP') {
        expect(f.help, `second HELP for ${c[2]}`).toBeUndefined();
        f.help = c[3]!;
      } else {
        expect(TYPES.has(c[3]!), `type of ${c[2]}: ${c[3]}`).toBe(true);
        expect(f.samples, `TYPE after samples for ${c[2]}`).toEqual([]);
        f.type = c[3]!;
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const name = m![1]!;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    const base = families.has(name) ? name : name.replace(/_(bucket|sum|count|total)$/, '');
    const f = families.get(base) ?? families.get(name);
    expect(f, `sample ${name} has no HELP/TYPE`).toBeDefined();
    const raw = m![3]!.toLowerCase();
    f!.samples.push({ name, labels, value: raw.endsWith('nan') ? Number.NaN : raw.endsWith('inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw) });
  }
  for (const [name, f] of families) {
    expect(f.help, `HELP for ${name}`).toBeDefined();
    expect(f.type, `TYPE for ${name}`).toBeDefined();
  }
  return families;
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}

describe('RelayMetrics', () => {
  it('exposes valid Prometheus text with every series pre-created at zero', async () => {
    const m = new RelayMetrics();
    try {
      const fams = parseExposition(await m.text());
      for (const d of PEER_DIRECTIONS) for (const s of PEER_STATES) expect(value(fams, 'wirerelay_peers', { direction: d, state: s })).toBe(0);
      for (const r of DROP_REASONS) {
        expect(value(fams, 'wirerelay_dropped_packets_total', { reason: r })).toBe(0);
        expect(value(fams, 'wirerelay_dropped_bytes_total', { reason: r })).toBe(0);
      }
      for (const c of FRAME_ERROR_CODES) expect(value(fams, 'wirerelay_frame_errors_total', { code: c })).toBe(0);
      expect(value(fams, 'wirerelay_messages_in_total', { command: 'inv' })).toBe(0);
      expect(value(fams, 'wirerelay_messages_out_total', { command: 'other' })).toBe(0);
      expect(value(fams, 'wirerelay_flows')).toBe(0);
      for (const name of ['wirerelay_ban_score', 'wirerelay_pool_task_seconds', 'wirerelay_batch_frames']) {
        expect(fams.get(name)?.type).toBe('histogram');
      }
      expect(fams.get('wirerelay_event_loop_delay_seconds')?.type).toBe('gauge');
      expect(fams.has('process_cpu_user_seconds_total')).toBe(true);
      expect(fams.has('nodejs_heap_size_used_bytes')).toBe(true);
    } finally {
      m.close();
    }
  });

  it('counts what the node reports, and reads flows and drops from the flow table', async () => {
    const m = new RelayMetrics({ processMetrics: false });
    const table = new FlowTable({ clock: new ManualClock() });
    try {
      m.attachFlowTable(table);
      m.messageIn('inv', 61);
      m.messageIn('inv', 97);
      m.messageIn('sendcmpct', 33); // unknown to us: "other", never a new series
      m.messageIn('x"}\n{evil', 1);
      m.messageOutById(1, 126);
      m.messageOutById(999, 5);
      m.frameError('ERR_FRAME_BAD_CHECKSUM');
      m.setPeers('inbound', 'active', 7);
      m.banScore(20);
      m.banScore(120);
      m.banned();
      m.setActiveBans(1);
      m.setRelayCacheSize(5000);
      m.setPoolQueueDepth(3);
      m.taskSeconds(0.0003);
      m.batchSize(40);
      table.record(1, 2, 500, 'local');
      table.drop(1, 3, 'queue_head', 200);
      table.drop(1, 3, 'queue_head', 100);
      const fams = parseExposition(await m.text());
      expect(value(fams, 'wirerelay_messages_in_total', { command: 'inv' })).toBe(2);
      expect(value(fams, 'wirerelay_bytes_in_total', { command: 'inv' })).toBe(158);
      expect(value(fams, 'wirerelay_messages_in_total', { command: 'other' })).toBe(2);
      expect(fams.get('wirerelay_messages_in_total')!.samples).toHaveLength(22);
      expect(value(fams, 'wirerelay_bytes_out_total', { command: 'version' })).toBe(126);
      expect(value(fams, 'wirerelay_messages_out_total', { command: 'other' })).toBe(1);
      expect(value(fams, 'wirerelay_frame_errors_total', { code: 'ERR_FRAME_BAD_CHECKSUM' })).toBe(1);
      expect(value(fams, 'wirerelay_peers', { direction: 'inbound', state: 'active' })).toBe(7);
      expect(value(fams, 'wirerelay_ban_score_count')).toBe(2);
      expect(value(fams, 'wirerelay_ban_score_bucket', { le: '100' })).toBe(1);
      expect(value(fams, 'wirerelay_bans_total')).toBe(1);
      expect(value(fams, 'wirerelay_bans_active')).toBe(1);
      expect(value(fams, 'wirerelay_relay_cache_entries')).toBe(5000);
      expect(value(fams, 'wirerelay_pool_queue_depth')).toBe(3);
      expect(value(fams, 'wirerelay_pool_task_seconds_count')).toBe(1);
      expect(value(fams, 'wirerelay_batch_frames_sum')).toBe(40);
      expect(value(fams, 'wirerelay_flows')).toBe(2);
      expect(value(fams, 'wirerelay_flows_created_total')).toBe(2);
      expect(value(fams, 'wirerelay_flows_evicted_total')).toBe(0);
      expect(value(fams, 'wirerelay_dropped_packets_total', { reason: 'queue_head' })).toBe(2);
      expect(value(fams, 'wirerelay_dropped_bytes_total', { reason: 'queue_head' })).toBe(300);
      expect(value(fams, 'wirerelay_dropped_packets_total', { reason: 'write_error' })).toBe(0);
      // Scraping twice reports the same totals, not doubled ones.
      expect(value(parseExposition(await m.text()), 'wirerelay_bytes_in_total', { command: 'inv' })).toBe(158);
    } finally {
      m.close();
    }
  });

  it('keeps two instances in one process apart', async () => {
    const a = new RelayMetrics();
    const b = new RelayMetrics();
    try {
      a.messageIn('ping', 32);
      expect(value(parseExposition(await a.text()), 'wirerelay_messages_in_total', { command: 'ping' })).toBe(1);
      expect(value(parseExposition(await b.text()), 'wirerelay_messages_in_total', { command: 'ping' })).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('rejects malformed exposition in its own checker', () => {
    expect(() => parseExposition('# HELP x a\n# TYPE x gauge\nx{a="1" 3\n')).toThrow();
    expect(() => parseExposition('y 1\n')).toThrow();
    expect(() => parseExposition('# HELP z a\nz 1\n')).toThrow();
  });
});
