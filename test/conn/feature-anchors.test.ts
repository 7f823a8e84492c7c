/**
 * Mirrors Bitcoin Core's functional test feature_anchors.py: block-relay-only peers are written
 * to the anchors file at a clean stop, only they (not full-relay, manual or inbound peers); on the
 * next start they are dialled first and the file is gone; a damaged file gives no anchors and
 * never stops the node.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anchorsPath, anchorsToSave, loadAnchors, MAX_ANCHORS, saveAnchors } from '../../src/conn/anchors.js';
import { planRejoin } from '../../src/conn/rejoin-plan.js';
import { HONEST, OutboundLab } from './outbound-lab.js';

/** Addresses in 20 distinct /16s, enough for every automatic slot. */
const MANY = Array.from({ length: 20 }, (_, i) => `127.${150 + i}.0.1:18444`);

const dataDir = (): string => mkdtempSync(join(tmpdir(), 'wr-anchors-'));

describe('feature_anchors', () => {
  it('saves only the block-relay-only peers at stop and dials them first at start; the file is consumed', async () => {
    const dir = dataDir();
    const lab = new OutboundLab({ seed: 7, feelers: false });
    lab.addrs.addAddresses(MANY.map((addr) => ({ addr, timestamp: Math.floor(lab.clock.now() / 1000) })), '127.200.0.1:18444');
    lab.cm.connect('127.250.0.1:18444', { permanent: true }); // a manual peer: never an anchor
    lab.cm.start();
    await lab.sched.advance(30_000);
    const blockRelay = lab.established('block-relay-only').map((c) => c.addr!);
    expect(blockRelay.length).toBe(2);
    expect(lab.established('full-relay').length).toBeGreaterThan(0);

    const saved = anchorsToSave(lab.cm.list());
    expect(saved.sort()).toEqual([...blockRelay].sort());
    await saveAnchors(anchorsPath(dir), saved);
    lab.cm.stop();
    expect(JSON.parse(readFileSync(anchorsPath(dir), 'utf8'))).toEqual({ version: 1, anchors: saved });

    const anchors = await loadAnchors(anchorsPath(dir));
    expect(existsSync(anchorsPath(dir))).toBe(false);
    expect(anchors).toEqual(saved);
    const next = new OutboundLab({ seed: 8, clock: lab.clock, feelers: false });
    next.addrs.addAddresses(MANY.map((addr) => ({ addr, timestamp: Math.floor(next.clock.now() / 1000) })), '127.200.0.1:18444');
    const plan = planRejoin({ anchors, previous: [], left: false, configured: new Set(), isMesh: () => false, allow: () => true, blockRelayOnly: 2, group: { allowLocal: true } });
    for (const a of plan.anchors) next.cm.connectAnchor(a);
    next.cm.start();
    expect(next.dials.slice(0, 2).map((d) => d.addr)).toEqual(anchors);
    await next.sched.advance(10_000);
    expect(next.established('block-relay-only').map((c) => c.addr).sort()).toEqual([...anchors].sort());
    // A second start without a clean stop in between has no anchors.
    expect(await loadAnchors(anchorsPath(dir))).toEqual([]);
  });

  it('an anchor that does not answer gives its slot back to normal selection; anchors never exceed the budget', async () => {
    const lab = new OutboundLab({ seed: 9, feelers: false, dead: new Set([HONEST[0]!]) });
    lab.addrs.addAddresses(MANY.map((addr) => ({ addr, timestamp: Math.floor(lab.clock.now() / 1000) })), '127.200.0.1:18444');
    expect(lab.cm.connectAnchor(HONEST[0]!)).not.toBeNull();
    expect(lab.cm.connectAnchor(HONEST[1]!)).not.toBeNull();
    expect(lab.cm.connectAnchor('127.99.0.1:18444')).toBeNull(); // a third anchor has no slot
    lab.cm.start();
    await lab.sched.advance(10_000);
    expect(lab.cm.count('block-relay-only')).toBeLessThanOrEqual(2);
    const br = lab.established('block-relay-only').map((c) => c.addr);
    expect(br).toContain(HONEST[1]);
    expect(br).not.toContain(HONEST[0]);
    expect(br.length).toBe(2);
    // The dead anchor was dialled once, not retried.
    expect(lab.dials.filter((d) => d.addr === HONEST[0]).length).toBe(1);
  });

  it('a damaged or foreign file gives no anchors, with a warning, and is removed', async () => {
    for (const content of ['{"version":1,"anchors":["not an address", 5, "127.1.0.1:1", "127.1.0.1:1", "127.2.0.1:1", "127.3.0.1:1"]}', '{"version":9,"anchors":[]}', '\u0000\u0000', '[]']) {
      const dir = dataDir();
      writeFileSync(anchorsPath(dir), content);
      const warnings: string[] = [];
      const got = await loadAnchors(anchorsPath(dir), (level, msg) => void (level === 'warn' && warnings.push(msg)));
      expect(existsSync(anchorsPath(dir))).toBe(false);
      if (content.startsWith('{"version":1')) {
        // Malformed entries are dropped, duplicates folded, at most MAX_ANCHORS kept.
        expect(got).toEqual(['127.1.0.1:1', '127.2.0.1:1']);
        expect(got.length).toBe(MAX_ANCHORS);
      } else {
        expect(got).toEqual([]);
        expect(warnings.length).toBe(1);
      }
    }
  });

  it('the rejoin plan dials anchors only: previous full-relay peers go back to the address table, mesh members rejoin (Serf)', () => {
    const plan = planRejoin({
      anchors: ['127.1.0.1:1', '127.1.0.2:1', '127.2.0.1:1', '127.3.0.1:1'],
      previous: ['127.1.0.1:1', '127.5.0.1:1', '127.6.0.1:1', '127.7.0.1:7000', '127.8.0.1:1', '10.0.0.1:1'],
      left: false,
      configured: new Set(['127.8.0.1:1']),
      isMesh: (a) => a === '127.7.0.1:7000',
      allow: (a) => a.startsWith('127.'),
      blockRelayOnly: 2,
      group: { allowLocal: true },
    });
    // One anchor per group, at most the block-relay-only budget.
    expect(plan.anchors).toEqual(['127.1.0.1:1', '127.2.0.1:1']);
    expect(plan.mesh).toEqual(['127.7.0.1:7000']);
    expect(plan.toAddressTable).toEqual(['127.5.0.1:1', '127.6.0.1:1']);
    const afterLeave = planRejoin({ anchors: [], previous: ['127.7.0.1:7000'], left: true, configured: new Set(), isMesh: () => true, allow: () => true, blockRelayOnly: 2 });
    expect(afterLeave.mesh).toEqual([]);
  });
});
