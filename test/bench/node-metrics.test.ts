/**
 * The load harness reads the node's /metrics by name (bench/load/node-metrics.ts). A name the node
 * does not export would read as "missing", so check every one against a real node's /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import { DROP_REASONS } from '../../src/stats/drop-reasons.js';
import { NODE_METRICS, REQUIRED_METRIC_NAMES, missingMetrics, nodeCounters, readMetric } from '../../bench/load/node-metrics.js';
import { httpGet, parsePrometheus } from '../../bench/load/proc-stats.js';
import { countWarnings } from '../../bench/load/procs.js';
import type { MetricSample } from '../../bench/load/proc-stats.js';
import { RawPeer, eventually } from '../helpers/raw-peer.js';

let node: RelayNode;
let dir: string;
let samples: MetricSample[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wirerelay-load-metrics-'));
  node = createRelay({ network: 'regtest', listen: '127.0.0.1:0', http: '127.0.0.1:0', dataDir: dir, workers: 0, targetOutbound: 0, logLevel: 'silent' });
  await node.start();
  samples = parsePrometheus(await httpGet(`http://${node.adminEndpoint!.addr}/metrics`));
}, 30_000);

afterAll(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("the load harness's metric names", () => {
  it('every name it reads is exported by a real node', () => {
    expect(REQUIRED_METRIC_NAMES.length).toBeGreaterThan(0);
    expect(missingMetrics(samples)).toEqual([]);
  });

  it('the drop counter carries every drop reason, and the labels the harness selects exist', () => {
    const reasons = new Set(samples.filter((s) => s.name === NODE_METRICS.droppedPackets).map((s) => s.labels['reason']));
    expect([...reasons].sort()).toEqual([...DROP_REASONS].sort());
    expect(samples.some((s) => s.name === NODE_METRICS.messagesIn && s.labels['command'] === 'tx')).toBe(true);
    const c = nodeCounters(samples);
    expect(c.dropsByReason).not.toBeNull();
    expect(c.txIn).toBe(0);
    expect(c.poolBatches).not.toBeNull();
    expect(REQUIRED_METRIC_NAMES).toContain('wirerelay_socket_reads_total');
    expect(REQUIRED_METRIC_NAMES).toContain('wirerelay_socket_writes_total');
  });

  it('socket reads and writes count what a real connection does, beside the message counters', async () => {
    const peer = await RawPeer.open(Number(node.listenAddress!.split(':').pop()));
    try {
      await peer.handshake();
      await eventually(async () => {
        const c = nodeCounters(parsePrometheus(await httpGet(`http://${node.adminEndpoint!.addr}/metrics`)));
        // version and verack in (at least one read), version and verack out (at least one write).
        return c.socketReads! >= 1 && c.socketWrites! >= 1 && c.messagesIn! >= 2 && c.messagesOut! >= 2 && c.socketReads! <= c.messagesIn! + 1;
      }, 'socket counters');
    } finally {
      peer.close();
    }
  });

  it('reads an absent name as null, not 0', () => {
    expect(readMetric(samples, 'wirerelay_no_such_metric_total')).toBeNull();
    expect(missingMetrics(samples.filter((s) => s.name !== NODE_METRICS.droppedPackets))).toEqual([NODE_METRICS.droppedPackets]);
  });
});

describe("the node's warnings, from its log", () => {
  it('are counted by message and offence, for named and numeric (pino) levels', async () => {
    const file = join(dir, 'node.log');
    await writeFile(
      file,
      [
        '{"level":40,"msg":"peer misbehaving","offence":"GETDATA","score":99}',
        '{"level":40,"msg":"peer misbehaving","offence":"GETDATA","score":100}',
        '{"level":30,"msg":"peer connected"}',
        '{"level":"warn","msg":"refused inbound peer"}',
        'not json',
        '{"level":50,"msg":"saving the state failed"',
      ].join('\n'),
    );
    expect(countWarnings(file)).toEqual({ 'peer misbehaving (GETDATA)': 2, 'refused inbound peer': 1 });
    expect(countWarnings(join(dir, 'absent.log'))).toBeNull();
  });
});
