import { describe, expect, it } from 'vitest';
import { layerOf, renderProfileSummary, summarizeProfile } from '../../bench/load/cpuprofile.js';
import type { CpuProfile } from '../../bench/load/cpuprofile.js';
import { metric, parsePrometheus } from '../../bench/load/proc-stats.js';

const U = 'file:///repo/dist/src';
// root → onFrame (peer) → onMessage (relay) → hash (node:crypto, a leaf of the relay)
//      → scan (wasm)  ;  (idle) ; (garbage collector)
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5, 6, 7] },
    { id: 2, callFrame: { functionName: 'onFrame', url: `${U}/peer/peer.js`, lineNumber: 172 }, children: [3] },
    { id: 3, callFrame: { functionName: 'onMessage', url: `${U}/node/relay-node.js`, lineNumber: 10 }, children: [4] },
    { id: 4, callFrame: { functionName: 'hash', url: 'node:crypto', lineNumber: 1 } },
    { id: 5, callFrame: { functionName: 'wasm-function[8]', url: 'wasm://wasm/abc', lineNumber: 0 } },
    { id: 6, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 7, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
  ],
  // Each sample lasts the next delta: 4 → 3 ms, 3 → 1 ms, 5 → 2 ms, 6 → 3 ms, 7 → 1 ms.
  samples: [4, 3, 5, 6, 7, 7],
  timeDeltas: [0, 3000, 1000, 2000, 3000, 1000],
};

describe('cpuprofile summary', () => {
  it('charges self time to the leaf and attributed time to the nearest wirerelay frame', () => {
    const s = summarizeProfile(profile);
    const L = Object.fromEntries(s.layers.map((l) => [l.layer, l]));
    expect(s.totalMs).toBe(10);
    expect(s.busyMs).toBe(7);
    expect(L['relay logic']!.selfMs).toBe(1);
    expect(L['relay logic']!.attributedMs).toBe(4); // node:crypto under onMessage counts as relay
    expect(L['node runtime']!.selfMs).toBe(3);
    expect(L['framing/WASM']!.selfMs).toBe(2);
    expect(L['GC']!.selfMs).toBe(1);
    expect(L['idle']!.selfMs).toBe(3);
    expect(s.topFunctions[0]!.name).toBe('hash');
    expect(s.topFunctions.some((f) => f.layer === 'idle')).toBe(false);
  });

  it('classifies frames by the file they come from', () => {
    expect(layerOf('record', `${U}/stats/flow-table.js`)).toBe('flows');
    expect(layerOf('commit', `${U}/persist/state-log.js`)).toBe('persistence');
    expect(layerOf('scan', `${U}/pool/pool.js`)).toBe('pool');
    expect(layerOf('writeBuffer', '')).toBe('socket I/O');
    expect(layerOf('onStreamRead', 'node:internal/stream_base_commons')).toBe('socket I/O');
    expect(layerOf('collect', 'file:///repo/node_modules/prom-client/lib/registry.js')).toBe('admin/metrics');
    expect(layerOf('x', 'node:util')).toBeNull();
  });

  it('renders a table over busy time', () => {
    const md = renderProfileSummary(summarizeProfile(profile), 'p.cpuprofile');
    expect(md).toContain('| relay logic | 1 | 14.3 % | 4 | 57.1 % |');
    expect(md).toContain('| `hash` | node:crypto:2 | 3.0 | 42.9 % |');
  });
});

describe('prometheus text', () => {
  it('reads labelled samples and sums over matches', () => {
    const s = parsePrometheus(
      [
        '# HELP x y',
        'wirerelay_dropped_packets_total{reason="queue_head"} 3',
        'wirerelay_dropped_packets_total{reason="duplicate"} 4',
        'wirerelay_event_loop_delay_seconds{stat="p99"} 0.0125',
        'wirerelay_pool_queue_depth 2',
      ].join('\n'),
    );
    expect(metric(s, 'wirerelay_dropped_packets_total')).toBe(7);
    expect(metric(s, 'wirerelay_dropped_packets_total', { reason: 'duplicate' })).toBe(4);
    expect(metric(s, 'wirerelay_event_loop_delay_seconds', { stat: 'p99' })).toBe(0.0125);
    expect(metric(s, 'wirerelay_pool_queue_depth')).toBe(2);
    expect(metric(s, 'absent')).toBe(0);
  });
});
